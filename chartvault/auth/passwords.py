"""argon2id password hashes, and a decoy so that an unknown user costs a real verify.

The decoy hash is made once per parameter set with the same costs as real hashes, so a
sign-in for a name that does not exist spends the same argon2 time as a wrong password:
the response time does not tell which names exist.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chartvault.errors import ChartvaultError
from chartvault.settings import AuthSettings


class WeakPassword(ChartvaultError):
    """A new password does not meet the site's rule (length)."""

    code = "weak_password"


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1,
                          hash_len=32, salt_len=16, type=Type.ID)


def hasher(settings: AuthSettings) -> PasswordHasher:
    """The argon2id hasher for the site's costs."""
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


@lru_cache(maxsize=4)
def _decoy(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash(secrets.token_urlsafe(24))


def hash_password(settings: AuthSettings, password: str) -> str:
    """PHC string of a new password; refuses passwords shorter than the site minimum."""
    if len(password) < settings.min_password_length:
        raise WeakPassword(f"a password needs at least {settings.min_password_length} characters")
    return hasher(settings).hash(password)


def verify_password(settings: AuthSettings, stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; with no stored hash, verifies a decoy."""
    ph = hasher(settings)
    target = stored or _decoy(settings.argon2_time_cost, settings.argon2_memory_kib)
    try:
        ok = ph.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok) and stored is not None


def warm_decoy(settings: AuthSettings) -> None:
    """Compute the decoy now, so the first unknown-user sign-in is not the slow one."""
    _decoy(settings.argon2_time_cost, settings.argon2_memory_kib)


def one_time_password() -> str:
    """A random first password (120 bits), shown once and changed at first sign-in."""
    return secrets.token_urlsafe(15)
