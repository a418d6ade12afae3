"""Account administration: create, roles, disable, unlock, passwords, TOTP enrolment.

Secrets made here (one-time passwords, TOTP secrets) are returned once to the caller
to hand over and never stored in the clear except the TOTP secret, which verification
needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from chartvault.auth import passwords, totp
from chartvault.auth.roles import Role, needs_second_factor
from chartvault.auth.tokens import new_id
from chartvault.catalog import accounts as q
from chartvault.errors import UserError
from chartvault.settings import AuthSettings

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


class AccountError(UserError):
    """An account request cannot be carried out (bad name, exists, last admin)."""

    code = "account_error"


@dataclass(frozen=True)
class Enrolment:
    """What to hand to the person once: a first password and/or a TOTP secret."""

    username: str
    one_time_password: str | None = None
    totp_secret: str | None = None

    @property
    def totp_uri(self) -> str | None:
        """otpauth:// URI of the secret (for a QR code)."""
        return totp.provisioning_uri(self.totp_secret, self.username) if self.totp_secret \
            else None


def create(conn: Connection, settings: AuthSettings, *, username: str, roles: frozenset[Role],
           intakes: Sequence[str], at: datetime, by: str, key: bytes) -> Enrolment:
    """A new account with a one-time password (and TOTP when its roles need one)."""
    if not USERNAME.match(username):
        raise AccountError("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
    if username.startswith("svc") or username == "anonymous":
        raise AccountError("that username is reserved")
    if q.by_username(conn, username) is not None:
        raise AccountError("that username is taken")
    first = passwords.one_time_password()
    account_id = new_id("a-")
    q.insert_account(conn, account_id=account_id, username=username,
                     password_hash=passwords.hasher(settings).hash(first), must_change=True,
                     intakes=intakes, at=at, by=by)
    q.replace_roles(conn, account_id, [r.value for r in roles], at, by)
    secret = None
    if needs_second_factor(roles):
        secret = totp.new_secret()
        q.put_totp(conn, account_id, totp.seal(key, secret), at)
    return Enrolment(username, first, secret)


def change_roles(conn: Connection, account_id: str, username: str, roles: frozenset[Role],
                 at: datetime, by: str, key: bytes) -> Enrolment:
    """Set the roles; enrol TOTP if they now need it and none is enrolled."""
    before = q.roles_of(conn, account_id)
    if Role.ADMIN.value in before and Role.ADMIN not in roles and \
            q.holders_of(conn, Role.ADMIN.value) <= 1:
        raise AccountError("the last enabled admin keeps the admin role")
    q.replace_roles(conn, account_id, [r.value for r in roles], at, by)
    secret = None
    if needs_second_factor(roles) and q.totp_of(conn, account_id) is None:
        secret = totp.new_secret()
        q.put_totp(conn, account_id, totp.seal(key, secret), at)
    return Enrolment(username, None, secret)


def reset_password(conn: Connection, settings: AuthSettings, account_id: str,
                   username: str, at: datetime) -> Enrolment:
    """A new one-time password; every token and session of the account is revoked."""
    first = passwords.one_time_password()
    q.set_password(conn, account_id, passwords.hasher(settings).hash(first), must_change=True)
    q.revoke_all(conn, account_id, at)
    q.clear_failures(conn, account_id)
    return Enrolment(username, first, None)


def reset_totp(conn: Connection, account_id: str, username: str, at: datetime,
               key: bytes) -> Enrolment:
    """A new TOTP secret (lost phone); sessions and tokens are revoked."""
    secret = totp.new_secret()
    q.put_totp(conn, account_id, totp.seal(key, secret), at)
    q.revoke_all(conn, account_id, at)
    return Enrolment(username, None, secret)
