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
stay in custody, and its next start marks that run Crashed (``orphans``) and files them.
Claims left in custody while it keeps running (a run that failed half-way, documents
deferred during a storage or catalog outage) are revisited every ``claims_every_s``
seconds, new files or not: they do not wait for the next drop or the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chartvault.orphans import mark_orphans, run_tags
from chartvault.pipeline.intake import exclusive_run, pending_claims, ready_files
from chartvault.pipeline.understand import MODEL_STRINGS_LIMIT
from chartvault.runtime import foreground_run
from chartvault.settings import Settings

log = logging.getLogger(__name__)

BatchReport = Callable[[dict[str, Any], float], None]  # (batch summary, seconds)


def handled(batch: dict[str, Any]) -> int:
    """Documents a batch took out of the intake folder: archived, duplicate or quarantined."""
    return int(batch["archived"] + batch["duplicates"] + batch["quarantined"])


class IntakeWatcher:
    """Runs the ingest flow in-process whenever an intake folder has settled files."""

    def __init__(self, settings: Settings, report: BatchReport, poll_s: float = 0.25,
                 model_strings_limit: int = MODEL_STRINGS_LIMIT,
                 claims_every_s: float | None = None
                 ) -> None:
        self.settings = settings
        self.report = report
        self.poll_s = poll_s
        self.claims_every_s = (settings.schedules.watch_claims_every_s
                               if claims_every_s is None else claims_every_s)
        self._custody_run: dict[str, float] = {}  # intake -> monotonic time of its last run
        self.model_strings_limit = model_strings_limit  # strings added since loading
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
        self.recycle_models()  # notes the models' size at load
        try:
            mark_orphans()
        except Exception as err:  # the server unreachable for now: not a reason to stop
            log.warning("could not look for runs of a stopped watcher (%s)",
                        type(err).__name__)

    def recycle_models(self) -> bool:
        """Reload the models once they have grown past the limit (see ``renew_models``)."""
        from chartvault.pipeline.understand import renew_models

        renewed = renew_models(self.settings.classifier_model, self.model_strings_limit)
        if renewed:
            log.info("models reloaded (over %d strings added since loading)",
                     self.model_strings_limit)
        return renewed

    def waiting(self) -> list[str]:
        """Names of the intake folders holding a settled file and not being ingested.

        A folder another run holds (a long ``chartvault ingest``, say) is left alone
        rather than tried at every poll: each try would be a flow run on the server.
        """
        out = []
        for intake in self.settings.intakes:
            folder = self.settings.intake_path(intake)
            if next(ready_files(folder, self.settings.settle_seconds), None) is None \
                    and not self._custody_due(intake.name, folder):
                continue
            with exclusive_run(folder) as free:
                if free:
                    out.append(intake.name)
        return out

    def _custody_due(self, name: str, folder: Path) -> bool:
        """Claims are in custody and were last run over ``claims_every_s`` ago (or never)."""
        last = self._custody_run.get(name)
        if last is not None and time.monotonic() - last < self.claims_every_s:
            return False
        return bool(pending_claims(folder, name))

    def run_once(self, names: list[str] | None = None) -> int:
        """Ingest the named intake folders (default: all); returns documents handled.

        Named folders had files waiting: a run that handles none of them counts as a
        failure (the wait before the next try doubles), so a file that cannot be taken
        never makes a flow run every ``poll_s``.
        """
        from prefect import tags

        from flows.ingest import ingest

        total = 0
        for name in names if names is not None else [i.name for i in self.settings.intakes]:
            self._custody_run[name] = time.monotonic()  # its claims are taken up now
            t0 = time.perf_counter()
            try:
                with tags(*run_tags()), foreground_run():
                    batches = ingest(intake=name)
            except Exception as err:  # the flow run is FAILED on the server; go on
                self.failures += 1
                log.error("ingest of intake %s failed (%s); retrying at the next poll",
                          name, type(err).__name__)
                continue
            seconds = time.perf_counter() - t0
            self.recycle_models()
            done = sum(handled(b) for b in batches)
            if done:
                self.failures = 0
            elif names is not None:
                self.failures += 1
            total += done
            for b in batches:
                self.report(b, seconds)
        return total

    def serve_forever(self, stop: threading.Event, first_pass: bool = True) -> None:
        """Poll until ``stop`` is set.

        The first pass runs every folder once, finishing claims a crashed run left in
        custody (``first_pass=False`` when the caller did it). After a run the folders
        are looked at again at once (scanners kept writing meanwhile); after a failed
        run, or one that handled none of the files it was started for, the wait doubles,
        up to 5 minutes.
        """
        if first_pass:
            self.run_once()
        while not stop.is_set():
            names = self.waiting()
            if names and self.run_once(names):
                continue
            stop.wait(self.delay())

    def delay(self) -> float:
        """Seconds until the next look: ``poll_s``, doubled per failure, at most 300."""
        return min(300.0, self.poll_s * float(2 ** min(self.failures, 12)))

    def close(self) -> None:
        """Stop the OCR workers kept between runs."""
        from extractors.pool import shutdown_warm

        shutdown_warm()
