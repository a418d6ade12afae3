"""The ingest flow: intake folder -> archive, as Prefect tasks over plain steps.

Reads top to bottom like the records room's process: claim what the scanners left,
open each file (or quarantine it), OCR all pages of all files in one bounded pool, then
file each document as soon as its pages are done. Parameters are intake names; tasks
pass claims (random ids and paths inside our custody area), never text or names.
Results are not persisted: for us they would be patient data.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chartvault.catalog import Catalog
from chartvault.errors import phi_safe
from chartvault.pipeline.archive import Filed
from chartvault.pipeline.batch import IngestRun
from chartvault.pipeline.intake import Claim
from chartvault.pipeline.quarantine import Quarantined
from chartvault.settings import Settings
from extractors.pages import SourceInfo
from storage.factory import open_store

log = logging.getLogger(__name__)

@task(name="claim-and-inspect", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE,
      persist_result=False)
def claim_files(run: IngestRun) -> list[tuple[Claim, SourceInfo]]:
    """Take every settled file into custody and open it; unreadable ones go to quarantine."""
    work = []
    for claim in run.claim_all():
        info = run.inspect(claim)
        if isinstance(info, SourceInfo):
            work.append((claim, info))
    return work


@task(name="file-document", task_run_name="file-{claim.claim_id}", retries=2,
      retry_delay_seconds=5, cache_policy=NO_CACHE, persist_result=False)
def file_document(run: IngestRun, claim: Claim, info: SourceInfo) -> Filed:
    """Classify, extract, store, catalogue and release one document."""
    with phi_safe("file-document", claim.claim_id):
        return run.file(claim, info)


def run_intake(settings: Settings, intake_name: str, catalog: Catalog) -> dict[str, Any]:
    """Ingest one intake folder; returns the batch summary (ids and counts)."""
    intake = next(i for i in settings.intakes if i.name == intake_name)
    run = IngestRun(settings, intake, open_store(settings), catalog)
    catalog.start_batch(run.batch_id, intake.name, settings.user)
    work = claim_files(run)
    failed = []
    for claim, info, pages in run.read_pages(work):
        if isinstance(pages, Quarantined):
            continue
        state = file_document(run, claim, info, return_state=True)
        if state.is_failed():
            # Left in custody: the next run finds the claim again and retries it.
            failed.append(claim.claim_id)
            log.warning("claim %s not filed; kept in custody for the next run", claim.claim_id)
    s = run.summary
    catalog.finish_batch(run.batch_id, s.counts())
    log.info("batch %s finished: %s", run.batch_id, s.counts())
    return {
        "batch_id": run.batch_id,
        "intake": intake.name,
        **s.counts(),
        "types": dict(s.types),
        "archived_ids": s.archived,
        "review_ids": s.needs_review,
        "quarantine_list": [list(q) for q in s.quarantined],
        "failed": len(failed),
        "failed_claims": failed,
    }


@flow(name="ingest", persist_result=False, log_prints=False)
def ingest(intake: str | None = None) -> list[dict[str, Any]]:
    """Ingest one configured intake folder, or all of them."""
    settings = Settings()
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    try:
        names = [intake] if intake else [i.name for i in settings.intakes]
        return [run_intake(settings, name, catalog) for name in names]
    finally:
        catalog.close()
