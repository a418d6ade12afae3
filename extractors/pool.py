"""One bounded process pool for all pages of all documents.

Workers receive bundles of page references (path, index), never images, and return
PageText; each bundle is one Tesseract run (pages of several documents may share one).
At most ``2 x workers`` bundles are in flight and documents are pulled from the
caller's iterable only as room frees up, so memory stays flat however large the batch.
Each document is yielded as soon as its last page is done. A page that fails makes its
whole document a QuarantineError (never a silently empty page); the run goes on.

Starting the pool costs a second or more (the fork server, then every worker importing
OpenCV, NumPy and Pillow). ``prestart`` lets an entry point begin that before it imports
Prefect and loads its models; the next PagePool with the same settings adopts the warm
pool, so the cores are busy with pages rather than imports when the first one arrives.

``prestart`` can also *read ahead*: the first files waiting in the intake folder are read
(whole, read-only) while the flow is still starting, which otherwise leaves a core idle
for a second. Nothing is claimed or moved by this. A read-ahead result is used only for
the claimed file it was read from: same inode, size and mtime when the pool reaches it,
and the same SHA-256 as the claimed bytes; otherwise it is dropped and the pages are read
as usual.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import multiprocessing
import multiprocessing.context
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from chartvault.errors import QuarantineError
from chartvault.model import PageText
from chartvault.pipeline import crash
from extractors.ocr import OcrOptions, read_pages
from extractors.pages import PageRef, SourceInfo, inspect_source
from extractors.scratch import owner_pid, run_dir, use_in_worker

log = logging.getLogger(__name__)


def _init_worker() -> None:
    _die_with_parent()
    _watch_owner()
    # A SIGTERM handler inherited through fork (the watcher's) would keep a worker alive.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Tesseract's OpenMP threads fight the pool for cores: one thread per process.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    use_in_worker()  # page images and Tesseract's files in the run's private folder
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 is a dependency
        pass


_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def _die_with_parent() -> None:
    """Have the kernel kill this worker when the process that started it dies (Linux).

    Otherwise a pool's workers outlive a parent killed with SIGKILL (the OOM killer,
    systemd's last resort): each waits on a queue whose other end its sibling still
    holds open, for ever; a restarted service would leave two more behind each time.
    Workers are started from the main thread (or by the fork server), the thread whose
    end the kernel watches.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers may outlive a killed parent
        pass


def _watch_owner(every_s: float = 0.5) -> None:
    """Exit when the process that owns the pool is gone, though it is not our parent.

    A fork server's workers are its children, so the kernel's parent-death signal
    watches the fork server; and the fork server lives on as long as a worker holds its
    liveness pipe: after a SIGKILL of the owner both would wait for ever (staging page
    images). The owner's pid comes with the scratch folder's name.
    """
    owner = owner_pid()
    if owner is None or owner == os.getppid():
        return

    def watch() -> None:
        while True:
            time.sleep(every_s)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os.kill(os.getpid(), signal.SIGKILL)
            except PermissionError:  # pragma: no cover - pid reused by another user
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _ready() -> int:
    """No-op task that makes a worker start (and import) before the first page arrives."""
    return os.getpid()


def _context(fork: bool) -> multiprocessing.context.BaseContext:
    """Workers forked from this process, or started by a fork server.

    Forking saves the fork server's own start and imports (0.3 CPU-seconds: 2-3 % of a
    20-document batch on 2 cores), but only a process that has not run OpenCV yet may
    fork: OpenCV's thread pool does not survive it (a worker calling OpenCV would wait
    forever for threads that were not copied). Only an entry point can promise that,
    so forking is its choice (see ``prestart``); the fork server imports the page
    reader once for all workers it starts.
    """
    if fork:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["extractors.ocr"])
    return ctx


def _new_executor(workers: int, fork: bool = False) -> ProcessPoolExecutor:
    # With fork, all workers are started by the first submit (below), before the
    # executor starts its own management thread. The scratch folder is made (and stale
    # ones swept) first: workers, and a fork server started now, inherit its name.
    run_dir()
    pool = ProcessPoolExecutor(workers, mp_context=_context(fork), initializer=_init_worker)
    for _ in range(workers):
        pool.submit(_ready)
    return pool


