"""A private scratch folder per run for page images and Tesseract's files.

Staged pages show patient names and birth dates, so they never go to a shared temporary
folder: each process that starts page workers makes ``chartvault-<uid>/run-<pid>-<rand>``
(mode 0700, under /dev/shm when it has room, else the system's temporary folder) and its
workers stage pages and point Tesseract's own temporary files there. A run killed with
SIGKILL cannot clean up, so every start sweeps the folders of processes that no longer
exist; destruction sweeps too. ``CHARTVAULT_SCRATCH_ROOT`` moves the root (tests).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "CHARTVAULT_SCRATCH_DIR"  # "<owner pid>:<folder>", inherited by the workers
ROOT_ENV = "CHARTVAULT_SCRATCH_ROOT"
_SHM_MIN_FREE = 1 << 30


def _base() -> Path:
    explicit = os.environ.get(ROOT_ENV)
    if explicit:
        return Path(explicit)
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= _SHM_MIN_FREE:
            return Path("/dev/shm")
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def root() -> Path:
    """The user's scratch root, created 0700; refused if it is a link or not ours."""
    r = _base() / f"chartvault-{os.getuid()}"
    r.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = r.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise PermissionError("scratch root is not a private folder of this user")
    if stat.S_IMODE(st.st_mode) != 0o700:
        r.chmod(0o700)
    return r


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep() -> int:
    """Remove the scratch folders of runs whose process is gone; how many were removed."""
    try:
        r = root()
    except OSError:
        return 0
    removed = 0
    for d in r.iterdir():
        parts = d.name.split("-")
        if len(parts) != 3 or parts[0] != "run" or not parts[1].isdigit():
            continue
        if not _alive(int(parts[1])):
            shutil.rmtree(d, ignore_errors=True)
            removed += 1
    if removed:
        log.info("%d stale scratch folder(s) of stopped runs removed", removed)
    return removed


def run_dir() -> Path:
    """The scratch folder of this process (made, after a sweep, on first use)."""
    current = os.environ.get(ENV, "")
    owner, _, folder = current.partition(":")
    if owner == str(os.getpid()) and folder and os.path.isdir(folder):
        return Path(folder)
    sweep()
    d = root() / f"run-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    d.mkdir(mode=0o700)
    os.environ[ENV] = f"{os.getpid()}:{d}"
    atexit.register(shutil.rmtree, d, True)
    return d


def inherited_dir() -> str | None:
    """The scratch folder a worker was started with (its parent's), if any."""
    folder = os.environ.get(ENV, "").partition(":")[2]
    return folder if folder and os.path.isdir(folder) else None


def use_in_worker() -> None:
    """Point this worker's temporary files (Tesseract's included) at the scratch folder."""
    folder = inherited_dir()
    if folder:
        tempfile.tempdir = folder
        os.environ["TMPDIR"] = folder


def owner_pid() -> int | None:
    """The pid of the process whose scratch folder this process inherited."""
    owner = os.environ.get(ENV, "").partition(":")[0]
    return int(owner) if owner.isdigit() else None
