"""The object store seam: one protocol, one contract suite, several implementations.

Rules every implementation enforces (the local store in code, S3 through Object Lock):
keys are write-once (same bytes again is a no-op, other bytes are refused); nothing is
deleted before its retain-until or while under legal hold; retention is only extended;
every write is re-read and its SHA-256 verified. Keys carry ids only, never patient data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from chartvault.errors import StorageError
from chartvault.model import ObjectRef

MAX_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows about one object (newest version)."""

    key: str
    size: int
    sha256: str | None
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    retain_until: datetime | None = None
    legal_hold: bool = False
    version_id: str | None = None


@runtime_checkable
class ObjectStore(Protocol):
    """Immutable, lockable object storage."""

    name: str

    def put(self, key: str, data: bytes | Path, *, content_type: str = ...,
            metadata: Mapping[str, str] | None = None, tags: Mapping[str, str] | None = None,
            retain_until: datetime | None = None, legal_hold: bool = False) -> ObjectRef:
        """Write once and verify; same bytes again returns the existing reference."""
        ...

    def get(self, key: str) -> bytes:
        """Whole object."""
        ...

    def download(self, key: str, dest: Path) -> str:
        """Stream to a file; returns the SHA-256 of what was written."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """Metadata, or None when absent."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, sorted."""
        ...

    def delete(self, key: str) -> None:
        """Delete every version; refused under retention or hold (ObjectLocked)."""
        ...

    def set_tags(self, key: str, tags: Mapping[str, str]) -> None:
        """Replace the tags."""
        ...

    def extend_retention(self, key: str, until: datetime) -> None:
        """Move retain-until later; earlier is refused (ObjectLocked)."""
        ...

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Set or clear the legal-hold flag."""
        ...


def validate_key(key: str) -> str:
    """Relative, normalised keys only."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"invalid object key {key!r}")
    return key


def as_utc(when: datetime) -> datetime:
    """Retention dates must be absolute: a naive datetime would shift with the host's zone."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise StorageError("retain-until must be timezone-aware")
    return when.astimezone(UTC)


def validate_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """S3's tag limits, enforced everywhere so the local store cannot drift from S3."""
    tags = dict(tags or {})
    if len(tags) > MAX_TAGS:
        raise StorageError(f"at most {MAX_TAGS} tags per object")
    for k, v in tags.items():
        if not k or len(k) > MAX_TAG_KEY or len(v) > MAX_TAG_VALUE:
            raise StorageError("tag key 1..128 and value 0..256 characters")
    return tags


def sha256_of(data: bytes | Path) -> tuple[str, int]:
    """SHA-256 and size of bytes or a file (streamed)."""
    h = hashlib.sha256()
    if isinstance(data, bytes):
        h.update(data)
        return h.hexdigest(), len(data)
    size = 0
    with data.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