BUNDLE = 4  # pages per Tesseract run; each run saves ~70 ms of start-up per extra page
READ_AHEAD_MAX_PAGES = BUNDLE  # longer files are not read ahead (one worker, one run)
Fingerprint = tuple[int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns


@dataclass(frozen=True)
class EarlyRead:
    """A whole file read before it was claimed: its SHA-256 and its pages."""

    sha256: str
    pages: list[PageText | QuarantineError]


@dataclass
class _Warm:
    """A prestarted executor and the read-ahead futures it carries."""

    executor: ProcessPoolExecutor
    options: OcrOptions | None = None
    ahead: dict[Fingerprint, Future[EarlyRead | None]] = field(default_factory=dict)
    kept: bool = False  # handed back by a finished run: its workers may have died since


_prestarted: dict[int, _Warm] = {}
_kept: set[int] = set()


def keep_warm(workers: int) -> None:
    """Keep the pool of ``workers`` processes between runs instead of shutting it down.

    For a long-lived process that runs one flow after another (``chartvault watch``):
    each run then starts with its workers up and their imports done. A run that ends in
    an error still shuts its pool down, so the next one starts from fresh workers.
    """
    _kept.add(max(1, workers))


def shutdown_warm() -> None:
    """Stop every pool kept or prestarted in this process (at the end of a service)."""
    _kept.clear()
    while _prestarted:
        _, warm = _prestarted.popitem()
        warm.executor.shutdown(wait=True, cancel_futures=True)


def fingerprint(path: Path) -> Fingerprint:
    """What a rename within one file system keeps: device, inode, size, mtime."""
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def prestart(workers: int, read_ahead: Sequence[Path] = (), options: OcrOptions | None = None,
             max_pages: int = 2000, max_bytes: int = 1 << 30, fork: bool = False) -> None:
    """Start a pool of ``workers`` processes now, for the next PagePool to adopt.

    Returns at once: the workers come up in the background, while the caller goes on
    with its own start-up (imports, Prefect, models). ``read_ahead`` files (at most one
    per worker is sensible) are read whole with ``options`` in the meantime. ``fork``:
    the caller vouches that this process has not run OpenCV nor started a thread.
    """
    workers = max(1, workers)
    if workers not in _prestarted:
        _prestarted[workers] = _Warm(_new_executor(workers, fork))
    warm = _prestarted[workers]
    if not read_ahead or options is None or warm.ahead or not os.path.isdir("/proc/self/fd"):
        return
    warm.options = options
    for path in read_ahead:
        try:
            key = fingerprint(path)
        except OSError:
            continue
        warm.ahead[key] = warm.executor.submit(_read_unclaimed, str(path), options, max_pages,
                                               max_bytes)
    crash.point("read-ahead")


def _read_unclaimed(path: str, options: OcrOptions, max_pages: int,
                    max_bytes: int) -> EarlyRead | None:
    """Every page of a file not yet claimed; None if it cannot be opened or changed.

    The file is read through an open descriptor (``/proc/self/fd``), so the flow may
    claim (rename) it meanwhile; its bytes are hashed before and after. Says nothing
    about why it failed: the claimed file is inspected again, and that is where a bad
    file is quarantined with its reason.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # links are not followed, here either
        return None
    try:
        by_fd = Path(f"/proc/self/fd/{fd}")
        before = sha256_of(by_fd)
        info = inspect_source(by_fd, max_pages=max_pages, max_bytes=max_bytes)
        if len(info.pages) > READ_AHEAD_MAX_PAGES:
            return None  # a long file is better spread over all workers once claimed
        pages = read_pages(info.pages, options)
        if sha256_of(by_fd) != before:
            return None
    except Exception:  # any failure: read it the usual way once claimed
        return None
    finally:
        os.close(fd)
    return EarlyRead(before, pages)


def document_text(pages: Sequence[PageText]) -> str:
    """A document's text: pages separated by form feeds."""
    return "\f".join(p.text for p in pages)


class PagePool:
    """Context manager around a process pool that reads pages."""

    def __init__(self, workers: int, options: OcrOptions, bundle: int = BUNDLE) -> None:
        self.workers = max(1, workers)
        self.options = options
        self.bundle = max(1, bundle)
        self.max_in_flight = 2 * self.workers
        self._pool: ProcessPoolExecutor | None = None
        self._ahead: dict[Fingerprint, Future[EarlyRead | None]] = {}
        self.read_ahead_used = 0  # documents whose pages came from the read-ahead

    def __enter__(self) -> PagePool:
        warm = _prestarted.pop(self.workers, None)
        if warm is not None and warm.kept and not _alive(warm.executor):
            warm = None
        if warm is None:
            self._pool = _new_executor(self.workers)
        else:
            self._pool = warm.executor
            if warm.options == self.options:
                self._ahead = warm.ahead
            else:
                for fut in warm.ahead.values():
                    fut.cancel()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for fut in self._ahead.values():
            fut.cancel()
        self._ahead = {}
        if self._pool is None:
            return
        if exc_type is None and self.workers in _kept and self.workers not in _prestarted:
            _prestarted[self.workers] = _Warm(self._pool, kept=True)
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def _early(self, info: SourceInfo) -> Future[EarlyRead | None] | None:
        """The read-ahead of this (claimed) file, if one was started."""
        if not self._ahead or not info.pages:
            return None
        try:
            return self._ahead.pop(fingerprint(Path(info.pages[0].path)), None)
        except OSError:
            return None

    def run(
        self, docs: Iterable[tuple[str, SourceInfo]]
    ) -> Iterator[tuple[str, list[PageText] | QuarantineError]]:
        """Yield (key, pages) per document as it completes."""
        if self._pool is None:
            raise RuntimeError("PagePool used outside its with-block")
        pool = self._pool
        pending_docs = iter(docs)
        queue: list[tuple[str, PageRef]] = []
        remaining: dict[str, int] = {}
        results: dict[str, list[PageText | QuarantineError]] = {}
        in_flight: dict[Future[list[PageText | QuarantineError]], list[str]] = {}
        early: dict[Future[EarlyRead | None], tuple[str, SourceInfo]] = {}
        exhausted = False

        def refill() -> None:
            nonlocal exhausted
            while len(in_flight) < self.max_in_flight:
                if len(queue) < self.bundle and not exhausted:
                    try:
                        key, info = next(pending_docs)
                    except StopIteration:
                        exhausted = True
                        continue
                    remaining[key] = len(info.pages)
                    results[key] = []
                    ahead = self._early(info)
                    if ahead is not None:
                        early[ahead] = (key, info)
                    else:
                        queue.extend((key, ref) for ref in info.pages)
                    continue
                if not queue:
                    return
                size = self._bundle_size(len(queue), exhausted)
                items, queue[:size] = queue[:size], []
                fut = pool.submit(read_pages, [ref for _, ref in items], self.options)
                in_flight[fut] = [key for key, _ in items]

        refill()
        while in_flight or early:
            watched: list[Future[Any]] = [*in_flight, *early]
            done, _ = wait(watched, return_when=FIRST_COMPLETED)
            for done_early in [f for f in done if f in early]:
                key, info = early.pop(done_early)
                pages = _adopt(done_early, info)
                if pages is None:  # not usable: read the claimed file as usual
                    queue.extend((key, ref) for ref in info.pages)
                    continue
                del remaining[key], results[key]
                self.read_ahead_used += 1
                yield key, _finish(pages)
            for fut in done:
                if fut not in in_flight:
                    continue
                for key, page in zip(in_flight.pop(fut), fut.result(), strict=True):
                    results[key].append(page)
                    remaining[key] -= 1
                    if remaining[key] == 0:
                        yield key, _finish(results.pop(key))
                        del remaining[key]
            refill()

    def _bundle_size(self, queued: int, exhausted: bool) -> int:
        """Pages per Tesseract run: full bundles while work keeps coming.

        Smaller ones at the end, so that the last pages are spread over all workers.
        """
        if not exhausted:
            return min(self.bundle, queued)
        return max(1, min(self.bundle, queued // (2 * self.workers)))


def _alive(executor: ProcessPoolExecutor, timeout_s: float = 60.0) -> bool:
    """Whether a kept pool still answers; if not, it is shut down.

    A worker killed while the pool was idle (by the OOM killer, say) breaks the whole
    executor; finding that out here costs one round trip instead of a failed run.
    """
    try:
        executor.submit(_ready).result(timeout=timeout_s)
        return True
    except Exception:  # BrokenProcessPool, or a worker that hangs
        executor.shutdown(wait=False, cancel_futures=True)
        return False


def _adopt(fut: Future[EarlyRead | None],
           info: SourceInfo) -> list[PageText | QuarantineError] | None:
    """The pages read ahead, if they were read from exactly the bytes now claimed."""
    if fut.cancelled() or fut.exception() is not None:
        return None
    got = fut.result()
    if got is None or len(got.pages) != len(info.pages):
        return None
    if sha256_of(Path(info.pages[0].path)) != got.sha256:
        return None
    return got.pages


def _finish(items: list[PageText | QuarantineError]) -> list[PageText] | QuarantineError:
    errors = [i for i in items if isinstance(i, QuarantineError)]
    if errors:
        return errors[0]
    pages = [i for i in items if isinstance(i, PageText)]
    return sorted(pages, key=lambda p: p.index)
