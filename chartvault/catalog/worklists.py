"""Queries of the work pages (intake, quarantine, review queue, plans, holds): paged lists.

Every list is one page of rows plus one count, so a page costs two indexed queries
however long the list is (no query per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update

from chartvault.catalog.schema import (
    batches,
    disposition_items,
    disposition_plans,
    documents,
    holds,
    quarantine,
)


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, the total and where it starts."""

    rows: Sequence[RowMapping]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, if there is one."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def prev_offset(self) -> int | None:
        """Offset of the previous page, if there is one."""
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def _page(conn: Connection, q: Any, count: Any, offset: int, limit: int) -> Page:
    rows = conn.execute(q.offset(offset).limit(limit)).mappings().all()
    return Page(rows, int(conn.execute(count).scalar() or 0), offset, limit)


# --- intake ------------------------------------------------------------------------------


def batches_since(conn: Connection, since: datetime, limit: int = 2000) -> Sequence[RowMapping]:
    """Batches started since ``since`` (intake, counts), newest first."""
    q = (select(batches.c.intake, batches.c.counts, batches.c.finished_at)
         .where(batches.c.started_at >= since)
         .order_by(batches.c.started_at.desc()).limit(limit))
    return conn.execute(q).mappings().all()


def open_quarantine_by_intake(conn: Connection) -> dict[str, int]:
    """Unresolved quarantine entries per intake."""
    q = (select(quarantine.c.intake, func.count()).where(quarantine.c.resolved.is_(False))
         .group_by(quarantine.c.intake))
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def review_backlog(conn: Connection) -> int:
    """Archived documents waiting for review."""
    q = select(func.count()).select_from(documents).where(
        documents.c.needs_review.is_(True), documents.c.status == "archived")
    return int(conn.execute(q).scalar() or 0)


# --- quarantine --------------------------------------------------------------------------


def quarantine_page(conn: Connection, intakes: Sequence[str] | None, resolved: bool,
                    offset: int, limit: int) -> Page:
    """Quarantine entries newest first, open or resolved, of some intakes (None: all)."""
    cond = [quarantine.c.resolved.is_(resolved)]
    if intakes is not None:
        cond.append(quarantine.c.intake.in_(list(intakes)))
    q = select(quarantine).where(*cond).order_by(quarantine.c.at.desc(),
                                                 quarantine.c.quarantine_id)
    return _page(conn, q, select(func.count()).select_from(quarantine).where(*cond),
                 offset, limit)


def quarantine_entry(conn: Connection, quarantine_id: str) -> RowMapping | None:
    """One quarantine entry."""
    q = select(quarantine).where(quarantine.c.quarantine_id == quarantine_id)
    return conn.execute(q).mappings().first()


def resolve_quarantine(conn: Connection, quarantine_id: str) -> bool:
    """Mark an open entry resolved; False if it was resolved already (a race)."""
    done = conn.execute(update(quarantine).where(
        quarantine.c.quarantine_id == quarantine_id, quarantine.c.resolved.is_(False))
        .values(resolved=True))
    return bool(done.rowcount)


# --- review queue ------------------------------------------------------------------------

_REVIEW_COLUMNS = (documents.c.doc_id, documents.c.doc_type, documents.c.type_confidence,
                   documents.c.review_reasons, documents.c.intake, documents.c.batch_id,
                   documents.c.pages, documents.c.ingested_at)


def _flagged(batch_id: str | None) -> list[Any]:
    cond = [documents.c.needs_review.is_(True), documents.c.status == "archived"]
    if batch_id:
        cond.append(documents.c.batch_id == batch_id)
    return cond


