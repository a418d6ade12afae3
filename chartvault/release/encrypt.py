"""The optional encrypted archive of a bag: a zip with AES-256 (WinZip AE-2, ``pyzipper``).

The passphrase goes to the requester by another channel; it is never stored or logged.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pyzipper


def new_passphrase() -> str:
    """A passphrase of 128 random bits, easy to read out (groups of letters and digits)."""
    raw = secrets.token_hex(16)
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def zip_folder(folder: Path, out: Path, passphrase: str) -> Path:
    """Every file under ``folder`` into ``out``, AES-256 encrypted, paths relative to it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(passphrase.encode())
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, arcname=f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return out
