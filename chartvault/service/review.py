"""The review queue: archivists look at flagged records and confirm or correct them.

Opening a flagged record shows patient data (extracted fields, registry candidates), so
it is audited; only records awaiting review open here (the same rule as their page
images). A confirmation or correction is ``corrections.correct``: an event object, the
catalog row, an audit event and a labelled example for ``chartvault train``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping

from chartvault import corrections
from chartvault.auth.roles import Action
from chartvault.catalog import worklists as wq
from chartvault.catalog.worklists import Page
from chartvault.corrections import Corrected
from chartvault.errors import NotFound, UserError
from chartvault.model import Manifest
from chartvault.service.guard import Guard

BULK_LIMIT = 500  # documents one bulk confirmation settles at most


@dataclass(frozen=True)
class RegistryMatch:
    """A registered patient holding an identifier the record prints, and the evidence."""

    family: str
    given: str
    mrn: str | None
    birth_date: str | None
    sex: str | None
    organization: str | None
    score: float
    confirmed: bool
    evidence: dict[str, Any]


@dataclass(frozen=True)
class ReviewItem:
    """One flagged record as a reviewer needs it."""

    doc_id: str
    row: RowMapping
    reasons: tuple[str, ...]
    candidates: tuple[tuple[str, float], ...]
    classifier: str
    confidence: Mapping[str, float]
    flags: tuple[str, ...]
    registry: bool  # a registry is configured
    matches: list[RegistryMatch] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewList:
    """A page of the queue, the batches that have flagged records, and the backlog."""

    page: Page
    batches: Sequence[RowMapping]


class ReviewActions(Guard):
    """Review queue, confirmation and correction."""

    def review_list(self, bearer: str, batch_id: str | None = None, offset: int = 0,
                    limit: int = 50) -> ReviewList:
        """A page of the records waiting for review (ids, types, reasons)."""
        p = self.require(bearer, Action.REVIEW_QUEUE)
        with self.catalog.engine.connect() as conn:
            page = wq.review_page(conn, batch_id or None, max(0, offset), min(max(1, limit), 200))
            batches = wq.review_batches(conn)
        self.catalog.audit(p.username, Action.REVIEW_QUEUE.value, [r["doc_id"] for r in page.rows],
                           detail={"offset": page.offset, "total": page.total})
        return ReviewList(page, batches)

    def review_item(self, bearer: str, doc_id: str) -> ReviewItem:
        """A flagged record: fields, reasons, type candidates, registry matches."""
        p = self.require(bearer, Action.REVIEW_QUEUE, [doc_id])
        row = self.catalog.get(doc_id)
        if row is None or row["status"] != "archived":
            raise NotFound(f"document {doc_id} is not in the archive")
        if not row["needs_review"]:
            self.deny(p, Action.REVIEW_QUEUE, "not_under_review", [doc_id])
        manifest = Manifest.model_validate_json(self.store.get(row["manifest_key"]))
        matches = self._matches(manifest) if self.settings.registry.path else []
        self.catalog.audit(p.username, "review_open", [doc_id],
                           detail={"token": p.token_id, "matches": len(matches)})
        c = manifest.classification
        return ReviewItem(doc_id, row, tuple(row["review_reasons"] or ()), c.candidates,
                          c.model, dict(manifest.extraction.confidence),
                          manifest.extraction.flags, self.settings.registry.path is not None,
                          matches)

    def _matches(self, manifest: Manifest) -> list[RegistryMatch]:
        from chartvault.pipeline.understand import default_registry
        from extractors.registry.match import ranked

        registry = default_registry(self.settings.registry.path)
        ref = manifest.objects.get("text")
        if registry is None or ref is None:
            return []
        text = self.store.get(ref.key).decode(errors="replace")
        out = []
        for ev in ranked(text, manifest.extraction, registry):
            r = ev.record
            out.append(RegistryMatch(
                r.family, " ".join(r.given), r.mrn,
                r.birth_date.isoformat() if r.birth_date else None, r.sex, r.organization,
                round(ev.score, 2), ev.confirmed,
                {"family": round(ev.family, 2), "given": round(ev.given, 2), "birth": ev.birth,
                 "sex": ev.sex, "facility": ev.facility, "labelled_mrn": ev.labelled}))
        return out

    def correct(self, bearer: str, doc_id: str, fields: Mapping[str, Any],
                note: str = "") -> Corrected:
        """Correct a record's type and patient (or confirm it: no field differs)."""
        p = self.require(bearer, Action.CORRECT, [doc_id])
        try:
            return corrections.correct(self.catalog, self.store, self.settings.data_dir,
                                       doc_id, p.username, dict(fields), note)
        except UserError as err:
            self.reject(p, Action.CORRECT, err.code, err, {"doc_id": doc_id})

    def confirm(self, bearer: str, doc_id: str) -> Corrected:
        """Confirm a flagged record as read: type and patient stand."""
        return self.correct(bearer, doc_id, {})

    def confirm_batch(self, bearer: str, batch_id: str) -> list[Corrected]:
        """Confirm every flagged record of a batch as read (at most ``BULK_LIMIT``)."""
        p = self.require(bearer, Action.CORRECT, detail={"batch_id": batch_id})
        with self.catalog.engine.connect() as conn:
            ids = wq.flagged_ids(conn, batch_id, BULK_LIMIT)
        if not ids:
            self.reject(p, Action.CORRECT, "nothing_flagged",
                        NotFound(f"batch {batch_id} has no record waiting for review"),
                        {"batch_id": batch_id})
        done = [corrections.correct(self.catalog, self.store, self.settings.data_dir, d,
                                    p.username, {}, batch_id=batch_id) for d in ids]
        self.catalog.audit(p.username, "confirm_batch", ids,
                           detail={"batch_id": batch_id, "confirmed": len(done)})
        return done
