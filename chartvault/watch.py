"""The intake watcher: one warm process that ingests files as soon as they settle.

A scheduled poll starts a new process for every flow run (Prefect's runner and workers
do), and each pays about 2.2 CPU-seconds before its first page: importing Prefect and
spaCy, loading the models, starting the OCR workers. On 2 cores that is a tenth of a
20-document batch, and the files wait for the next poll besides. The watcher pays it
once: it starts the OCR workers, imports the flow and loads the models, then looks at
the intake folders every ``poll_s`` seconds and runs the ingest flow in its own process
(a Prefect flow run like any other, recorded on the server) as soon as a folder holds
settled files. The OCR workers stay up between runs; runs over one folder never overlap
(``exclusive_run``), whoever else starts one. Its runs go without Prefect's heartbeats,
as the CLI's do (see ``runtime.foreground_run``): if the watcher dies mid-run, its claims
stay in custody and its next start finishes them first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from chartvault.pipeline.intake import exclusive_run, ready_files
from chartvault.runtime import foreground_run
from chartvault.settings import Settings

log = logging.getLogger(__name__)

BatchReport = Callable[[dict[str, Any], float], None]  # (batch summary, seconds)


class IntakeWatcher:
    """Runs the ingest flow in-process whenever an intake folder has settled files."""

    def __init__(self, settings: Settings, report: BatchReport, poll_s: float = 2.0) -> None:
        self.settings = settings
        self.report = report
        self.poll_s = poll_s
        self.failures = 0  # consecutive runs that raised

    def warm(self, fork: bool = False) -> None:
        """Start the OCR workers, import the flow and load the models, before any file.

        ``fork``: the caller vouches that this process has run no OpenCV and started no
        thread yet (see ``extractors.pool``); the workers are forked, not spawned.
        """
        from extractors.pool import keep_warm, prestart

        workers = self.settings.ocr.worker_count()
        prestart(workers, fork=fork)
        keep_warm(workers)
        import flows.ingest  # noqa: F401  (Prefect and the pipeline, imported once)
        from chartvault.pipeline.understand import default_models

        default_models(self.settings.classifier_model)

    def waiting(self) -> list[str]:
        """Names of the intake folders holding a settled file and not being ingested.

        A folder another run holds (a long ``chartvault ingest``, say) is left alone
        rather than tried at every poll: each try would be a flow run on the server.
        """
        out = []
        for intake in self.settings.intakes:
            folder = self.settings.intake_path(intake)
            if next(ready_files(folder, self.settings.settle_seconds), None) is None:
                continue
            with exclusive_run(folder) as free:
                if free:
                    out.append(intake.name)
        return out

    def run_once(self, names: list[str] | None = None) -> int:
        """Ingest the named intake folders (default: all); returns documents handled."""
        from flows.ingest import ingest

        handled = 0
        for name in names if names is not None else [i.name for i in self.settings.intakes]:
            t0 = time.perf_counter()
            try:
                with foreground_run():
                    batches = ingest(intake=name)
            except Exception as err:  # the flow run is FAILED on the server; go on
                self.failures += 1
                log.error("ingest of intake %s failed (%s); retrying at the next poll",
                          name, type(err).__name__)
                continue
            self.failures = 0
            seconds = time.perf_counter() - t0
            for b in batches:
                handled += sum(b[k] for k in ("archived", "duplicates", "quarantined"))
                self.report(b, seconds)
        return handled

    def serve_forever(self, stop: threading.Event, first_pass: bool = True) -> None:
        """Poll until ``stop`` is set.

        The first pass runs every folder once, finishing claims a crashed run left in
        custody (``first_pass=False`` when the caller did it). After a run the folders
        are looked at again at once (scanners kept writing meanwhile); after a failed
        run the wait doubles, up to 5 minutes.
        """
        if first_pass:
            self.run_once()
        while not stop.is_set():
            names = self.waiting()
            if names and self.run_once(names):
                continue
            stop.wait(min(300.0, self.poll_s * 2 ** min(self.failures, 8)))

    def close(self) -> None:
        """Stop the OCR workers kept between runs."""
        from extractors.pool import shutdown_warm

        shutdown_warm()
