"""Catalog side of legal holds: the holds table and the records' ``legal_hold`` flag.

The rules (who may hold what, the order of storage and catalog writes) stay in
``chartvault.holds``; a function taking ``conn`` runs in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from chartvault.catalog.repository import Catalog
from chartvault.catalog.schema import documents, holds


def active_ids(catalog: Catalog, doc_id: str, facility: str, mrn: str | None) -> list[str]:
    """Active holds covering a record: on the document itself or on its patient."""
    cond = and_(holds.c.kind == "document", holds.c.doc_id == doc_id)
    if mrn:
        cond = cond | and_(holds.c.kind == "patient", holds.c.facility == facility,
                           holds.c.mrn == mrn)
    q = select(holds.c.hold_id).where(cond, holds.c.released_at.is_(None))
    with catalog.engine.connect() as conn:
        return [r[0] for r in conn.execute(q)]


def set_flag(catalog: Catalog, doc_id: str, on: bool) -> None:
    """Set a record's ``legal_hold`` column."""
    with catalog.transaction() as conn:
        conn.execute(update(documents).where(documents.c.doc_id == doc_id)
                     .values(legal_hold=on))


def release_of(catalog: Catalog, hold_id: str) -> tuple[datetime | None, str | None] | None:
    """(released_at, released_by) of a hold (both None while active), or None if unknown."""
    q = select(holds.c.released_at, holds.c.released_by).where(holds.c.hold_id == hold_id)
    with catalog.engine.connect() as conn:
        row = conn.execute(q).first()
    return (row[0], row[1]) if row is not None else None


def patient_doc_ids(conn: Connection, mrn: str, facility: str | None, *,
                    destroyed: bool) -> list[str]:
    """Documents of an MRN as stored (of one facility, or any), destroyed ones or not."""
    q = select(documents.c.doc_id).where(documents.c.mrn == mrn)
    if not destroyed:
        q = q.where(documents.c.status != "destroyed")
    if facility:
        q = q.where(documents.c.facility == facility)
    return [r[0] for r in conn.execute(q)]


def facilities_of_mrn(conn: Connection, mrn: str) -> set[str]:
    """Facilities with a document of an MRN as stored (destroyed ones included)."""
    q = select(documents.c.facility).where(documents.c.mrn == mrn).distinct()
    return {r[0] for r in conn.execute(q)}


def insert_hold(conn: Connection, **values: Any) -> None:
    """Add a hold row."""
    conn.execute(insert(holds).values(**values))


def mark_released(conn: Connection, hold_id: str, released_at: datetime, actor: str) -> bool:
    """Release an active hold; False if it was released already (another request)."""
    done = conn.execute(update(holds).where(
        (holds.c.hold_id == hold_id) & holds.c.released_at.is_(None))
        .values(released_at=released_at, released_by=actor))
    return bool(done.rowcount)
