"""The BagIt bag of a release (RFC 8493, the Library of Congress ``bagit`` library)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import bagit

CHECKSUMS = ["sha256"]


def make(folder: Path, info: Mapping[str, str]) -> Path:
    """Turn ``folder`` (its files become the payload under data/) into a bag; validate it."""
    bag = bagit.make_bag(str(folder), dict(info), processes=1, checksums=CHECKSUMS)
    validate(folder)
    return Path(bag.path)


def validate(folder: Path) -> None:
    """Re-read every payload file against the SHA-256 manifest (``bagit`` raises if not)."""
    bagit.Bag(str(folder)).validate(processes=1)
