"""Sign-in, re-authentication and bearer verification.

Every failure gets the same ``Unauthenticated`` whatever went wrong (unknown name, wrong
password, missing or wrong code, locked or disabled account) and costs one argon2
verify either way; the reason goes only to the audit trail, committed in its own
transaction before the refusal is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping

from chartvault.auth import passwords, totp
from chartvault.auth.clock import aware
from chartvault.auth.clock import now as utc_now
from chartvault.auth.errors import Unauthenticated
from chartvault.auth.principal import Principal
from chartvault.auth.roles import Role, needs_second_factor
from chartvault.auth.tokens import new_id, new_secret, secret_hash
from chartvault.catalog import Catalog
from chartvault.catalog import accounts as q
from chartvault.errors import ChartvaultError
from chartvault.settings import AuthSettings

ANONYMOUS = "anonymous"
SESSION_MAX = timedelta(hours=12)  # a session ends after this even when busy
TOUCH_EVERY = timedelta(seconds=60)  # last-use writes at most once a minute per token
CHANGE = "password_change_required"


class PasswordChangeRequired(ChartvaultError):
    """The password was a one-time password: sign in again giving a new one."""

    code = "password_change_required"
    http_status = 401
    exit_code = 6  # chartvault.exitcodes.EXIT_UNAUTHENTICATED


@dataclass(frozen=True)
class SignedIn:
    """A new sign-in session: the bearer secret (shown to the caller once) and who it is."""

    bearer: str
    principal: Principal


_ROLE_NAMES = frozenset(r.value for r in Role)


def _roles(names: set[str] | frozenset[str]) -> frozenset[Role]:
    return frozenset(Role(n) for n in names if n in _ROLE_NAMES)


class Authenticator:
    """Verifies credentials against the catalog's accounts."""

    def __init__(self, catalog: Catalog, settings: AuthSettings, totp_key: bytes,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.catalog = catalog
        self.settings = settings
        self.totp_key = totp_key  # seals TOTP secrets in the catalog (chartvault.auth.keys)
        self.clock = clock

    # --- audit of refusals (own transaction, committed before the raise) ---------------

    def refuse(self, actor: str, action: str, why: str, account_id: str | None = None,
               detail: dict[str, str] | None = None) -> Unauthenticated:
        """Audit a failed credential (counting it against the account) and return the error."""
        with self.catalog.transaction() as conn:
            if account_id is not None:
                lock_until = self.clock() + timedelta(minutes=self.settings.lockout_minutes)
                q.record_failure(conn, account_id, self.settings.max_failures, lock_until)
            self.catalog.audit(actor, action, outcome="refused",
                               detail={"why": why, **(detail or {})}, conn=conn)
        return Unauthenticated()

    # --- sign-in ------------------------------------------------------------------------

    def _check_secret(self, conn: Connection, row: RowMapping | None, password: str,
                      code: str | None, changing: bool) -> tuple[str | None, bool]:
        """(why it failed or None, whether a second factor was verified).

        A one-time password without a new one stops before the code is checked, so the
        code stays unused for the retry that brings the new password.
        """
        stored = row["password_hash"] if row is not None else None
        ok = passwords.verify_password(self.settings, stored, password)
        if row is None:
            return "bad_credentials", False
        if row["disabled"]:
            return "disabled", False
        locked = row["locked_until"]
        if locked is not None and aware(locked) > self.clock():
            return "locked", False
        if not ok:
            return "bad_credentials", False
        if row["must_change_password"] and not changing:
            return CHANGE, False
        return self._check_code(conn, row, code)

    def _check_code(self, conn: Connection, row: RowMapping,
                    code: str | None) -> tuple[str | None, bool]:
        secret = q.totp_of(conn, row["account_id"])
        roles = _roles(q.roles_of(conn, row["account_id"]))
        if secret is None:
            return ("second_factor_not_enrolled", False) if needs_second_factor(roles) else (
                None, False)
        if not code:
            return "second_factor_missing", False
        plain = totp.unseal(self.totp_key, secret["secret"])
        step = totp.matching_step(plain, code, secret["last_step"], self.clock().timestamp())
        if step is None or not q.advance_totp(conn, row["account_id"], step):
            return "second_factor_wrong", False
        if not secret["secret"].startswith(totp.SEALED):  # enrolled before sealing
            q.reseal_totp(conn, row["account_id"], totp.seal(self.totp_key, plain))
        return None, True

    def sign_in(self, username: str, password: str, code: str | None = None, *,
                new_password: str | None = None) -> SignedIn:
        """Verify name, password and (where enrolled) TOTP code; open a session."""
        with self.catalog.transaction() as conn:
            row = q.by_username(conn, username)
            why, mfa = self._check_secret(conn, row, password, code, bool(new_password))
        if why == CHANGE:
            raise PasswordChangeRequired("sign in again with a new password")
        if why is not None:
            actor = row["username"] if row is not None else ANONYMOUS
            raise self.refuse(actor, "sign_in", why,
                              row["account_id"] if row is not None else None)
        assert row is not None
        new_hash = None
        if row["must_change_password"]:
            assert new_password
            new_hash = passwords.hash_password(self.settings, new_password)
        return self._session(row, mfa, "password", new_hash)

    def sign_in_verified(self, username: str, method: str, provider_mfa: bool,
                         code: str | None = None) -> SignedIn:
        """A session for a person an identity provider vouched for (OIDC).

        The account must exist here, enabled and unlocked; its roles apply. Without a
        second factor asserted by the provider, the account's own TOTP is asked for.
        """
        with self.catalog.transaction() as conn:
            row = q.by_username(conn, username)
            why: str | None = None
            mfa = provider_mfa
            if row is None:
                why = "unknown_account"
            elif row["disabled"]:
                why = "disabled"
            elif row["locked_until"] is not None and aware(row["locked_until"]) > self.clock():
                why = "locked"
            elif not provider_mfa:
                why, mfa = self._check_code(conn, row, code)
        if why is not None:
            raise self.refuse(row["username"] if row is not None else ANONYMOUS, "sign_in", why,
                              row["account_id"] if row is not None else None,
                              {"method": method})
        assert row is not None
        return self._session(row, mfa, method, None)

    def _session(self, row: RowMapping, mfa: bool, method: str,
                 new_hash: str | None) -> SignedIn:
        with self.catalog.transaction() as conn:
            if new_hash is not None:
                q.set_password(conn, row["account_id"], new_hash, must_change=False)
            q.clear_failures(conn, row["account_id"])
            bearer, token_id = self._open(conn, row["account_id"], "session", None, mfa,
                                          SESSION_MAX, f"sign-in ({method})")
            roles = _roles(q.roles_of(conn, row["account_id"]))
            self.catalog.audit(row["username"], "sign_in", outcome="ok", conn=conn,
                               detail={"session": token_id, "mfa": mfa, "method": method})
        return SignedIn(bearer, Principal(row["account_id"], row["username"], roles,
                                          "session", token_id, mfa))

    def _open(self, conn: Connection, account_id: str, kind: str, role: str | None,
              mfa: bool, lifetime: timedelta, label: str) -> tuple[str, str]:
        bearer, digest = new_secret()
        token_id = new_id("s-" if kind == "session" else "t-")
        at = self.clock()
        q.insert_token(conn, token_id=token_id, token_hash=digest, account_id=account_id,
                       kind=kind, role=role, label=label[:100], mfa=mfa, created_at=at,
                       expires_at=at + lifetime, last_used_at=at, revoked_at=None)
        return bearer, token_id

    def issue_token(self, conn: Connection, principal: Principal, role: Role,
                    lifetime: timedelta, label: str) -> tuple[str, str]:
        """A new API token of ``principal`` scoped to ``role`` (caller checks the rules)."""
        return self._open(conn, principal.account_id, "api", role.value, principal.mfa,
                          lifetime, label)

    # --- re-authentication (approval) ----------------------------------------------------

    def reauthenticate(self, principal: Principal, *, password: str | None = None,
                       code: str | None = None, action: str = "reauthenticate") -> None:
        """The signed-in person proves presence again with a password or a TOTP code.

        Given both (the web app's approval form asks for both), both must be right.
        """
        with self.catalog.transaction() as conn:
            row = q.by_id(conn, principal.account_id)
            why: str | None = "no_proof"
            if row is not None and code:
                why, _ = self._check_code(conn, row, code)
                if why is None and q.totp_of(conn, row["account_id"]) is None:
                    why = "second_factor_not_enrolled"
            if row is not None and password and (why is None or not code):
                ok = passwords.verify_password(self.settings, row["password_hash"], password)
                why = None if ok else "bad_credentials"
        if why is not None:
            raise self.refuse(principal.username, action, why, principal.account_id,
                              {"step": "reauthenticate"})

    # --- bearer verification ---------------------------------------------------------------

    def authenticate(self, bearer: str, action: str = "authenticate") -> Principal:
        """The principal of a session or API token; refuses unknown, expired, revoked ones."""
        at = self.clock()
        with self.catalog.engine.connect() as conn:
            tok = q.lookup_token(conn, secret_hash(bearer)) if bearer else None
        why = None
        if tok is None:
            why = "unknown_token"
        elif tok.revoked:
            why = "revoked"
        elif tok.disabled:
            why = "disabled"
        elif aware(tok.expires_at) <= at:
            why = "expired"
        elif tok.kind == "session" and aware(tok.last_used_at or tok.expires_at) + timedelta(
                minutes=self.settings.session_idle_minutes) <= at:
            why = "idle"
        if why is not None:
            actor = tok.username if tok is not None else ANONYMOUS
            detail = {"token": tok.token_id} if tok is not None else {}
            raise self.refuse(actor, action, why, detail=detail)
        assert tok is not None
        if tok.last_used_at is None or aware(tok.last_used_at) + TOUCH_EVERY <= at:
            with self.catalog.transaction() as conn:
                q.touch_token(conn, tok.token_id, at)
        return Principal(tok.account_id, tok.username, _roles(tok.roles),
                         "session" if tok.kind == "session" else "token", tok.token_id, tok.mfa)

    def sign_out(self, bearer: str) -> None:
        """End a session (or revoke the token presented)."""
        with self.catalog.transaction() as conn:
            tok = q.lookup_token(conn, secret_hash(bearer))
            if tok is not None:
                q.revoke_token(conn, tok.token_id, self.clock())
                self.catalog.audit(tok.username, "sign_out", detail={"token": tok.token_id},
                                   conn=conn)
