"""Catalog side of disposition: plan and item rows, and the scrub after a destruction.

The state machine (who may move a plan, which states follow which) stays in
``chartvault.disposition``; every function taking ``conn`` runs in the caller's
transaction, so a move and its audit event commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, literal, select, update

from chartvault.catalog import dialect
from chartvault.catalog.rebuild import tombstone_row
from chartvault.catalog.repository import Catalog
from chartvault.catalog.schema import disposition_items, disposition_plans, documents
from chartvault.events import RecordEvent


def _due(as_of: date) -> ColumnElement[bool]:
    """Records past retain-until on ``as_of``, not on hold, with a disposition to carry out."""
    return (documents.c.status == "archived") & (documents.c.retain_until < as_of) & (
        documents.c.legal_hold.is_(False)) & (documents.c.disposition.is_not(None))


def insert_plan(conn: Connection, plan_id: str, as_of: date, requested_by: str) -> None:
    """A new plan listing, as ``planned`` items, every record due on ``as_of`` (set-based)."""
    conn.execute(insert(disposition_plans).values(
        plan_id=plan_id, created_at=datetime.now(UTC), as_of=as_of,
        requested_by=requested_by, status="planned", counts={}))
    conn.execute(insert(disposition_items).from_select(
        ["plan_id", "doc_id", "action", "status"],
        select(literal(plan_id), documents.c.doc_id, documents.c.disposition,
               literal("planned")).where(_due(as_of))))


def due_groups(conn: Connection, as_of: date) -> list[tuple[str, str, str | None, int]]:
    """(disposition, doc_type, policy_id, records) of the records due on ``as_of``."""
    q = (select(documents.c.disposition, documents.c.doc_type, documents.c.policy_id,
                func.count())
         .where(_due(as_of)).group_by(documents.c.disposition, documents.c.doc_type,
                                      documents.c.policy_id))
    return [(r[0], r[1], r[2], int(r[3])) for r in conn.execute(q)]


def update_plan(conn: Connection, plan_id: str, **values: Any) -> None:
    """Set columns of a plan, whatever its status."""
    conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                 .values(**values))


def move_plan(conn: Connection, plan_id: str, before: Sequence[str], **values: Any) -> bool:
    """Set columns of a plan if its status is one of ``before``; False if it was not."""
    plans = disposition_plans.c
    moved = conn.execute(update(disposition_plans).where(
        (plans.plan_id == plan_id) & plans.status.in_(before)).values(**values)).rowcount
    return bool(moved)


def close_items(conn: Connection, plan_id: str, open_statuses: Sequence[str],
                status: str) -> None:
    """Give every item of a plan still in one of ``open_statuses`` the status ``status``."""
    conn.execute(update(disposition_items).where(
        (disposition_items.c.plan_id == plan_id)
        & disposition_items.c.status.in_(open_statuses)).values(status=status))


def set_item(conn: Connection, plan_id: str, doc_id: str, status: str) -> None:
    """An item's outcome, stamped now."""
    conn.execute(update(disposition_items).where(
        (disposition_items.c.plan_id == plan_id) & (disposition_items.c.doc_id == doc_id))
        .values(status=status, done_at=datetime.now(UTC)))


def replace_by_tombstone(conn: Connection, doc_id: str, tomb: RecordEvent) -> None:
    """A destroyed record's text goes and its row becomes the tombstone's (no patient data)."""
    dialect.unindex_text(conn, doc_id)
    conn.execute(documents.delete().where(documents.c.doc_id == doc_id))
    conn.execute(insert(documents).values(**tombstone_row(tomb)))


def scrub(catalog: Catalog) -> None:
    """Make deleted rows unrecoverable from the database files."""
    with catalog.engine.connect() as conn:
        if dialect.is_sqlite(conn):
            conn.exec_driver_sql("INSERT INTO document_fts(document_fts) VALUES('optimize')")
            conn.commit()
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.commit()
            raw = conn.connection.driver_connection
            if raw is not None:
                raw.autocommit = True
                raw.execute("VACUUM (FULL) document_text")
                raw.execute("VACUUM (FULL) documents")
