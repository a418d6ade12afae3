"""Audit-trail and dashboard queries behind the auditors' and administrators' pages.

"Who accessed this chart" matches events whose ``doc_ids`` name one of the patient's
documents. ``doc_ids`` is a JSON list (ids are hex, so a quoted ``LIKE`` cannot match
part of another id), read the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Date, RowMapping, Text, and_, cast, false, func, or_, select

from chartvault.catalog import dialect
from chartvault.catalog.schema import audit_events, documents, quarantine

MAX_PATIENT_DOCS = 2000  # documents of one patient whose events a trail looks for


@dataclass(frozen=True)
class TrailFilter:
    """Which events: of a patient's documents (MRN), of one actor, in a time window."""

    mrn: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def fields_used(self) -> list[str]:
        """Names (never values) of the filters given, for the audit trail itself."""
        return [n for n in ("mrn", "actor", "since", "until") if getattr(self, n)]


def patient_doc_ids(conn: Connection, mrn: str) -> list[str]:
    """Ids of every catalogued document (any status) with this normalised MRN."""
    q = (select(documents.c.doc_id).where(documents.c.mrn == mrn)
         .order_by(documents.c.doc_id).limit(MAX_PATIENT_DOCS))
    return [str(r[0]) for r in conn.execute(q)]


def events(conn: Connection, f: TrailFilter, doc_ids: Sequence[str] | None,
           offset: int, limit: int) -> Sequence[RowMapping]:
    """Events matching ``f`` (``doc_ids``: the patient's documents), newest first."""
    e = audit_events.c
    conds = []
    if doc_ids is not None:
        ids = cast(e.doc_ids, Text)
        conds.append(or_(*[ids.like(f'%"{d}"%') for d in doc_ids]) if doc_ids else false())
    if f.actor:
        conds.append(e.actor == f.actor)
    if f.since:
        conds.append(e.at >= f.since)
    if f.until:
        conds.append(e.at < f.until)
    q = select(audit_events).where(and_(*conds)).order_by(e.seq.desc()).offset(offset)
    return conn.execute(q.limit(limit)).mappings().all()


def per_day(conn: Connection, since: date) -> list[tuple[date, int, int]]:
    """(day, documents, pages) ingested per day since ``since``, oldest first."""
    d = documents.c
    day = func.date(d.ingested_at) if dialect.is_sqlite(conn) else cast(d.ingested_at, Date)
    q = (select(day.label("day"), func.count(), func.coalesce(func.sum(d.pages), 0))
         .where(d.ingested_at >= datetime(since.year, since.month, since.day))
         .group_by(day).order_by(day))
    out = []
    for when, docs, pages in conn.execute(q):
        out.append((when if isinstance(when, date) else date.fromisoformat(str(when)),
                    int(docs), int(pages)))
    return out


def backlog(conn: Connection) -> tuple[int, int]:
    """(documents awaiting review, unresolved quarantine entries)."""
    review = conn.execute(select(func.count()).select_from(documents).where(
        documents.c.needs_review.is_(True), documents.c.status == "archived")).scalar()
    held = conn.execute(select(func.count()).select_from(quarantine).where(
        quarantine.c.resolved.is_(False))).scalar()
    return int(review or 0), int(held or 0)


def last_event(conn: Connection, action: str) -> RowMapping | None:
    """The newest audit event of ``action`` (the last fixity check, for instance)."""
    q = (select(audit_events).where(audit_events.c.action == action)
         .order_by(audit_events.c.seq.desc()).limit(1))
    return conn.execute(q).mappings().first()
