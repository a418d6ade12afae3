"""Bearer secrets for API tokens and sign-in sessions: 256 random bits, kept as SHA-256.

A fast hash is enough here (unlike passwords): the secret has 256 bits of entropy, so
there is nothing to guess, and the lookup by hash leaks no timing about the secret.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "cv1_"  # lets secret scanners recognise a leaked chartvault token


def new_secret() -> tuple[str, str]:
    """A new bearer secret and the hash to store."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, secret_hash(token)


def secret_hash(token: str) -> str:
    """What the catalog keeps of a bearer secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_id(prefix: str) -> str:
    """A public id (token, session, account): random, no meaning."""
    return prefix + secrets.token_hex(8)
