"""Intake folders: which files are ready, and claiming them.

A file is taken only once its size and mtime have been stable for ``settle_seconds``
(scanners write slowly; a half-written file must not be read). OS junk and our own
dot-folders are ignored. Claiming is an atomic rename into ``<intake>/.chartvault/claims``
on the same file system: the original stays inside the intake folder, in our custody,
until its archived copy is verified and catalogued, and a crashed run finds its claims
there again. File names never reach logs: scans are often named after the patient.

Entries are looked at with ``lstat`` and never followed: a symbolic link, FIFO or device
is claimed as it is (the rename moves the entry, not its target) so that it is
quarantined with its reason rather than read. The claimed file is named ``source`` with
no suffix: nothing derived from the file's name travels further than ``claim.json``.
Each run that takes a claim counts an attempt in its folder; a claim still there after
``MAX_ATTEMPTS`` runs is quarantined rather than tried for ever.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import stat
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
SOURCE = "source"
MAX_ATTEMPTS = 3  # runs that may take a claim before it is quarantined as failing


class ClaimFailed(OSError):
    """A file could not be taken into custody; says so without its name."""


@dataclass(frozen=True)
class Claim:
    """A file taken from an intake folder, identified by a random id (not its name)."""

    claim_id: str
    folder: Path  # the claim's own folder inside the intake's custody area
    intake: str

    @property
    def source(self) -> Path:
        """The claimed entry (``source``; claims of older versions kept a suffix)."""
        plain = self.folder / SOURCE
        if os.path.lexists(plain):
            return plain
        for p in self.folder.iterdir():
            if p.name.startswith(SOURCE + "."):
                return p
        raise ClaimFailed(f"claim {self.claim_id} has no source file")

    @property
    def info_path(self) -> Path:
        """JSON beside the file: original name, size, mtime, claim time."""
        return self.folder / "claim.json"

    def info(self) -> dict[str, object]:
        """What was recorded at claim time (a crash may have left only the file)."""
        try:
            data: dict[str, object] = json.loads(self.info_path.read_text())
            return data
        except (OSError, ValueError):
            at = datetime.fromtimestamp(self.folder.stat().st_mtime, UTC).isoformat()
            return {"original_name": None, "size": None, "mtime": at, "claimed_at": at}

    @property
    def attempts_path(self) -> Path:
        """How many runs have taken this claim (one integer)."""
        return self.folder / "attempts"

    def attempts(self) -> int:
        """Runs that took this claim so far."""
        try:
            return int(self.attempts_path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def count_attempt(self, delta: int = 1) -> int:
        """Count (or, with -1, take back) one run's attempt; returns the new count."""
        n = max(0, self.attempts() + delta)
        tmp = self.folder / "attempts.tmp"
        tmp.write_text(str(n))
        tmp.replace(self.attempts_path)
        return n

    @property
    def pages_path(self) -> Path:
        """OCR results of the claim, so a rerun does not OCR again."""
        return self.folder / "pages.json"


def is_junk(path: Path) -> bool:
    """OS litter, temporary names and hidden files are never ingested."""
    name = path.name.lower()
    return name in _JUNK or name.startswith((".", "~$")) or name.endswith(_TEMP_SUFFIXES)


def ready_files(folder: Path, settle_seconds: float, now: float | None = None) -> Iterator[Path]:
    """Entries under ``folder`` unchanged for ``settle_seconds`` (sorted, junk skipped).

    Regular files, and also links, FIFOs and devices (to be quarantined, never read);
    sub-folders are walked, links to folders are not.
    """
    now = time.time() if now is None else now
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder):
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in links)
        for name in sorted([*files, *links]):
            path = Path(root) / name
            if is_junk(path):
                continue
            try:
                st = path.lstat()
            except OSError:  # gone meanwhile
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            if now - st.st_mtime >= settle_seconds:
                yield path


def census(folder: Path, settle_seconds: float, cap: int = 10_000) -> tuple[int, int, bool]:
    """(settled, still settling, capped): what waits in a folder, counted, never named.

    Counts at most ``cap`` entries so that a status page stays fast on a full folder.
    """
    now = time.time()
    ready = settling = 0
    if not folder.is_dir():
        return 0, 0, False
    for root, dirs, files in os.walk(folder):
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in links]
        for name in [*files, *links]:
            path = Path(root) / name
            if is_junk(path):
                continue
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            if now - st.st_mtime >= settle_seconds:
                ready += 1
            else:
                settling += 1
            if ready + settling >= cap:
                return ready, settling, True
    return ready, settling, False


def settled(path: Path, seconds: float) -> bool:
    """Second look just before claiming: unchanged for ``seconds``."""
    before = path.lstat()
    if time.time() - before.st_mtime >= seconds:
        return True
    time.sleep(seconds)
    after = path.lstat()
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def claims_root(intake_folder: Path) -> Path:
    """Custody area of an intake folder."""
    return intake_folder / CUSTODY_DIR / "claims"


def claim(path: Path, intake_folder: Path, intake: str) -> Claim:
    """Atomically move ``path`` into a new claim folder and record what it was.

    The rename comes first, ``claim.json`` after it: a claim that could not be moved
    leaves nothing behind (no folder, no name on disk), and a crash between the two
    leaves a claim without its record, which ``Claim.info`` tolerates.
    Raises ClaimFailed (no name in it) when the entry cannot be moved.
    """
    claim_id = uuid.uuid4().hex[:16]
    root = claims_root(intake_folder)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / claim_id
    folder.mkdir(mode=0o700)
    try:
        st = path.lstat()
        os.rename(path, folder / SOURCE)  # same file system: atomic; links not followed
    except OSError as err:
        folder.rmdir()
        raise ClaimFailed(f"claim {claim_id}: file could not be moved into custody "
                          f"(errno {err.errno})") from None
    info = {
        "original_name": os.fsdecode(path.relative_to(intake_folder)),
        "size": st.st_size,
        "mtime": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(),
        "claimed_at": datetime.now(UTC).isoformat(),
    }
    tmp = folder / "claim.json.tmp"
    tmp.write_text(json.dumps(info))
    tmp.replace(folder / "claim.json")
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
        if folder.is_dir() and _has_source(folder):
            out.append(Claim(claim_id=folder.name, folder=folder, intake=intake))
    return out


def _has_source(folder: Path) -> bool:
    return any(p.name == SOURCE or p.name.startswith(SOURCE + ".") for p in folder.iterdir())


def clean_orphans(intake_folder: Path) -> int:
    """Remove claim folders left without a file (a crash before the rename); how many."""
    root = claims_root(intake_folder)
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink() and not _has_source(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.info("%d orphan claim folder(s) removed", removed)
    return removed


def release(claim: Claim, processed_dir: Path | None, doc_id: str, ext: str = "") -> None:
    """Archive verified and catalogued: keep a processed copy or drop the intake copy.

    ``ext`` is the extension of the stored type (from the bytes, never the file name).
    """
    if processed_dir is not None:
        processed_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(claim.source), processed_dir / f"{doc_id}{ext}")
    shutil.rmtree(claim.folder)
