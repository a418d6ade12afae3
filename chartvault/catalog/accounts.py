"""Queries over accounts, roles, TOTP secrets and tokens (SQL stays in the catalog).

Functions take the caller's connection so that an account change and its audit event
commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, or_, select, update

from chartvault.catalog.schema import (
    account_roles,
    accounts,
    api_tokens,
    hold_release_requests,
    totp_secrets,
)

# --- accounts ----------------------------------------------------------------------------


def insert_account(conn: Connection, *, account_id: str, username: str,
                   password_hash: str | None, must_change: bool, intakes: Sequence[str],
                   at: datetime, by: str) -> None:
    """A new, enabled account without roles."""
    conn.execute(insert(accounts).values(
        account_id=account_id, username=username, password_hash=password_hash,
        must_change_password=must_change, disabled=False, failed_count=0, locked_until=None,
        intakes=list(intakes), created_at=at, created_by=by))


def by_username(conn: Connection, username: str) -> RowMapping | None:
    """The account with this username."""
    return conn.execute(select(accounts).where(accounts.c.username == username)).mappings().first()


def by_id(conn: Connection, account_id: str) -> RowMapping | None:
    """The account with this id."""
    q = select(accounts).where(accounts.c.account_id == account_id)
    return conn.execute(q).mappings().first()


def all_accounts(conn: Connection) -> Sequence[RowMapping]:
    """Every account, by username."""
    return conn.execute(select(accounts).order_by(accounts.c.username)).mappings().all()


def roles_of(conn: Connection, account_id: str) -> set[str]:
    """Role names held by an account."""
    q = select(account_roles.c.role).where(account_roles.c.account_id == account_id)
    return {r[0] for r in conn.execute(q)}


def replace_roles(conn: Connection, account_id: str, roles: Iterable[str], at: datetime,
                  by: str) -> None:
    """Set an account's roles to exactly ``roles``."""
    conn.execute(delete(account_roles).where(account_roles.c.account_id == account_id))
    for role in sorted(set(roles)):
        conn.execute(insert(account_roles).values(account_id=account_id, role=role,
                                                  granted_at=at, granted_by=by))


def holders_of(conn: Connection, role: str) -> int:
    """Enabled accounts holding ``role``."""
    q = (select(func.count()).select_from(account_roles.join(
        accounts, accounts.c.account_id == account_roles.c.account_id))
        .where(account_roles.c.role == role, accounts.c.disabled.is_(False)))
    return int(conn.execute(q).scalar() or 0)


def record_failure(conn: Connection, account_id: str, max_failures: int,
                   lock_until: datetime) -> int:
    """Count a failed sign-in; at ``max_failures`` in a row the account locks."""
    conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                 .values(failed_count=accounts.c.failed_count + 1))
    count = int(conn.execute(select(accounts.c.failed_count)
                             .where(accounts.c.account_id == account_id)).scalar() or 0)
    if count >= max_failures:
        conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                     .values(locked_until=lock_until, failed_count=0))
    return count


def clear_failures(conn: Connection, account_id: str) -> None:
    """A successful sign-in (or an admin's unlock) resets the count and the lock."""
    conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                 .values(failed_count=0, locked_until=None))


def set_password(conn: Connection, account_id: str, password_hash: str,
                 must_change: bool) -> None:
    """Store a new password hash."""
    conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                 .values(password_hash=password_hash, must_change_password=must_change))


def set_disabled(conn: Connection, account_id: str, disabled: bool) -> None:
    """Disable (or re-enable) an account."""
    conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                 .values(disabled=disabled))


def set_intakes(conn: Connection, account_id: str, intakes: Sequence[str]) -> None:
    """The intake folders a scanner account works."""
    conn.execute(update(accounts).where(accounts.c.account_id == account_id)
                 .values(intakes=list(intakes)))


# --- TOTP --------------------------------------------------------------------------------


def totp_of(conn: Connection, account_id: str) -> RowMapping | None:
    """The account's TOTP secret and last accepted step."""
    q = select(totp_secrets).where(totp_secrets.c.account_id == account_id)
    return conn.execute(q).mappings().first()


def put_totp(conn: Connection, account_id: str, secret: str, at: datetime) -> None:
    """Enrol (or re-enrol) a TOTP secret."""
    conn.execute(delete(totp_secrets).where(totp_secrets.c.account_id == account_id))
    conn.execute(insert(totp_secrets).values(account_id=account_id, secret=secret,
                                             last_step=0, created_at=at))


def reseal_totp(conn: Connection, account_id: str, sealed: str) -> None:
    """Replace a plain stored secret by its sealed form (same secret, same last step)."""
    conn.execute(update(totp_secrets).where(totp_secrets.c.account_id == account_id)
                 .values(secret=sealed))


