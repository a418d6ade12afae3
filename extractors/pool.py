"""One bounded process pool for all pages of all documents.

Workers receive page references (path, index), never images, and return PageText; at
most ``2 x workers`` pages are in flight and documents are pulled from the caller's
iterable only as room frees up, so memory stays flat however large the batch. Each
document is yielded as soon as its last page is done. A page that fails makes its whole
document a QuarantineError (never a silently empty page); the run goes on.

Starting the pool costs a second or more (the fork server, then every worker importing
OpenCV, NumPy and Pillow). ``prestart`` lets an entry point begin that before it imports
Prefect and loads its models; the next PagePool with the same settings adopts the warm
pool, so the cores are busy with pages rather than imports when the first one arrives.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType

from chartvault.errors import QuarantineError, QuarantineReason
from chartvault.model import PageText
from extractors.ocr import OcrOptions, read_page
from extractors.pages import PageRef, SourceInfo

log = logging.getLogger(__name__)


def _init_worker() -> None:
    # Tesseract's OpenMP threads fight the pool for cores: one thread per process.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 is a dependency
        pass


def _ready() -> int:
    """No-op task that makes a worker start (and import) before the first page arrives."""
    return os.getpid()


def _new_executor(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("forkserver")
    # Imported once in the fork server, then shared by every worker it forks.
    ctx.set_forkserver_preload(["extractors.ocr"])
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)
    for _ in range(workers):
        pool.submit(_ready)
    return pool


_prestarted: dict[int, ProcessPoolExecutor] = {}


def prestart(workers: int) -> None:
    """Start a pool of ``workers`` processes now, for the next PagePool to adopt.

    Returns at once: the workers come up in the background, while the caller goes on
    with its own start-up (imports, Prefect, models).
    """
    workers = max(1, workers)
    if workers not in _prestarted:
        _prestarted[workers] = _new_executor(workers)


def _read(ref: PageRef, options: OcrOptions) -> PageText | QuarantineError:
    try:
        return read_page(ref, options)
    except QuarantineError as err:
        return err
    except Exception as err:  # any other failure: the document goes to quarantine
        return QuarantineError(QuarantineReason.OCR_FAILED,
                               f"page {ref.index + 1} failed ({type(err).__name__})")


def document_text(pages: Sequence[PageText]) -> str:
    """A document's text: pages separated by form feeds."""
    return "\f".join(p.text for p in pages)


class PagePool:
    """Context manager around a process pool that reads pages."""

    def __init__(self, workers: int, options: OcrOptions) -> None:
        self.workers = max(1, workers)
        self.options = options
        self.max_in_flight = 2 * self.workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PagePool:
        warm = _prestarted.pop(self.workers, None)
        self._pool = warm if warm is not None else _new_executor(self.workers)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

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
        in_flight: dict[Future[PageText | QuarantineError], str] = {}
        exhausted = False

        def refill() -> None:
            nonlocal exhausted
            while len(in_flight) < self.max_in_flight:
                if not queue:
                    if exhausted:
                        return
                    try:
                        key, info = next(pending_docs)
                    except StopIteration:
                        exhausted = True
                        return
                    remaining[key] = len(info.pages)
                    results[key] = []
                    queue.extend((key, ref) for ref in info.pages)
                    continue
                key, ref = queue.pop(0)
                in_flight[pool.submit(_read, ref, self.options)] = key

        refill()
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in done:
                key = in_flight.pop(fut)
                results[key].append(fut.result())
                remaining[key] -= 1
                if remaining[key] == 0:
                    yield key, _finish(results.pop(key))
                    del remaining[key]
            refill()


def _finish(items: list[PageText | QuarantineError]) -> list[PageText] | QuarantineError:
    errors = [i for i in items if isinstance(i, QuarantineError)]
    if errors:
        return errors[0]
    pages = [i for i in items if isinstance(i, PageText)]
    return sorted(pages, key=lambda p: p.index)
