"""One ingest run over one intake folder, as plain steps.

``flows.ingest`` wraps these steps in Prefect tasks; tests and benchmarks may call them
directly. Steps exchange claim ids and document ids; the OCR results of a claim are kept
in its folder (``pages.json``) so that no step passes text through Prefect and a rerun
after a crash does not OCR again.

Nothing one file does may stop its folder: every failure while claiming, opening or
reading a file is caught and becomes that file's quarantine (with a reason code) or, for
a file that could not even be claimed, a count in the summary. A claim that failed on
``MAX_ATTEMPTS`` runs (a crash it provokes, a filing that never succeeds) is
quarantined as ``repeated_failure`` at the start of the next.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from chartvault.catalog import Catalog
from chartvault.errors import QuarantineError, QuarantineReason
from chartvault.model import PageText, Provenance, Routing, doc_id_for
from chartvault.pipeline import crash
from chartvault.pipeline import intake as intake_mod
from chartvault.pipeline.archive import Filed, file_document
from chartvault.pipeline.outage import OutageState, outage_of
from chartvault.pipeline.quarantine import (
    Quarantined,
    file_sha256,
    finish_pending,
    quarantine_claim,
)
from chartvault.pipeline.retention import decide_at_ingest, run_post_commit
from chartvault.pipeline.understand import default_models, default_registry, understand
from chartvault.settings import IntakeFolder, Settings
from extractors.pages import SourceInfo, inspect_source
from extractors.pool import PagePool
from extractors.scratch import sweep as sweep_scratch
from storage.base import ObjectStore

log = logging.getLogger(__name__)

# A half-written file (no end marker) whose last write is this recent is kept in custody
# for a later run rather than quarantined: a writer that paused may still finish it (it
# writes into the inode we hold). Older than this, it is quarantined as ``incomplete``.
INCOMPLETE_GRACE_S = 120.0


class Held:
    """A claim kept in custody for a later run (a file that may still be being written)."""


@dataclass
class BatchSummary:
    """What a run did, by outcome; ids only."""

    batch_id: str
    intake: str
    archived: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    types: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    read_ahead: int = 0  # documents whose OCR was done before the flow claimed them
    unclaimable: int = 0  # entries that could not be moved into custody (left in place)
    held: int = 0  # claims kept in custody for a later run
    post_commit: int = 0  # outbox steps run
    outages: OutageState = field(default_factory=OutageState)  # retries, deferrals

    def counts(self) -> dict[str, int]:
        """Numbers for the batch row and metrics."""
        return {
            "archived": len(self.archived),
            "duplicates": len(self.duplicates),
            "needs_review": len(self.needs_review),
            "quarantined": len(self.quarantined),
            "pages": self.pages,
            "read_ahead": self.read_ahead,
            "unclaimable": self.unclaimable,
            "held": self.held,
            "post_commit": self.post_commit,
            "retried": self.outages.retried,  # attempts repeated while a service was away
            "deferred_storage": self.outages.deferred_storage,  # left in custody
            "deferred_catalog": self.outages.deferred_catalog,
        }


class IngestRun:
    """State shared by the steps of one run over one intake folder."""

    def __init__(
        self, settings: Settings, intake: IntakeFolder, store: ObjectStore, catalog: Catalog
    ) -> None:
        self.settings = settings
        self.intake = intake
        self.folder = settings.intake_path(intake)
        self.store = store
        self.catalog = catalog
        self.batch_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.summary = BatchSummary(batch_id=self.batch_id, intake=intake.name)
        self.routing = Routing(
            intake=intake.name,
            facility=intake.facility,
            jurisdiction=intake.jurisdiction,
            doc_type_hint=intake.doc_type_hint,
            station=intake.station,
        )
        self.options = settings.ocr.options()

    # --- claim ----------------------------------------------------------------------

    def recover(self) -> None:
        """Clear what a killed run left: orphan claims, scratch files, outbox steps."""
        intake_mod.clean_orphans(self.folder)
        sweep_scratch()
        self._post_commit(None)

    def _post_commit(self, doc_id: str | None) -> None:
        """Run pending outbox steps; with the catalog away they wait for the next run."""
        try:
            self.summary.post_commit += run_post_commit(self.catalog, self.store,
                                                        self.settings.user, doc_id)
        except Exception as err:  # the steps stay in the outbox, committed
            if outage_of(err) is None:
                raise
            log.warning("batch %s: post-commit steps wait (%s unavailable)", self.batch_id,
                        outage_of(err))

    def claim_all(self) -> list[intake_mod.Claim]:
        """Unfinished claims of earlier runs first, then every settled new file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.recover()
        pending = intake_mod.pending_claims(self.folder, self.intake.name)
        pending = finish_pending(pending, self.settings.data_dir, self.catalog)
        claims = []
        for c in pending:
            if c.count_attempt() > intake_mod.MAX_ATTEMPTS:
                self._quarantine_safely(c, QuarantineReason.REPEATED_FAILURE,
                                        f"not filed after {intake_mod.MAX_ATTEMPTS} runs")
            else:
                claims.append(c)
        for path in list(intake_mod.ready_files(self.folder, self.settings.settle_seconds)):
            try:
                c = intake_mod.claim(path, self.folder, self.intake.name)
            except OSError as err:  # ClaimFailed: its message has a claim id, no name
                self.summary.unclaimable += 1
                log.warning("batch %s: a file could not be claimed (%s)", self.batch_id,
                            type(err).__name__)
                continue
            c.count_attempt()
            claims.append(c)
        log.info("batch %s: %d files claimed", self.batch_id, len(claims))
        crash.point("after-claim")
        return claims

    # --- inspect and OCR ------------------------------------------------------------

    def inspect(self, claim: intake_mod.Claim) -> SourceInfo | Quarantined | Held:
        """Open the file and list its pages, or quarantine it with the reason."""
        try:
            return inspect_source(
                claim.source,
                max_pages=self.settings.ocr.max_pages,
                max_bytes=self.settings.ocr.max_bytes,
            )
        except QuarantineError as err:
            if err.reason == QuarantineReason.INCOMPLETE and self._maybe_growing(claim):
                claim.count_attempt(-1)  # waiting for a writer is not a failure
                self.summary.held += 1
                log.info("claim %s looks half-written; kept in custody", claim.claim_id)
                return Held()
            return self._quarantine_safely(claim, err.reason, err.detail)
        except Exception as err:  # anything else this one file provokes
            return self._quarantine_safely(claim, QuarantineReason.INTERNAL_ERROR,
                                           f"inspection failed ({type(err).__name__})")

    @staticmethod
    def _maybe_growing(claim: intake_mod.Claim) -> bool:
        try:
            mtime = os.lstat(claim.source).st_mtime
        except OSError:
            return False
        return time.time() - mtime < INCOMPLETE_GRACE_S

    def read_pages(
        self, claims: Iterable[intake_mod.Claim]
    ) -> Iterator[tuple[intake_mod.Claim, SourceInfo, list[PageText] | Quarantined]]:
        """Open and OCR every claim in one bounded pool; yields claims as they finish.

        Files are opened as the pool has room for their pages, not all before it starts,
        so the first pages are being read while later files are still being inspected.
        Unreadable files are quarantined on the way and not yielded.
        """
        todo: dict[str, tuple[intake_mod.Claim, SourceInfo]] = {}
        fresh: list[intake_mod.Claim] = []
        for claim in claims:
            if claim.pages_path.exists():  # OCR done by an earlier, interrupted run
                info = self.inspect(claim)
                if isinstance(info, SourceInfo):
                    try:
                        pages = _load_pages(claim.pages_path)
                    except (OSError, ValueError):  # torn by a crash: read it again
                        fresh.append(claim)
                        continue
                    yield claim, info, pages
            else:
                fresh.append(claim)
        if not fresh:
            return
        crash.point("before-ocr")

        def opened() -> Iterator[tuple[str, SourceInfo]]:
            for claim in fresh:
                info = self.inspect(claim)
                if isinstance(info, SourceInfo):
                    todo[claim.claim_id] = (claim, info)
                    yield claim.claim_id, info

        with PagePool(self.settings.ocr.worker_count(), self.options) as pool:
            for claim_id, result in pool.run(opened()):
                crash.point("during-ocr")
                self.summary.read_ahead = pool.read_ahead_used
                claim, info = todo.pop(claim_id)
                if isinstance(result, QuarantineError):
                    yield claim, info, self._quarantine_safely(claim, result.reason,
                                                               result.detail)
                    continue
                if not any(p.text.strip() for p in result):
                    yield claim, info, self._quarantine_safely(
                        claim, QuarantineReason.NO_TEXT, "no page yielded any text"
                    )
                    continue
                _save_pages(claim.pages_path, result)
                yield claim, info, result

    # --- file -----------------------------------------------------------------------

    def file(self, claim: intake_mod.Claim, info: SourceInfo) -> Filed | Quarantined:
        """Classify, extract, decide retention, store, catalogue, release.

        A file that turns out to belong in quarantine (the bytes of a destroyed record)
        is quarantined here; any other failure is raised to the caller, which retries.
        """
        pages = _load_pages(claim.pages_path)
        source = claim.source
        sha = file_sha256(source)
        doc_id = doc_id_for(sha)
        classifier, extractor = default_models(self.settings.classifier_model)
        text = "\f".join(p.text for p in pages)
        u = understand(text, classifier, extractor, self.settings.review_threshold, pages,
                       default_registry(self.settings.registry.path))
        claim_info = claim.info()
        provenance = Provenance(
            intake=self.intake.name,
            batch_id=self.batch_id,
            captured_at=datetime.fromisoformat(str(claim_info["claimed_at"])),
            file_mtime=datetime.fromisoformat(str(claim_info["mtime"])),
            station=self.intake.station,
            operator=self.intake.operator,
            source_format=info.format,
            page_count=len(pages),
            dpi=tuple(p.dpi for p in pages),
            size_bytes=source.stat().st_size,
        )
        retention = decide_at_ingest(self.catalog, self.routing, u)
        models = {
            "classifier": u.classification.model or f"{classifier.name}@{classifier.version}",
            "extractor": f"{extractor.name}@{extractor.version}",
        }
        try:
            filed = file_document(
                store=self.store, catalog=self.catalog, source=source, sha256=sha,
                doc_id=doc_id, pages=pages, understanding=u, routing=self.routing,
                provenance=provenance, retention=retention, models=models,
                actor=self.settings.user,
            )
        except QuarantineError as err:
            return self.quarantine(claim, err.reason, err.detail)
        # post-commit steps (holds, extensions): recorded with the commit; run now, and on
        # the duplicate path too, in case a crash came between the commit and them; an
        # outage now must not make the retry see its own commit as a "duplicate"
        self._post_commit(doc_id)
        crash.point("before-release")
        processed = self.settings.processed_dir if self.settings.keep_processed else None
        intake_mod.release(claim, processed, doc_id, filed.ext)
        self._count(filed)
        return filed

    def _quarantine_safely(self, claim: intake_mod.Claim, reason: QuarantineReason,
                           detail: str) -> Quarantined:
        """Quarantine; if even that fails, the claim stays in custody for the next run."""
        try:
            return self.quarantine(claim, reason, detail)
        except Exception as err:  # disk full, catalog down: not this file's last word
            log.warning("claim %s: quarantine failed (%s); kept in custody", claim.claim_id,
                        type(err).__name__)
            outage = outage_of(err)
            if outage is not None:  # the catalog is away, not this file's fault
                claim.count_attempt(-1)
                self.summary.outages.defer(outage)
            return Quarantined(quarantine_id="", reason=reason, detail=detail)

    def quarantine(
        self, claim: intake_mod.Claim, reason: QuarantineReason, detail: str
    ) -> Quarantined:
        """Set a claim aside with its reason; the run goes on."""
        q = quarantine_claim(
            claim, reason, detail, data_dir=self.settings.data_dir, catalog=self.catalog,
            batch_id=self.batch_id, actor=self.settings.user,
        )
        self.summary.quarantined.append((q.quarantine_id, q.reason.value))
        return q

    def _count(self, filed: Filed) -> None:
        s = self.summary
        if filed.status == "duplicate":
            s.duplicates.append(filed.doc_id)
            return
        s.archived.append(filed.doc_id)
        s.types[filed.doc_type] += 1
        s.pages += filed.pages
        if filed.needs_review:
            s.needs_review.append(filed.doc_id)


def _save_pages(path: Path, pages: list[PageText]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([p.model_dump(mode="json") for p in pages]))
    tmp.replace(path)


def _load_pages(path: Path) -> list[PageText]:
    return [PageText.model_validate(p) for p in json.loads(path.read_text())]
