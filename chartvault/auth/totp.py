"""Time-based one-time passwords (RFC 6238, 30 s steps, 6 digits) with replay refusal.

A code is accepted for the step before, the current and the next step (clock drift),
and only for a step later than the last one this account used: a code seen over a
shoulder or in a log cannot be used again.
"""

from __future__ import annotations

import base64
import hmac
import os
import time

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

STEP_S = 30
ISSUER = "chartvault"


def new_secret() -> str:
    """A fresh 160-bit base32 secret."""
    return pyotp.random_base32(32)


SEALED = "g1:"  # AES-256-GCM under the installation's TOTP key
_AAD = b"chartvault totp secret"


def seal(key: bytes, secret: str) -> str:
    """The secret encrypted for the catalog: a stolen database copy yields no codes."""
    nonce = os.urandom(12)
    box = AESGCM(key).encrypt(nonce, secret.encode(), _AAD)
    return SEALED + base64.urlsafe_b64encode(nonce + box).decode()


def unseal(key: bytes, stored: str) -> str:
    """The secret from its catalog form (a row from before sealing is plain base32)."""
    if not stored.startswith(SEALED):
        return stored
    raw = base64.urlsafe_b64decode(stored[len(SEALED):])
    return AESGCM(key).decrypt(raw[:12], raw[12:], _AAD).decode()


def provisioning_uri(secret: str, username: str) -> str:
    """otpauth:// URI for authenticator apps (shown once, at enrolment)."""
    return pyotp.TOTP(secret, interval=STEP_S).provisioning_uri(name=username,
                                                                issuer_name=ISSUER)


def matching_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to, if valid and newer than ``last_step``."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    otp = pyotp.TOTP(secret, interval=STEP_S)
    current = int((time.time() if now is None else now) // STEP_S)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(otp.generate_otp(step), code) and step > last_step:
            return step
    return None
