"""Catalog side of custody: the post-commit outbox and quarantine look-ups.

Kept apart from ``repository`` so that the intake's SQL lives in one small module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update

from chartvault.catalog.repository import Catalog
from chartvault.catalog.schema import outbox, quarantine

POST_COMMIT_STEPS = ("patient_holds", "extend_retention")


def add_steps(conn: Connection, doc_id: str, steps: Sequence[str] = POST_COMMIT_STEPS) -> None:
    """Record a document's post-commit steps in the caller's (commit) transaction."""
    now = datetime.now(UTC)
    for step in steps:
        conn.execute(insert(outbox).values(step_id=f"{doc_id}:{step}", doc_id=doc_id,
                                           step=step, created_at=now, attempts=0))


def pending_steps(catalog: Catalog, doc_id: str | None = None) -> list[tuple[str, str, str]]:
    """(step_id, doc_id, step) not yet done, oldest first; of one document or all."""
    q = select(outbox.c.step_id, outbox.c.doc_id, outbox.c.step).where(
        outbox.c.done_at.is_(None)).order_by(outbox.c.created_at, outbox.c.step_id)
    if doc_id is not None:
        q = q.where(outbox.c.doc_id == doc_id)
    with catalog.engine.connect() as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(q)]


def finish_step(catalog: Catalog, step_id: str) -> None:
    """Mark a step done."""
    with catalog.transaction() as conn:
        conn.execute(update(outbox).where(outbox.c.step_id == step_id).values(
            done_at=datetime.now(UTC), attempts=outbox.c.attempts + 1, last_error=None))


def fail_step(catalog: Catalog, step_id: str, error: str) -> None:
    """Count a failed try (``error``: a type name, never a message)."""
    with catalog.transaction() as conn:
        conn.execute(update(outbox).where(outbox.c.step_id == step_id).values(
            attempts=outbox.c.attempts + 1, last_error=error[:200]))


def has_quarantine(catalog: Catalog, quarantine_id: str) -> bool:
    """Whether a quarantine row exists (its file may still be on its way)."""
    q = select(quarantine.c.quarantine_id).where(quarantine.c.quarantine_id == quarantine_id)
    with catalog.engine.connect() as conn:
        return conn.execute(q).first() is not None


def quarantine_reason(catalog: Catalog, quarantine_id: str) -> tuple[str, str] | None:
    """(reason, detail) of a quarantine row, or None."""
    q = select(quarantine.c.reason, quarantine.c.detail).where(
        quarantine.c.quarantine_id == quarantine_id)
    with catalog.engine.connect() as conn:
        row = conn.execute(q).first()
    return (row[0], row[1]) if row else None
