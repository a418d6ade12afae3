"""``chartvault account ...``: accounts, roles and API tokens from the command line.

A thin adapter over ``chartvault.service.Service``: it signs in (name, password, TOTP
code, asked on the terminal or read line by line from standard input) or takes an API
token (``--token-file`` or ``CHARTVAULT_TOKEN``), calls one service method and prints
its result. Secrets (one-time passwords, TOTP secrets, new tokens) are printed once.
Exit codes: ``chartvault.exitcodes`` (6 sign-in failed (401), 7 not permitted (403), 2 a
request refused as asked, 3 no such account).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chartvault.auth.roles import Role, matrix_markdown, parse_roles
from chartvault.errors import ChartvaultError
from chartvault.exitcodes import EXIT_USER, status

if TYPE_CHECKING:  # the rest loads when an account command runs, not with every command
    from chartvault.auth.accounts import Enrolment

from chartvault.cli_session import TOKEN_ENV, stored_token


def _service(args: argparse.Namespace) -> Any:
    from chartvault import runtime
    from chartvault.catalog import Catalog
    from chartvault.service import Service
    from chartvault.settings import Settings
    from storage.factory import open_store

    os.umask(0o077)
    settings = Settings()
    runtime.prepare(settings, verbose=getattr(args, "verbose", False))
    settings.ensure_data_dir()
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    return Service(catalog, open_store(settings), settings)


def _ask(label: str, secret: bool) -> str:
    """A terminal prompt, or the next line of standard input when it is not a terminal."""
    from chartvault.cli_session import ask

    return ask(label, secret)


def _sign_in(service: Any, args: argparse.Namespace) -> str:
    """Interactive sign-in; returns the session bearer."""
    from chartvault.auth.signin import PasswordChangeRequired

    username = args.username or _ask("username", secret=False)
    password = _ask("password", secret=True)
    code = _ask("TOTP code (empty if none)", secret=True) or None
    try:
        return str(service.sign_in(username, password, code).bearer)
    except PasswordChangeRequired:
        print("first sign-in: choose a new password", file=sys.stderr)
        new = _ask("new password", secret=True)
        if sys.stdin.isatty() and _ask("new password again", secret=True) != new:
            raise ChartvaultError("the two new passwords differ", code="mismatch") from None
        return str(service.sign_in(username, password, code, new_password=new).bearer)


def _bearer(service: Any, args: argparse.Namespace, session: bool = False) -> str:
    """An API token or the ``chartvault login`` session (never for ``session``), else ask."""
    if not session:
        if args.token_file:
            return Path(args.token_file).read_text().strip()
        if os.environ.get(TOKEN_ENV):
            return os.environ[TOKEN_ENV].strip()
        if not args.username and (stored := stored_token()):
            return stored
    return _sign_in(service, args)


def print_enrolment(got: Enrolment) -> None:
    print(f"account {got.username}")
    if got.one_time_password:
        print(f"  one-time password: {got.one_time_password}  (shown once; changed at first "
              "sign-in)")
    if got.totp_secret:
        print(f"  TOTP secret: {got.totp_secret}  (shown once; add it to an authenticator app)")
        print(f"  TOTP URI: {got.totp_uri}")


# --- commands ------------------------------------------------------------------------------


def cmd_bootstrap(args: argparse.Namespace, service: Any) -> None:
    got = service.bootstrap(args.new_username)
    print_enrolment(got)
    print(f"sign in as {got.username} with the password and a code from the TOTP app; e.g. "
          f"chartvault account token create --username {got.username} --role admin")


def cmd_create(args: argparse.Namespace, service: Any) -> None:
    got = service.create_account(_bearer(service, args), args.account, parse_roles(args.role),
                                 args.intake or [])
    print_enrolment(got)


def cmd_roles(args: argparse.Namespace, service: Any) -> None:
    got = service.set_roles(_bearer(service, args), args.account, parse_roles(args.role))
    print(f"account {args.account}: roles {', '.join(sorted(args.role)) or '(none)'}")
    if got.totp_secret:
        print_enrolment(got)


def cmd_disable(args: argparse.Namespace, service: Any) -> None:
    service.disable_account(_bearer(service, args), args.account, not args.enable)
    print(f"account {args.account} {'enabled' if args.enable else 'disabled'}")


def cmd_unlock(args: argparse.Namespace, service: Any) -> None:
    service.unlock_account(_bearer(service, args), args.account)
    print(f"account {args.account} unlocked")


def cmd_reset(args: argparse.Namespace, service: Any) -> None:
    bearer = _bearer(service, args)
    got = (service.reset_totp if args.what == "totp" else service.reset_password)(
        bearer, args.account)
    print_enrolment(got)


def cmd_list(args: argparse.Namespace, service: Any) -> None:
    for a in service.list_accounts(_bearer(service, args)):
        state = "disabled" if a.disabled else "locked" if a.locked else "active"
        print(f"{a.username:24s} {state:8s} totp={'yes' if a.totp else 'no ':3s} "
              f"roles={','.join(a.roles) or '-'} intakes={','.join(a.intakes) or '-'}")


def cmd_password(args: argparse.Namespace, service: Any) -> None:
    bearer = _sign_in(service, args)
    old = _ask("current password", secret=True)
    new = _ask("new password", secret=True)
    service.change_password(bearer, old, new)
    print("password changed; other sessions and tokens of this account are revoked")


def cmd_token_create(args: argparse.Namespace, service: Any) -> None:
    bearer = _bearer(service, args, session=True)
    tok = service.create_token(bearer, Role(args.role), days=args.days, label=args.label)
    service.sign_out(bearer)
    if args.out:
        args.out.touch(mode=0o600)
        args.out.write_text(tok.bearer + "\n")
        print(f"token {tok.token_id} ({tok.role}) until {tok.expires_at} written to {args.out}")
    else:
        print(f"token {tok.token_id} ({tok.role}) until {tok.expires_at}")
        print(tok.bearer)


def cmd_token_list(args: argparse.Namespace, service: Any) -> None:
    bearer = _bearer(service, args)
    rows = service.list_all_tokens(bearer) if args.all else service.list_tokens(bearer)
    for t in rows:
        state = "revoked" if t["revoked_at"] else "live"
        print(f"{t['token_id']}  {t['username']:20s} {t['role']:16s} {state:7s} "
              f"expires {t['expires_at']:%Y-%m-%d %H:%M}  {t['label']}")


def cmd_token_revoke(args: argparse.Namespace, service: Any) -> None:
    service.revoke_token(_bearer(service, args), args.token_id)
    print(f"token {args.token_id} revoked")


def cmd_matrix(args: argparse.Namespace, service: Any) -> None:
    print(matrix_markdown(), end="")


# --- parser --------------------------------------------------------------------------------


def _run(command: Callable[[argparse.Namespace, Any], None], needs_service: bool = True
         ) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        service = _service(args) if needs_service else None
        try:
            command(args, service)
        except ChartvaultError as err:
            print(f"error: {err.code}: {err}", file=sys.stderr)
            return status(err)
        except ValueError as err:
            print(f"error: invalid: {err}", file=sys.stderr)
            return EXIT_USER
        finally:
            if service is not None:
                service.catalog.close()
        return 0

    return run


def _who(p: argparse.ArgumentParser) -> None:
    p.add_argument("--username", help="sign in as this account (asked otherwise)")
    p.add_argument("--token-file", help=f"API token file (default: ${TOKEN_ENV}, else sign in)")


def register(subparsers: Any) -> None:
    """Add ``account`` and its sub-commands to chartvault's parser."""
    roles = [r.value for r in Role]
    s = subparsers.add_parser("account", help="accounts, roles and API tokens")
    a = s.add_subparsers(dest="account_command", required=True)

    b = a.add_parser("bootstrap", help="create the first admin (data directory owner only)")
    b.add_argument("--new-username", default="admin")
    b.set_defaults(func=_run(cmd_bootstrap))

    c = a.add_parser("create", help="create an account (admin)")
    c.add_argument("account")
    c.add_argument("--role", action="append", required=True, choices=roles)
    c.add_argument("--intake", action="append", help="intake folder a scanner works")
    _who(c)
    c.set_defaults(func=_run(cmd_create))

    r = a.add_parser("roles", help="replace another account's roles (admin)")
    r.add_argument("account")
    r.add_argument("--role", action="append", default=[], choices=roles)
    _who(r)
    r.set_defaults(func=_run(cmd_roles))

    d = a.add_parser("disable", help="disable (or --enable) an account (admin)")
    d.add_argument("account")
    d.add_argument("--enable", action="store_true")
    _who(d)
    d.set_defaults(func=_run(cmd_disable))

    u = a.add_parser("unlock", help="clear a lockout (admin)")
    u.add_argument("account")
    _who(u)
    u.set_defaults(func=_run(cmd_unlock))

    rs = a.add_parser("reset", help="new one-time password or TOTP secret (admin)")
    rs.add_argument("what", choices=["password", "totp"])
    rs.add_argument("account")
    _who(rs)
    rs.set_defaults(func=_run(cmd_reset))

    ls = a.add_parser("list", help="list accounts (admin)")
    _who(ls)
    ls.set_defaults(func=_run(cmd_list))

    pw = a.add_parser("password", help="change your own password")
    pw.add_argument("--username")
    pw.set_defaults(func=_run(cmd_password))

    m = a.add_parser("matrix", help="print the role matrix (markdown)")
    m.set_defaults(func=_run(cmd_matrix, needs_service=False))

    t = a.add_parser("token", help="API tokens for scripts")
    tk = t.add_subparsers(dest="token_command", required=True)
    tc = tk.add_parser("create", help="new token scoped to one of your roles (signs you in)")
    tc.add_argument("--role", required=True, choices=roles)
    tc.add_argument("--days", type=float, help="lifetime (default: settings, 90)")
    tc.add_argument("--label", default="")
    tc.add_argument("--out", type=Path, help="write the token to this file (mode 0600)")
    tc.add_argument("--username")
    tc.set_defaults(func=_run(cmd_token_create))
    tl = tk.add_parser("list", help="your tokens (--all: everyone's, admin)")
    tl.add_argument("--all", action="store_true")
    _who(tl)
    tl.set_defaults(func=_run(cmd_token_list))
    tr = tk.add_parser("revoke", help="revoke a token (yours; admin: anyone's)")
    tr.add_argument("token_id")
    _who(tr)
    tr.set_defaults(func=_run(cmd_token_revoke))


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (``python -m chartvault.cli_accounts account ...``)."""
    p = argparse.ArgumentParser(prog="chartvault")
    p.add_argument("-v", "--verbose", action="store_true")
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
