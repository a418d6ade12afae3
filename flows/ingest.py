"""The ingest flow: intake folder -> archive, as Prefect tasks over plain steps.

Reads top to bottom like the records room's process: claim what the scanners left,
open each file (or quarantine it) as the pool has room, OCR all pages of all files in one
bounded pool, and file each document as soon as its pages are done. Filing is one task
per batch running in a background thread (the flow's task runner) and fed through a
queue, so the OCR pool is never left waiting while a document is classified, stored and
catalogued. A task per document cost the Prefect server and client about 40 ms of CPU per
document, taken from the OCR workers on a small machine; each document's outcome is
logged (ids only) and a document that fails after its retries stays in custody for the
next run. Parameters are intake names; tasks pass claims (random ids and paths inside our
custody area), never text or names. Results are not persisted: for us they would be
patient data. Claiming and opening run inside the same PHI boundary as filing
(``phi_safe``): an exception that reaches Prefect names a step and an id, never a file.

``run_intake(..., plain=True)`` runs the same steps without Prefect (tests, crash
matrix): the claims are taken and the documents filed in this thread.
"""

from __future__ import annotations

import logging
import time
from queue import Queue
from typing import Any, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from chartvault import anchors
from chartvault.catalog import Catalog
from chartvault.errors import ChartvaultError, phi_safe
from chartvault.pipeline.archive import Filed
from chartvault.pipeline.batch import IngestRun
from chartvault.pipeline.intake import Claim, exclusive_run
from chartvault.pipeline.outage import Backoff, Outage, OutageState, outage_of
from chartvault.pipeline.quarantine import Quarantined
from chartvault.pipeline.understand import renew_models
from chartvault.settings import RetrySettings, Settings
from extractors.pages import SourceInfo
from flows.base import flow
from storage.factory import open_store

log = logging.getLogger(__name__)

@task(name="claim", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE,
      persist_result=False)
def claim_files(run: IngestRun) -> list[Claim]:
    """Take every settled file into custody (opening them is left to the OCR step)."""
    with phi_safe("claim", run.batch_id):
        return run.claim_all()


FILE_ATTEMPTS = 3  # a document's own failure (not an outage) is tried this often
_DONE = None  # end of the batch on the filing queue


class Deferred:
    """A document left in custody because storage or the catalog was unavailable."""

    def __init__(self, outage: Outage) -> None:
        self.outage = outage


def _backoff(run: IngestRun, attempts: int | None, delay_s: float | None) -> Backoff:
    retry = getattr(getattr(run, "settings", None), "retry", None) or RetrySettings()
    n = attempts if attempts is not None else retry.attempts
    if delay_s is not None:
        return Backoff(n, delay_s, delay_s)
    return Backoff(n, retry.base_delay_s, retry.max_delay_s)


def file_one(run: IngestRun, claim: Claim, info: SourceInfo, attempts: int | None = None,
             delay_s: float | None = None) -> Filed | Quarantined | Deferred | None:
    """Classify, extract, store, catalogue and release one document; None if it failed.

    Filing is idempotent per document id (the same bytes give the same id and
    write-once storage returns the existing copy), so a retry never makes a second copy.
    An outage (``outage_of``) is waited out with bounded exponential backoff; if it lasts,
    the document is ``Deferred``: it stays in custody and its attempt is not counted
    towards quarantine. While an outage is known, a document gets one probe only.
    """
    backoff = _backoff(run, attempts, delay_s)
    summary = getattr(run, "summary", None)
    state: OutageState | None = getattr(summary, "outages", None)
    probe_only = state is not None and state.current is not None
    outage: Outage | None = None
    attempt = 0
    while True:
        attempt += 1
        try:
            with phi_safe("file-document", claim.claim_id):
                filed = run.file(claim, info)
            if state is not None:
                state.current = None
            if isinstance(filed, Quarantined):
                log.info("claim %s quarantined as %s", claim.claim_id, filed.quarantine_id)
            else:
                log.info("claim %s filed as %s (%s)", claim.claim_id, filed.doc_id,
                         filed.status)
            return filed
        except Exception as err:  # phi_safe: the message carries ids and a type only
            outage = outage_of(err)
            limit = 1 if probe_only else (
                backoff.attempts if outage else min(FILE_ATTEMPTS, backoff.attempts))
            log.warning("claim %s: attempt %d/%d failed%s: %s", claim.claim_id, attempt,
                        limit, f" ({outage} unavailable)" if outage else "", err)
            if attempt >= limit:
                break
            if state is not None and outage:
                state.retried += 1
            time.sleep(backoff.delay(attempt))
    if outage is None:
        return None
    # storage or catalog unavailable: not the file's fault, so the run does not count
    # towards quarantining it; it stays in custody until they are back
    if hasattr(claim, "count_attempt"):
        claim.count_attempt(-1)
    if state is not None:
        state.defer(outage)
    log.warning("claim %s deferred: %s unavailable; kept in custody for the next run",
                claim.claim_id, outage)
    return Deferred(outage)


