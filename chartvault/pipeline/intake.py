"""Intake folders: which files are ready, and claiming them.

A file is taken only once its size and mtime have been stable for ``settle_seconds``
(scanners write slowly; a half-written file must not be read). OS junk and our own
dot-folders are ignored. Claiming is an atomic rename into ``<intake>/.chartvault/claims``
on the same file system: the original stays inside the intake folder, in our custody,
until its archived copy is verified and catalogued, and a crashed run finds its claims
there again. File names never reach logs: scans are often named after the patient.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

CUSTODY_DIR = ".chartvault"
_JUNK = {".ds_store", "thumbs.db", "desktop.ini"}
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


@dataclass(frozen=True)
class Claim:
    """A file taken from an intake folder, identified by a random id (not its name)."""

    claim_id: str
    folder: Path  # the claim's own folder inside the intake's custody area
    intake: str

    @property
    def source(self) -> Path:
        """The claimed file (renamed to ``source`` plus its suffix)."""
        for p in self.folder.iterdir():
            if p.name.startswith("source"):
                return p
        raise FileNotFoundError(f"claim {self.claim_id} has no source file")

    @property
    def info_path(self) -> Path:
        """JSON beside the file: original name, size, mtime, claim time."""
        return self.folder / "claim.json"

    def info(self) -> dict[str, object]:
        """What was recorded at claim time."""
        data: dict[str, object] = json.loads(self.info_path.read_text())
        return data

    @property
    def pages_path(self) -> Path:
        """OCR results of the claim, so a rerun does not OCR again."""
        return self.folder / "pages.json"


def is_junk(path: Path) -> bool:
    """OS litter, temporary names and hidden files are never ingested."""
    name = path.name.lower()
    return name in _JUNK or name.startswith((".", "~$")) or name.endswith(_TEMP_SUFFIXES)


def ready_files(folder: Path, settle_seconds: float, now: float | None = None) -> Iterator[Path]:
    """Files under ``folder`` unchanged for ``settle_seconds`` (sorted, junk skipped)."""
    now = time.time() if now is None else now
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if is_junk(path) or not path.is_file():
                continue
            st = path.stat()
            if now - st.st_mtime >= settle_seconds:
                yield path


def settled(path: Path, seconds: float) -> bool:
    """Second look just before claiming: unchanged for ``seconds``."""
    before = path.stat()
    if time.time() - before.st_mtime >= seconds:
        return True
    time.sleep(seconds)
    after = path.stat()
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def claims_root(intake_folder: Path) -> Path:
    """Custody area of an intake folder."""
    return intake_folder / CUSTODY_DIR / "claims"


def claim(path: Path, intake_folder: Path, intake: str) -> Claim:
    """Atomically move ``path`` into a new claim folder and record what it was."""
    claim_id = uuid.uuid4().hex[:16]
    folder = claims_root(intake_folder) / claim_id
    folder.mkdir(parents=True)
    st = path.stat()
    info = {
        "original_name": str(path.relative_to(intake_folder)),
        "size": st.st_size,
        "mtime": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(),
        "claimed_at": datetime.now(UTC).isoformat(),
    }
    (folder / "claim.json").write_text(json.dumps(info))
    suffix = path.suffix.lower()[:10]
    os.rename(path, folder / f"source{suffix}")  # same file system: atomic
    log.debug("claimed %s", claim_id)
    return Claim(claim_id=claim_id, folder=folder, intake=intake)


@contextmanager
def exclusive_run(intake_folder: Path) -> Iterator[bool]:
    """Hold the intake folder's run lock for a run; yields False if another run holds it.

    A run takes the claims an earlier run left behind as its own (that is how a crashed
    run is finished), so two runs over one folder at the same time would both file the
    same claims: a scheduled poll overlapping the intake watcher or a ``chartvault
    ingest``. The lock is an ``flock`` on a file in the custody area: the kernel drops it
    when its holder exits, however it exits, so a crash never leaves the folder locked.
    """
    root = intake_folder / CUSTODY_DIR
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / "run.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def pending_claims(intake_folder: Path, intake: str) -> list[Claim]:
    """Claims left by an earlier run (crash or stop): they are finished first."""
    root = claims_root(intake_folder)
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and any(p.name.startswith("source") for p in folder.iterdir()):
            out.append(Claim(claim_id=folder.name, folder=folder, intake=intake))
    return out


def release(claim: Claim, processed_dir: Path | None, doc_id: str) -> None:
    """Archive verified and catalogued: keep a processed copy or drop the intake copy."""
    if processed_dir is not None:
        processed_dir.mkdir(parents=True, exist_ok=True)
        src = claim.source
        shutil.move(str(src), processed_dir / f"{doc_id}{src.suffix}")
    shutil.rmtree(claim.folder)
