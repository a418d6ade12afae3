"""Local directory object store: the embedded default.

Objects live at ``<root>/<key>``, written to a temporary name, fsynced and linked into
place (``os.link`` fails if the key exists: write-once without a race), then made
read-only. A sidecar ``<root>/.meta/<key>.json`` holds the SHA-256, content type,
metadata, tags, retain-until and legal hold. The rules S3 Object Lock enforces are
enforced here in code; the clock is injectable so tests can stand after retain-until.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chartvault.errors import IntegrityError, ObjectExists, ObjectLocked, StorageError
from chartvault.model import ObjectRef
from storage.base import ObjectInfo, as_utc, sha256_of, validate_key, validate_tags

META = ".meta"


def _now() -> datetime:
    return datetime.now(UTC)


class LocalObjectStore:
    """Write-once files under a root directory."""

    name = "local"

    def __init__(self, root: Path, *, clock: Callable[[], datetime] = _now) -> None:
        self.root = root
        self.clock = clock
        (root / META).mkdir(parents=True, exist_ok=True)

    # --- paths and sidecars -------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / META / (validate_key(key) + ".json")

    def _read_meta(self, key: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self._meta_path(key).read_text())
            return data
        except FileNotFoundError:
            return None

    def _write_meta(self, key: str, meta: Mapping[str, Any]) -> None:
        path = self._meta_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as f:
            json.dump(meta, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    # --- protocol ---------------------------------------------------------------------

    def put(self, key: str, data: bytes | Path, *, content_type: str = "application/octet-stream",
            metadata: Mapping[str, str] | None = None, tags: Mapping[str, str] | None = None,
            retain_until: datetime | None = None, legal_hold: bool = False) -> ObjectRef:
        """Write once, verify by re-reading."""
        path = self._path(key)
        tags_ = validate_tags(tags)
        until = as_utc(retain_until) if retain_until is not None else None
        sha, size = sha256_of(data)
        existing = self._read_meta(key)
        if existing is not None and path.exists():
            if existing["sha256"] == sha:
                return self._ref(key, existing)
            raise ObjectExists(f"object {key} exists with other content")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                if isinstance(data, bytes):
                    f.write(data)
                else:
                    with data.open("rb") as src:
                        shutil.copyfileobj(src, f, 1 << 20)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                if sha256_of(path)[0] != sha:
                    raise ObjectExists(f"object {key} exists with other content") from None
        finally:
            os.unlink(tmp)
        if sha256_of(path)[0] != sha:
            raise IntegrityError(f"object {key}: read-back SHA-256 differs")
        os.chmod(path, 0o400)  # write-once, owner only
        meta = {
            "sha256": sha, "size": size, "content_type": content_type,
            "metadata": {**dict(metadata or {}), "sha256": sha}, "tags": tags_,
            "retain_until": until.isoformat() if until else None,
            "legal_hold": legal_hold, "created": self.clock().isoformat(),
        }
        self._write_meta(key, meta)
        return self._ref(key, meta)

    def _ref(self, key: str, meta: Mapping[str, Any]) -> ObjectRef:
        return ObjectRef(key=key, sha256=meta["sha256"], size=meta["size"],
                         content_type=meta["content_type"])

    def get(self, key: str) -> bytes:
        """Whole object."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no object {key}") from None

    def download(self, key: str, dest: Path) -> str:
        """Copy to ``dest``; returns the SHA-256 of the copy."""
        src = self._path(key)
        if not src.exists():
            raise StorageError(f"no object {key}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return sha256_of(dest)[0]

    def head(self, key: str) -> ObjectInfo | None:
        """Sidecar metadata, or None."""
        meta = self._read_meta(key)
        if meta is None or not self._path(key).exists():
            return None
        until = meta.get("retain_until")
        return ObjectInfo(
            key=key, size=meta["size"], sha256=meta["sha256"],
            content_type=meta["content_type"], metadata=dict(meta.get("metadata", {})),
            tags=dict(meta.get("tags", {})),
            retain_until=datetime.fromisoformat(until) if until else None,
            legal_hold=bool(meta.get("legal_hold")),
        )

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under ``prefix``, sorted."""
        base = self.root
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            rel_dir = os.path.relpath(dirpath, base)
            if rel_dir == META or rel_dir.startswith(META + os.sep):
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if d != META]
            for name in filenames:
                if name.startswith(".tmp-"):
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def _check_unlocked(self, key: str, meta: Mapping[str, Any]) -> None:
        if meta.get("legal_hold"):
            raise ObjectLocked(f"object {key} is under legal hold")
        until = meta.get("retain_until")
        if until and datetime.fromisoformat(until) > self.clock():
            raise ObjectLocked(f"object {key} is retained until {until[:10]}")

    def delete(self, key: str) -> None:
        """Delete if neither retained nor held; absent keys are a no-op."""
        meta = self._read_meta(key)
        path = self._path(key)
        if meta is None and not path.exists():
            return
        if meta is not None:
            self._check_unlocked(key, meta)
        if path.exists():
            os.chmod(path, 0o600)
            path.unlink()
        self._meta_path(key).unlink(missing_ok=True)

    def _require(self, key: str) -> dict[str, Any]:
        meta = self._read_meta(key)
        if meta is None:
            raise StorageError(f"no object {key}")
        return meta

    def set_tags(self, key: str, tags: Mapping[str, str]) -> None:
        """Replace the tags (allowed under retention, as on S3)."""
        meta = self._require(key)
        meta["tags"] = validate_tags(tags)
        self._write_meta(key, meta)

    def extend_retention(self, key: str, until: datetime) -> None:
        """Later only."""
        until = as_utc(until)
        meta = self._require(key)
        current = meta.get("retain_until")
        if current and datetime.fromisoformat(current) > until:
            raise ObjectLocked(f"object {key}: retention can only be extended")
        meta["retain_until"] = until.isoformat()
        self._write_meta(key, meta)

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Set or clear the hold flag."""
        meta = self._require(key)
        meta["legal_hold"] = on
        self._write_meta(key, meta)