@task(name="file-documents", cache_policy=NO_CACHE, persist_result=False)
def file_documents(run: IngestRun, queue: Queue[tuple[Claim, SourceInfo] | None]) -> list[str]:
    """File documents as their OCR finishes; returns the claims left in custody."""
    failed = []
    while (item := queue.get()) is not _DONE:
        claim, info = item
        if file_one(run, claim, info) is None:  # (a deferred one is counted apart)
            # Left in custody: the next run finds the claim again and retries it.
            failed.append(claim.claim_id)
            log.warning("claim %s not filed; kept in custody for the next run",
                        claim.claim_id)
    return failed


def run_intake(settings: Settings, intake_name: str, catalog: Catalog,
               plain: bool = False) -> dict[str, Any]:
    """Ingest one intake folder; returns the batch summary (ids and counts).

    If another run holds the folder (see ``exclusive_run``), nothing is claimed and the
    summary says ``busy``: its files are that run's, or the next one's. ``plain``: the
    same steps without Prefect tasks.
    """
    intake = next((i for i in settings.intakes if i.name == intake_name), None)
    if intake is None:
        raise ChartvaultError("no intake folder of that name is configured",
                              code="unknown_intake")
    run = IngestRun(settings, intake, open_store(settings), catalog)
    with exclusive_run(run.folder) as held:
        if not held:
            log.info("intake %s is being ingested by another run; skipped", intake.name)
            return _summary(run, [], busy=True)
        catalog.start_batch(run.batch_id, intake.name, settings.user)
        if plain:
            failed = _run_plain(run)
        else:
            failed = _run_tasks(run)
        _finish_batch(run, catalog)
    log.info("batch %s finished: %s", run.batch_id, run.summary.counts())
    renew_models(settings.classifier_model)  # a long-lived process stays flat in memory
    return _summary(run, failed)


def _finish_batch(run: IngestRun, catalog: Catalog) -> None:
    """Close the batch row; a catalog still away at the end leaves it open, not a crash."""
    backoff = _backoff(run, None, None)
    for attempt in range(1, backoff.attempts + 1):
        try:
            catalog.finish_batch(run.batch_id, run.summary.counts())
            return
        except Exception as err:
            if outage_of(err) is None:
                raise
            if attempt == backoff.attempts:
                log.warning("batch %s: its row not closed (catalog unavailable)",
                            run.batch_id)
                return
            time.sleep(backoff.delay(attempt))


def _run_tasks(run: IngestRun) -> list[str]:
    claims = claim_files(run)
    queue: Queue[tuple[Claim, SourceInfo] | None] = Queue()
    filing = file_documents.submit(run, queue)
    try:
        for claim, info, pages in run.read_pages(claims):
            if not isinstance(pages, Quarantined):
                queue.put((claim, info))
    finally:
        queue.put(_DONE)  # the filing task ends even when reading failed
    failed: list[str] = filing.result()
    return failed


def _run_plain(run: IngestRun) -> list[str]:
    with phi_safe("claim", run.batch_id):
        claims = run.claim_all()
    failed = []
    for claim, info, pages in run.read_pages(claims):
        if not isinstance(pages, Quarantined) and file_one(run, claim, info) is None:
            failed.append(claim.claim_id)
    return failed


def _summary(run: IngestRun, failed: list[str], busy: bool = False) -> dict[str, Any]:
    s = run.summary
    return {
        "batch_id": run.batch_id,
        "intake": run.intake.name,
        "busy": busy,
        **s.counts(),
        "types": dict(s.types),
        "archived_ids": s.archived,
        "review_ids": s.needs_review,
        "quarantine_list": [list(q) for q in s.quarantined],
        "failed": len(failed),
        "failed_claims": failed,
    }


# One filing thread: documents are filed one at a time, in the order their OCR finished,
# while the main thread keeps the OCR pool fed. (The cast: Prefect types the flow's
# runner parameter invariantly, so its own thread runner does not match without it.)
_FILING_RUNNER = cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=1))


@flow(name="ingest", persist_result=False, log_prints=False, task_runner=_FILING_RUNNER)
def ingest(intake: str | None = None) -> list[dict[str, Any]]:
    """Ingest one configured intake folder, or all of them."""
    settings = Settings()
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    anchors.attach_settings(catalog, settings)
    try:
        names = [intake] if intake else [i.name for i in settings.intakes]
        return [run_intake(settings, name, catalog) for name in names]
    finally:
        catalog.close()