def review_page(conn: Connection, batch_id: str | None, offset: int, limit: int) -> Page:
    """Flagged documents, oldest ingest first (ids, types, reasons; no patient data).

    The page's ids come from the covering review index (a deep offset skips index entries,
    not rows); then one look-up of those rows.
    """
    cond = _flagged(batch_id)
    order = (documents.c.ingested_at, documents.c.doc_id)
    ids = [r[0] for r in conn.execute(select(documents.c.doc_id).where(*cond).order_by(*order)
                                      .offset(offset).limit(limit))]
    found = {r["doc_id"]: r for r in conn.execute(
        select(*_REVIEW_COLUMNS).where(documents.c.doc_id.in_(ids))).mappings()} if ids else {}
    total = int(conn.execute(select(func.count()).select_from(documents).where(*cond)).scalar()
                or 0)
    return Page([found[i] for i in ids if i in found], total, offset, limit)


def review_batches(conn: Connection, limit: int = 50) -> Sequence[RowMapping]:
    """Batches with flagged documents and how many each has, newest first."""
    cond = _flagged(None)
    q = (select(documents.c.batch_id, documents.c.intake, func.count().label("flagged"),
                func.max(documents.c.ingested_at).label("last"))
         .where(*cond).group_by(documents.c.batch_id, documents.c.intake)
         .order_by(func.max(documents.c.ingested_at).desc()).limit(limit))
    return conn.execute(q).mappings().all()


def flagged_ids(conn: Connection, batch_id: str, limit: int) -> list[str]:
    """Ids of a batch's flagged documents (bulk confirmation)."""
    q = (select(documents.c.doc_id).where(*_flagged(batch_id))
         .order_by(documents.c.doc_id).limit(limit))
    return [r[0] for r in conn.execute(q)]


# --- plans and holds ---------------------------------------------------------------------


def plans_page(conn: Connection, status: str | None, offset: int, limit: int) -> Page:
    """Disposition plans newest first (of one status, or all)."""
    cond = [disposition_plans.c.status == status] if status else []
    q = select(disposition_plans).where(*cond).order_by(
        disposition_plans.c.created_at.desc(), disposition_plans.c.plan_id)
    return _page(conn, q, select(func.count()).select_from(disposition_plans).where(*cond),
                 offset, limit)


def plan_items_page(conn: Connection, plan_id: str, offset: int, limit: int) -> Page:
    """A plan's items with each record's stamped rule, one page (outer join: gone rows show)."""
    d = documents.c
    cond = [disposition_items.c.plan_id == plan_id]
    q = (select(disposition_items, d.status.label("record_status"), d.doc_type, d.policy_id,
                d.policy_version, d.rule_id, d.retain_until, d.legal_hold)
         .select_from(disposition_items.outerjoin(
             documents, documents.c.doc_id == disposition_items.c.doc_id))
         .where(*cond).order_by(disposition_items.c.doc_id))
    return _page(conn, q, select(func.count()).select_from(disposition_items).where(*cond),
                 offset, limit)


def rows_by_id(conn: Connection, doc_ids: Sequence[str]) -> dict[str, RowMapping]:
    """Document rows of some ids, in one query."""
    q = select(documents).where(documents.c.doc_id.in_(list(doc_ids)))
    return {r["doc_id"]: r for r in conn.execute(q).mappings()}


def last_encounters(conn: Connection, mrns: Sequence[str]) -> dict[tuple[str, str], Any]:
    """Latest service date per (facility, MRN) of some MRNs, in one query."""
    if not mrns:
        return {}
    d = documents.c
    q = (select(d.facility, d.mrn, func.max(d.service_date))
         .where(d.mrn.in_(sorted(set(mrns)))).group_by(d.facility, d.mrn))
    return {(r[0], r[1]): r[2] for r in conn.execute(q)}


def plan_item_statuses(conn: Connection, plan_id: str) -> dict[str, int]:
    """Items of a plan per status."""
    q = (select(disposition_items.c.status, func.count())
         .where(disposition_items.c.plan_id == plan_id).group_by(disposition_items.c.status))
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def holds_page(conn: Connection, active_only: bool, offset: int, limit: int) -> Page:
    """Holds newest first."""
    cond = [holds.c.released_at.is_(None)] if active_only else []
    q = select(holds).where(*cond).order_by(holds.c.created_at.desc(), holds.c.hold_id)
    return _page(conn, q, select(func.count()).select_from(holds).where(*cond), offset, limit)
