"""One ingest run over one intake folder, as plain steps.

``flows.ingest`` wraps these steps in Prefect tasks; tests and benchmarks may call them
directly. Steps exchange claim ids and document ids; the OCR results of a claim are kept
in its folder (``pages.json``) so that no step passes text through Prefect and a rerun
after a crash does not OCR again.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from chartvault.catalog import Catalog
from chartvault.errors import QuarantineError, QuarantineReason
from chartvault.holds import apply_patient_holds
from chartvault.model import PageText, Provenance, Routing, doc_id_for
from chartvault.pipeline import intake as intake_mod
from chartvault.pipeline.archive import Filed, file_document
from chartvault.pipeline.quarantine import Quarantined, file_sha256, quarantine_claim
from chartvault.pipeline.retention import decide_at_ingest, extend_patient_records
from chartvault.pipeline.understand import default_models, default_registry, understand
from chartvault.settings import IntakeFolder, Settings
from extractors.pages import SourceInfo, inspect_source
from extractors.pool import PagePool
from storage.base import ObjectStore

log = logging.getLogger(__name__)


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

    def counts(self) -> dict[str, int]:
        """Numbers for the batch row and metrics."""
        return {
            "archived": len(self.archived),
            "duplicates": len(self.duplicates),
            "needs_review": len(self.needs_review),
            "quarantined": len(self.quarantined),
            "pages": self.pages,
            "read_ahead": self.read_ahead,
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

    def claim_all(self) -> list[intake_mod.Claim]:
        """Unfinished claims of earlier runs first, then every settled new file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        claims = intake_mod.pending_claims(self.folder, self.intake.name)
        for path in list(intake_mod.ready_files(self.folder, self.settings.settle_seconds)):
            claims.append(intake_mod.claim(path, self.folder, self.intake.name))
        log.info("batch %s: %d files claimed", self.batch_id, len(claims))
        return claims

    # --- inspect and OCR ------------------------------------------------------------

    def inspect(self, claim: intake_mod.Claim) -> SourceInfo | Quarantined:
        """Open the file and list its pages, or quarantine it with the reason."""
        try:
            return inspect_source(
                claim.source,
                max_pages=self.settings.ocr.max_pages,
                max_bytes=self.settings.ocr.max_bytes,
            )
        except QuarantineError as err:
            return self.quarantine(claim, err.reason, err.detail)

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
                    yield claim, info, _load_pages(claim.pages_path)
            else:
                fresh.append(claim)
        if not fresh:
            return

        def opened() -> Iterator[tuple[str, SourceInfo]]:
            for claim in fresh:
                info = self.inspect(claim)
                if isinstance(info, SourceInfo):
                    todo[claim.claim_id] = (claim, info)
                    yield claim.claim_id, info

        with PagePool(self.settings.ocr.worker_count(), self.options) as pool:
            for claim_id, result in pool.run(opened()):
                self.summary.read_ahead = pool.read_ahead_used
                claim, info = todo.pop(claim_id)
                if isinstance(result, QuarantineError):
                    yield claim, info, self.quarantine(claim, result.reason, result.detail)
                    continue
                if not any(p.text.strip() for p in result):
                    yield claim, info, self.quarantine(
                        claim, QuarantineReason.NO_TEXT, "no page yielded any text"
                    )
                    continue
                _save_pages(claim.pages_path, result)
                yield claim, info, result

    # --- file -----------------------------------------------------------------------

    def file(self, claim: intake_mod.Claim, info: SourceInfo) -> Filed:
        """Classify, extract, decide retention, store, catalogue, release."""
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
        filed = file_document(
            store=self.store,
            catalog=self.catalog,
            source=source,
            sha256=sha,
            doc_id=doc_id,
            pages=pages,
            understanding=u,
            routing=self.routing,
            provenance=provenance,
            retention=retention,
            models={
                "classifier": u.classification.model or f"{classifier.name}@{classifier.version}",
                "extractor": f"{extractor.name}@{extractor.version}",
            },
            actor=self.settings.user,
        )
        if filed.status == "archived":
            apply_patient_holds(self.catalog, self.store, doc_id, self.settings.user)
            extend_patient_records(self.catalog, self.store, self.routing.facility,
                                   u.extraction.patient.mrn, self.settings.user, exclude=doc_id)
        processed = self.settings.processed_dir if self.settings.keep_processed else None
        intake_mod.release(claim, processed, doc_id)
        self._count(filed)
        return filed

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
