"""Sign-in, one's own tokens, account administration (admin) and maintenance verbs.

Self-service (sign in and out, one's own tokens, one's own password) needs no role. An
admin manages other accounts but never its own roles, so no admin can hand itself
``legal`` or ``records_manager``. Maintenance verbs are for the data directory's owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import RowMapping

from chartvault.auth import accounts, passwords
from chartvault.auth.accounts import AccountError, Enrolment
from chartvault.auth.clock import aware
from chartvault.auth.principal import Principal
from chartvault.auth.roles import Action, Role
from chartvault.auth.signin import ANONYMOUS, SignedIn
from chartvault.catalog import Catalog
from chartvault.catalog import accounts as aq
from chartvault.catalog.rebuild import RebuildReport, rebuild
from chartvault.errors import UserError
from chartvault.service.guard import Guard

if TYPE_CHECKING:
    from chartvault.anchors import Anchor
    from chartvault.auth.oidc import OidcClient, Pending


class TokenError(UserError):
    """A token request the rules do not allow (role not held, too long, not a session)."""

    code = "token_error"


@dataclass(frozen=True)
class AccountInfo:
    """An account as an admin sees it (no hashes, no secrets)."""

    username: str
    roles: tuple[str, ...]
    disabled: bool
    locked: bool
    intakes: tuple[str, ...]
    totp: bool


@dataclass(frozen=True)
class NewToken:
    """A token just made: the secret is shown once and never again."""

    token_id: str
    bearer: str
    role: Role
    expires_at: str


class PeopleActions(Guard):
    """Accounts and tokens."""

    # --- self-service ------------------------------------------------------------------

    def sign_in(self, username: str, password: str, code: str | None = None, *,
                new_password: str | None = None) -> SignedIn:
        """Password (and TOTP) sign-in; returns a session bearer."""
        return self.auth.sign_in(username, password, code, new_password=new_password)

    def _oidc_client(self) -> OidcClient:
        from chartvault.auth.oidc import OidcClient

        if self._oidc is None:
            self._oidc = OidcClient(self.settings.auth)
        return self._oidc

    def oidc_begin(self, login_hint: str | None = None) -> Pending:
        """Where to send the browser for OpenID Connect sign-in, and what to keep."""
        from chartvault.auth.oidc import OidcFailed

        try:
            return self._oidc_client().begin(login_hint)
        except OidcFailed as err:
            raise self.auth.refuse(ANONYMOUS, "sign_in", err.why, detail={"method": "oidc"}) \
                from None

    def sign_in_oidc(self, pending: Pending, callback_url: str,
                     code: str | None = None) -> SignedIn:
        """Finish OpenID Connect sign-in; ``code``: TOTP, if the provider did no MFA."""
        from chartvault.auth.oidc import OidcFailed

        try:
            who = self._oidc_client().finish(pending, callback_url)
        except OidcFailed as err:
            raise self.auth.refuse(ANONYMOUS, "sign_in", err.why, detail={"method": "oidc"}) \
                from None
        return self.auth.sign_in_verified(who.username, "oidc", who.mfa, code)

    def sign_out(self, bearer: str) -> None:
        """End the session or revoke the token presented."""
        self.auth.sign_out(bearer)

    def whoami(self, bearer: str) -> Principal:
        """The verified principal of a bearer."""
        return self.auth.authenticate(bearer, "whoami")

    def create_token(self, bearer: str, role: Role, days: float | None = None,
                     label: str = "", lifetime: timedelta | None = None) -> NewToken:
        """An API token for scripts, scoped to one of the caller's roles."""
        p = self.auth.authenticate(bearer, "token_create")
        if p.via != "session":  # a leaked token must not be able to mint its successors
            self.reject(p, Action.ACCOUNT_ADMIN, "token_from_token",
                        TokenError("API tokens are made from a signed-in session"))
        if role not in p.roles:
            self.deny(p, Action.ACCOUNT_ADMIN, "token_role_not_held", detail={"role": role.value})
        max_days = self.settings.auth.max_token_days
        span = lifetime or timedelta(days=days if days is not None else
                                     self.settings.auth.token_days)
        if span <= timedelta(0) or span > timedelta(days=max_days):
            raise TokenError(f"a token lives between a second and {max_days} days")
        with self.catalog.transaction() as conn:
            secret, token_id = self.auth.issue_token(conn, p, role, span, label)
            self.catalog.audit(p.username, "token_create", conn=conn, detail={
                "token": token_id, "role": role.value, "days": round(span.days, 2)})
        return NewToken(token_id, secret, role, (self.clock() + span).isoformat())

    def list_tokens(self, bearer: str) -> Sequence[RowMapping]:
        """The caller's API tokens (ids, roles, dates; never secrets)."""
        p = self.auth.authenticate(bearer, "token_list")
        with self.catalog.engine.connect() as conn:
            return aq.tokens_of(conn, p.account_id)

    def revoke_token(self, bearer: str, token_id: str) -> None:
        """Revoke one of the caller's tokens (an admin may revoke anyone's)."""
        p = self.auth.authenticate(bearer, "token_revoke")
        own = None if p.may(Action.ACCOUNT_ADMIN) and p.mfa else p.account_id
        with self.catalog.transaction() as conn:
            done = aq.revoke_token(conn, token_id, self.clock(), own)
            if done:
                self.catalog.audit(p.username, "token_revoke", detail={"token": token_id},
                                   conn=conn)
        if not done:
            self.reject(p, Action.ACCOUNT_ADMIN, "no_such_token",
                        TokenError("no such live token of yours"), {"target": token_id})

    def change_password(self, bearer: str, old: str, new: str) -> None:
        """Change one's own password; other sessions and tokens are revoked."""
        p = self.auth.authenticate(bearer, "password_change")
        self.auth.reauthenticate(p, password=old, action="password_change")
        new_hash = passwords.hash_password(self.settings.auth, new)
        with self.catalog.transaction() as conn:
            aq.set_password(conn, p.account_id, new_hash, must_change=False)
            aq.revoke_all(conn, p.account_id, self.clock())
            self.catalog.audit(p.username, "password_change", conn=conn)

    # --- administration (admin) ----------------------------------------------------------

    def _target(self, p: Principal, username: str, *, not_self: bool = False) -> RowMapping:
        with self.catalog.engine.connect() as conn:
            row = aq.by_username(conn, username)
        if row is None:
            raise AccountError("no such account")
        if not_self and row["account_id"] == p.account_id:
            self.deny(p, Action.ACCOUNT_ADMIN, "own_account")
        return row

    def create_account(self, bearer: str, username: str, roles: Iterable[Role],
                       intakes: Sequence[str] = ()) -> Enrolment:
        """A new account; returns its one-time password (and TOTP secret) once."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        with self.catalog.transaction() as conn:
            got = accounts.create(conn, self.settings.auth, username=username,
                                  roles=frozenset(roles), intakes=intakes, at=self.clock(),
                                  by=p.username, key=self.auth.totp_key)
            self.catalog.audit(p.username, "account_create", conn=conn, detail={
                "account": username, "roles": sorted(r.value for r in roles)})
        return got

    def set_roles(self, bearer: str, username: str, roles: Iterable[Role]) -> Enrolment:
        """Replace another account's roles (never one's own)."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        row = self._target(p, username, not_self=True)
        new = frozenset(roles)
        with self.catalog.transaction() as conn:
            got = accounts.change_roles(conn, row["account_id"], username, new, self.clock(),
                                        p.username, self.auth.totp_key)
            self.catalog.audit(p.username, "account_roles", conn=conn, detail={
                "account": username, "roles": sorted(r.value for r in new)})
        return got

    def set_intakes(self, bearer: str, username: str, intakes: Sequence[str]) -> None:
        """The intake folders a scanner account works."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        row = self._target(p, username)
        with self.catalog.transaction() as conn:
            aq.set_intakes(conn, row["account_id"], intakes)
            self.catalog.audit(p.username, "account_intakes", conn=conn,
                               detail={"account": username, "intakes": list(intakes)})

    def disable_account(self, bearer: str, username: str, disabled: bool = True) -> None:
        """Disable (or enable) another account; its tokens and sessions are revoked."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        row = self._target(p, username, not_self=True)
        with self.catalog.transaction() as conn:
            aq.set_disabled(conn, row["account_id"], disabled)
            if disabled:
                aq.revoke_all(conn, row["account_id"], self.clock())
            self.catalog.audit(p.username, "account_disable" if disabled else "account_enable",
                               conn=conn, detail={"account": username})

    def unlock_account(self, bearer: str, username: str) -> None:
        """Clear a lockout."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        row = self._target(p, username)
        with self.catalog.transaction() as conn:
            aq.clear_failures(conn, row["account_id"])
            self.catalog.audit(p.username, "account_unlock", conn=conn,
                               detail={"account": username})

    def reset_password(self, bearer: str, username: str) -> Enrolment:
        """A new one-time password for another account."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        row = self._target(p, username, not_self=True)
        with self.catalog.transaction() as conn:
            got = accounts.reset_password(conn, self.settings.auth, row["account_id"],
                                          username, self.clock())
            self.catalog.audit(p.username, "account_password_reset", conn=conn,
                               detail={"account": username})
        return got

    def reset_totp(self, bearer: str, username: str) -> Enrolment:
        """A new TOTP secret for another account."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        row = self._target(p, username, not_self=True)
        with self.catalog.transaction() as conn:
            got = accounts.reset_totp(conn, row["account_id"], username, self.clock(),
                                      self.auth.totp_key)
            self.catalog.audit(p.username, "account_totp_reset", conn=conn,
                               detail={"account": username})
        return got

    def list_accounts(self, bearer: str) -> list[AccountInfo]:
        """Every account (names, roles, state)."""
        p = self.require(bearer, Action.ACCOUNT_ADMIN)
        now = self.clock()
        out = []
        with self.catalog.engine.connect() as conn:
            for row in aq.all_accounts(conn):
                lock = row["locked_until"]
                out.append(AccountInfo(
                    row["username"], tuple(sorted(aq.roles_of(conn, row["account_id"]))),
                    bool(row["disabled"]),
                    lock is not None and aware(lock) > now, tuple(row["intakes"] or ()),
                    aq.totp_of(conn, row["account_id"]) is not None))
        self.catalog.audit(p.username, "account_list", detail={"accounts": len(out)})
        return out

    def list_all_tokens(self, bearer: str) -> Sequence[RowMapping]:
        """Every account's API tokens (admin)."""
        self.require(bearer, Action.ACCOUNT_ADMIN)
        with self.catalog.engine.connect() as conn:
            return aq.tokens_of(conn, None)

    # --- maintenance (the data directory's owner) -----------------------------------------

    def bootstrap(self, username: str = "admin") -> Enrolment:
        """The first admin account; refused once an enabled admin exists."""
        svc = self.maintenance("account_bootstrap")
        with self.catalog.transaction() as conn:
            if aq.holders_of(conn, Role.ADMIN.value):
                self.catalog.audit(svc.username, "account_bootstrap", outcome="refused",
                                   detail={"why": "admin_exists"}, conn=conn)
                exists = True
            else:
                exists = False
                got = accounts.create(conn, self.settings.auth, username=username,
                                      roles=frozenset({Role.ADMIN}), intakes=(),
                                      at=self.clock(), by=svc.username,
                                      key=self.auth.totp_key)
                self.catalog.audit(svc.username, "account_bootstrap", conn=conn,
                                   detail={"account": username})
        if exists:
            raise AccountError("an admin account exists already; it creates the others")
        return got

    def anchor(self) -> Anchor | None:
        """Write the audit chain head to storage now, locked (``None``: empty trail)."""
        from chartvault import anchors

        svc = self.maintenance("audit_anchor")
        got = anchors.anchor_now(self.catalog, self.store, "manual",
                                 retain_days=self.settings.audit.anchor_retain_days)
        self.catalog.audit(svc.username, "audit_anchor",
                           detail={"seq": getattr(got, "seq", None)})
        return got

    def has_admin(self) -> bool:
        """Whether an admin account exists (the demo bootstraps one when not)."""
        with self.catalog.engine.connect() as conn:
            return bool(aq.holders_of(conn, Role.ADMIN.value))

    def migrate(self) -> None:
        """Bring the catalog schema to the newest revision."""
        svc = self.maintenance("migrate")
        self.catalog.create()
        self.catalog.audit(svc.username, "migrate")

    def catalog_rebuild(self, into_url: str, data_dir: Path | None = None) -> RebuildReport:
        """Recreate a catalog from storage into an empty database (refused if not empty)."""
        svc = self.maintenance("catalog_rebuild")
        target = Catalog(into_url)
        try:
            target.create()
            report = rebuild(target, self.store, data_dir)
            detail = {"counts": report.counts, "lost": len(report.lost)}
            target.audit(svc.username, "catalog_rebuild", detail=detail)
        finally:
            target.close()
        self.catalog.audit(svc.username, "catalog_rebuild", detail=detail)
        return report
