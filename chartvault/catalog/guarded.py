"""Read queries behind the guarded service (chartvault/service) that had no home yet."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping, select

from chartvault.catalog.schema import (
    audit_events,
    batches,
    disposition_items,
    disposition_plans,
    documents,
    holds,
    quarantine,
)


def recent_batches(conn: Connection, intakes: Sequence[str] | None,
                   limit: int) -> Sequence[RowMapping]:
    """Batches newest first, of the given intakes (None: all)."""
    q = select(batches).order_by(batches.c.started_at.desc()).limit(limit)
    if intakes is not None:
        q = q.where(batches.c.intake.in_(list(intakes)))
    return conn.execute(q).mappings().all()


def quarantined(conn: Connection, intakes: Sequence[str] | None) -> Sequence[RowMapping]:
    """Quarantine entries newest first, of the given intakes (None: all)."""
    q = select(quarantine).order_by(quarantine.c.at.desc())
    if intakes is not None:
        q = q.where(quarantine.c.intake.in_(list(intakes)))
    return conn.execute(q).mappings().all()


def review_queue(conn: Connection, limit: int) -> Sequence[RowMapping]:
    """Archived documents flagged needs_review, oldest ingest first (ids, types, reasons)."""
    q = (select(documents.c.doc_id, documents.c.doc_type, documents.c.type_confidence,
                documents.c.review_reasons, documents.c.intake, documents.c.ingested_at)
         .where(documents.c.needs_review.is_(True), documents.c.status == "archived")
         .order_by(documents.c.ingested_at).limit(limit))
    return conn.execute(q).mappings().all()


def plan(conn: Connection, plan_id: str) -> RowMapping | None:
    """One disposition plan."""
    q = select(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
    return conn.execute(q).mappings().first()


def plans(conn: Connection, limit: int) -> Sequence[RowMapping]:
    """Disposition plans, newest first."""
    q = select(disposition_plans).order_by(disposition_plans.c.created_at.desc()).limit(limit)
    return conn.execute(q).mappings().all()


def plan_items(conn: Connection, plan_id: str) -> Sequence[RowMapping]:
    """Items of a plan (ids, actions, statuses)."""
    q = (select(disposition_items).where(disposition_items.c.plan_id == plan_id)
         .order_by(disposition_items.c.doc_id))
    return conn.execute(q).mappings().all()


def hold(conn: Connection, hold_id: str) -> RowMapping | None:
    """One hold (kind, target ids, case, who and when)."""
    return conn.execute(select(holds).where(holds.c.hold_id == hold_id)).mappings().first()


def hold_list(conn: Connection, active_only: bool) -> Sequence[RowMapping]:
    """Holds, newest first."""
    q = select(holds).order_by(holds.c.created_at.desc())
    if active_only:
        q = q.where(holds.c.released_at.is_(None))
    return conn.execute(q).mappings().all()


def audit_page(conn: Connection, after_seq: int, limit: int,
               action: str | None = None) -> Sequence[RowMapping]:
    """Audit events after ``after_seq``, in order."""
    q = (select(audit_events).where(audit_events.c.seq > after_seq)
         .order_by(audit_events.c.seq).limit(limit))
    if action:
        q = q.where(audit_events.c.action == action)
    return conn.execute(q).mappings().all()