def advance_totp(conn: Connection, account_id: str, step: int) -> bool:
    """Mark ``step`` used; False when it (or a later one) already was (a replay)."""
    res = conn.execute(update(totp_secrets).where(
        totp_secrets.c.account_id == account_id, totp_secrets.c.last_step < step)
        .values(last_step=step))
    return bool(res.rowcount)


# --- tokens and sessions -----------------------------------------------------------------


def insert_token(conn: Connection, **values: Any) -> None:
    """Store a token (hash only)."""
    conn.execute(insert(api_tokens).values(**values))


@dataclass(frozen=True)
class TokenRow:
    """What one bearer lookup returns."""

    token_id: str
    account_id: str
    username: str
    kind: str
    mfa: bool
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool
    disabled: bool
    roles: frozenset[str]  # roles the token may use now (the scope, if still held)


_LOOKUP = (
    select(api_tokens.c.token_id, api_tokens.c.account_id, accounts.c.username,
           api_tokens.c.kind, api_tokens.c.mfa, api_tokens.c.expires_at,
           api_tokens.c.last_used_at, api_tokens.c.revoked_at, accounts.c.disabled,
           account_roles.c.role)
    .select_from(api_tokens.join(accounts, accounts.c.account_id == api_tokens.c.account_id)
                 .outerjoin(account_roles, and_(
                     account_roles.c.account_id == api_tokens.c.account_id,
                     or_(api_tokens.c.role.is_(None), account_roles.c.role == api_tokens.c.role))))
)


def lookup_token(conn: Connection, token_hash: str) -> TokenRow | None:
    """One query: the token, its account and the roles it may use."""
    rows = conn.execute(_LOOKUP.where(api_tokens.c.token_hash == token_hash)).all()
    if not rows:
        return None
    r = rows[0]
    return TokenRow(token_id=r.token_id, account_id=r.account_id, username=r.username,
                    kind=r.kind, mfa=bool(r.mfa), expires_at=r.expires_at,
                    last_used_at=r.last_used_at, revoked=r.revoked_at is not None,
                    disabled=bool(r.disabled),
                    roles=frozenset(x.role for x in rows if x.role is not None))


def touch_token(conn: Connection, token_id: str, at: datetime) -> None:
    """Record use (sessions end after an idle time counted from here)."""
    conn.execute(update(api_tokens).where(api_tokens.c.token_id == token_id)
                 .values(last_used_at=at))


def revoke_token(conn: Connection, token_id: str, at: datetime,
                 account_id: str | None = None) -> bool:
    """Revoke one token (of ``account_id`` when given); False if no such live token."""
    q = update(api_tokens).where(api_tokens.c.token_id == token_id,
                                 api_tokens.c.revoked_at.is_(None))
    if account_id is not None:
        q = q.where(api_tokens.c.account_id == account_id)
    return bool(conn.execute(q.values(revoked_at=at)).rowcount)


def revoke_all(conn: Connection, account_id: str, at: datetime) -> int:
    """Revoke every live token and session of an account (disable, password change)."""
    res = conn.execute(update(api_tokens).where(api_tokens.c.account_id == account_id,
                                                api_tokens.c.revoked_at.is_(None))
                       .values(revoked_at=at))
    return int(res.rowcount)


def tokens_of(conn: Connection, account_id: str | None, kind: str = "api") -> Sequence[RowMapping]:
    """Tokens (never their hashes) of one account, or of all, newest first."""
    cols = [c for c in api_tokens.c if c.name != "token_hash"]
    q = (select(*cols, accounts.c.username)
         .select_from(api_tokens.join(accounts, accounts.c.account_id == api_tokens.c.account_id))
         .where(api_tokens.c.kind == kind).order_by(api_tokens.c.created_at.desc()))
    if account_id is not None:
        q = q.where(api_tokens.c.account_id == account_id)
    return conn.execute(q).mappings().all()


# --- second-person hold release ----------------------------------------------------------


def release_request(conn: Connection, hold_id: str) -> RowMapping | None:
    """The pending release of a hold, if one was asked."""
    q = select(hold_release_requests).where(hold_release_requests.c.hold_id == hold_id)
    return conn.execute(q).mappings().first()


def put_release_request(conn: Connection, hold_id: str, by: str, at: datetime) -> None:
    """First legal account asks for a release."""
    conn.execute(insert(hold_release_requests).values(hold_id=hold_id, requested_by=by,
                                                      requested_at=at))


def drop_release_request(conn: Connection, hold_id: str) -> None:
    """The release happened (or the request is void)."""
    conn.execute(delete(hold_release_requests).where(hold_release_requests.c.hold_id == hold_id))
