"""Finding and reading records, and checking the archive: the auditor's actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from sqlalchemy import RowMapping

from chartvault import access, anchors, fixity, renditions
from chartvault.access import NotFound, Original, Retrieved
from chartvault.auth.roles import Action
from chartvault.catalog import SearchCriteria, SearchHit
from chartvault.catalog import guarded as gq
from chartvault.catalog.audit import ChainReport
from chartvault.errors import UserError
from chartvault.fixity import FixityReport
from chartvault.service.guard import Guard

SEARCH_LIMIT = 500  # more hits than this at once is an export, a separate permission
EXPORT_LIMIT = 1_000_000


class RecordsActions(Guard):
    """Search, view, retrieve, render, export; audit trail; fixity."""

    def _not_archived(self, doc_id: str, row: RowMapping | None) -> NoReturn:
        """Refuse an unknown or destroyed document, saying which (to a permitted caller)."""
        if row is None:
            raise NotFound(f"document {doc_id} is not in the archive")
        plans = self.catalog.plans_of_document(doc_id)
        where = f" under plan {plans[-1]} (chartvault retention certificate {plans[-1]} " \
                "--out FILE)" if plans else ""
        raise NotFound(f"document {doc_id} was destroyed{where}; only its tombstone is kept")

    def search(self, bearer: str, criteria: SearchCriteria) -> list[SearchHit]:
        """Documents matching every criterion (at most ``SEARCH_LIMIT``)."""
        p = self.require(bearer, Action.SEARCH)
        if criteria.limit > SEARCH_LIMIT and not p.may(Action.EXPORT):
            self.deny(p, Action.EXPORT, "bulk_search", detail={"limit": criteria.limit})
        return access.search(self.catalog, criteria, p.username)

    def export(self, bearer: str, criteria: SearchCriteria) -> list[SearchHit]:
        """Every matching document (a bulk export, audited as such)."""
        p = self.require(bearer, Action.EXPORT)
        hits = access.search(self.catalog, replace(criteria, limit=EXPORT_LIMIT), p.username)
        self.catalog.audit(p.username, Action.EXPORT.value, [h.row["doc_id"] for h in hits],
                           detail={"criteria": criteria.fields_used(), "hits": len(hits)})
        return hits

    def show(self, bearer: str, doc_id: str, purpose: str | None = None) -> bytes:
        """A document's manifest (JSON)."""
        p = self.require(bearer, Action.VIEW, [doc_id])
        why = access.purpose_of(purpose)
        row = self.catalog.get(doc_id)
        if row is None or row["status"] == "destroyed":
            self.catalog.audit(p.username, Action.VIEW.value, [doc_id], outcome="not_found")
            self._not_archived(doc_id, row)
        data = self.store.get(row["manifest_key"])
        self.catalog.audit(p.username, Action.VIEW.value, [doc_id],
                           detail={"token": p.token_id, "purpose": why.value if why else None})
        return data

    def retrieve(self, bearer: str, doc_id: str, out: Path,
                 purpose: str | None = None) -> Retrieved:
        """Copy the original out, verified against its SHA-256."""
        p = self.require(bearer, Action.RETRIEVE, [doc_id])
        return access.retrieve(self.catalog, self.store, doc_id, out, p.username,
                               access.purpose_of(purpose))

    def download(self, bearer: str, doc_id: str, purpose: str) -> Original:
        """The original's bytes for a stated purpose of use (web and API downloads)."""
        p = self.require(bearer, Action.RETRIEVE, [doc_id])
        why = access.purpose_of(purpose)
        if why is None:
            self.reject(p, Action.RETRIEVE, "no_purpose",
                        UserError("a download needs a purpose of use"))
        return access.original_bytes(self.catalog, self.store, doc_id, p.username, why)

    def page_image(self, bearer: str, doc_id: str, index: int) -> bytes:
        """One page as a PNG: auditors for any record, archivists for one awaiting review."""
        from extractors.preview import NoSuchPage, page_png

        p = self.auth.authenticate(bearer, Action.VIEW.value)
        row = self.catalog.get(doc_id) if p.may(Action.VIEW) or p.may(Action.REVIEW_QUEUE) \
            else None
        reviewing = row is not None and bool(row["needs_review"]) and p.may(Action.REVIEW_QUEUE)
        if not (p.may(Action.VIEW) or reviewing):
            self.deny(p, Action.VIEW, "role", [doc_id], {"page": index})
        if row is None or row["status"] == "destroyed":
            self._not_archived(doc_id, row)
        try:
            png = page_png(self.store.get(row["original_key"]), str(row["source_format"]), index)
        except NoSuchPage:
            raise NotFound(f"document {doc_id} has no page {index + 1}") from None
        self.catalog.audit(p.username, "view_page", [doc_id],
                           detail={"page": index, "token": p.token_id})
        return png

    def rendition(self, bearer: str, doc_id: str) -> str:
        """Key of the searchable PDF of a document (built once from the stored OCR)."""
        p = self.require(bearer, Action.RENDITION, [doc_id])
        row = self.catalog.get(doc_id)
        if row is None or row["status"] == "destroyed":
            self._not_archived(doc_id, row)
        if row["status"] != "archived":
            raise UserError(f"document {doc_id} was purged: its OCR words are gone, so no "
                            "rendition can be built")
        built = self.store.head(renditions.rendition_key(doc_id)) is not None
        key = renditions.build(self.catalog, self.store, doc_id, p.username)
        if built:  # ``build`` audits only when it builds
            self.catalog.audit(p.username, Action.RENDITION.value, [doc_id],
                               detail={"cached": True})
        return key

    def audit_verify(self, bearer: str) -> ChainReport:
        """Re-walk the audit chain."""
        p = self.require(bearer, Action.AUDIT_VERIFY)
        report = anchors.verify(self.catalog, self.store)  # the chain and its anchors
        self.catalog.audit(p.username, Action.AUDIT_VERIFY.value,
                           outcome="ok" if report.ok else "broken",
                           detail={"events": report.events, "first_bad": report.first_bad_seq})
        return report

    def audit_events(self, bearer: str, after_seq: int = 0, limit: int = 100,
                     action: str | None = None) -> Sequence[RowMapping]:
        """A page of the audit trail."""
        p = self.require(bearer, Action.AUDIT_READ)
        with self.catalog.engine.connect() as conn:
            rows = gq.audit_page(conn, after_seq, min(limit, 10_000), action)
        self.catalog.audit(p.username, Action.AUDIT_READ.value,
                           detail={"after": after_seq, "events": len(rows)})
        return rows

    def fixity(self, bearer: str) -> FixityReport:
        """Re-read every archived object and compare checksums."""
        p = self.require(bearer, Action.FIXITY)
        return fixity.verify(self.catalog, self.store, p.username)
