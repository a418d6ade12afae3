"""Installation keys: random bytes in a 0600 file under the data directory, made once.

They seal what must not be readable from a copy of the catalog alone (TOTP secrets) and
sign what a browser carries (CSRF tokens). At scale-out, the same key is given to every
process through settings instead of a file.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def load_or_create(path: Path, size: int = 32) -> bytes:
    """The key in ``path``, created (0600, exclusively) if there is none yet."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(size)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


def from_setting(value: str) -> bytes:
    """A key given in settings as base64 (``openssl rand -base64 32``)."""
    key = base64.b64decode(value.strip(), validate=True)
    if len(key) != 32:
        raise ValueError("a key setting must be 32 bytes, base64-encoded")
    return key
