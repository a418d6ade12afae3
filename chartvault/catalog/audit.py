"""Tamper-evident audit trail: an append-only, hash-chained table.

Each event's hash is SHA-256 over its canonical JSON and the previous event's hash, so
editing, deleting or reordering any row breaks every hash after it. Database triggers
refuse UPDATE and DELETE; the chain catches what a privileged user does around them.
Events carry ids, counts and outcomes only; never patient data (search criteria are
recorded by field name, not value).

Writers serialise on the chain head: the first statement of an append is a write to
``audit_head`` (an upsert, so the first event of an empty chain needs no special case),
which takes SQLite's write lock (waiting out ``busy_timeout``) or PostgreSQL's row lock
before the head is read. Reading first and writing later let two writers both take the
same ``seq``. Anchors (``chartvault.anchors``) copy the head into locked objects;
``verify`` checks the chain against them, which catches a consistent rewrite, a
truncation or dropped events that the chain alone cannot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from chartvault.catalog.schema import audit_anchors, audit_events, audit_head

GENESIS = "0" * 64


def _canonical(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """Hash of one event chained to its predecessor."""
    return hashlib.sha256(prev_hash.encode() + _canonical(event)).hexdigest()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    doc_ids: Iterable[str] = (),
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Append one event inside the caller's transaction; returns its sequence number."""
    # Write before reading: the upsert takes the write lock (SQLite) or creates and locks
    # the head row (PostgreSQL: a second first-writer waits on it instead of failing).
    conn.execute(_HEAD_UPSERT[conn.dialect.name])
    prev_seq, prev_hash = conn.execute(_HEAD_FOR_UPDATE).one()
    seq = int(prev_seq) + 1
    when = (at or datetime.now(UTC)).astimezone(UTC)
    event = {
        "seq": seq,
        "at": when.isoformat(),
        "actor": actor,
        "action": action,
        "doc_ids": sorted(set(doc_ids)),
        "outcome": outcome,
        "detail": dict(detail or {}),
    }
    digest = event_hash(prev_hash, event)
    conn.execute(_INSERT_EVENT, {**event, "at": when, "prev_hash": prev_hash, "hash": digest})
    conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": digest})
    # the catalog anchors after commit when due (``Catalog.after_audit``)
    conn.info["audit_appended"] = max(seq, conn.info.get("audit_appended", 0))
    return seq


# Built once: constructing these per append cost more than executing them.
_HEAD_ROW = {"id": 1, "seq": 0, "hash": GENESIS}
_HEAD_UPSERT: dict[str, Insert] = {
    "sqlite": sqlite.insert(audit_head).values(_HEAD_ROW).on_conflict_do_nothing(
        index_elements=["id"]),
    "postgresql": postgresql.insert(audit_head).values(_HEAD_ROW).on_conflict_do_nothing(
        index_elements=["id"]),
}
_HEAD_FOR_UPDATE = select(audit_head.c.seq, audit_head.c.hash).where(
    audit_head.c.id == 1).with_for_update()
_INSERT_EVENT = insert(audit_events)
_MOVE_HEAD = update(audit_head).where(audit_head.c.id == 1).values(
    seq=bindparam("new_seq"), hash=bindparam("new_hash"))


@dataclass(frozen=True)
class ChainReport:
    """Result of re-walking the chain (and checking it against the anchors, if given)."""

    events: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str | None = None  # what is wrong at first_bad_seq (no event data)
    anchors: int = 0  # anchor objects checked
    anchored_seq: int = 0  # highest sequence an anchor vouches for


def event_content(row: Any) -> dict[str, Any]:
    """The hashed content of a stored event row."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return {
        "seq": row.seq,
        "at": at.astimezone(UTC).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "doc_ids": row.doc_ids,
        "outcome": row.outcome,
        "detail": row.detail,
    }


def verify(
    conn: Connection, anchored: Mapping[int, str] | None = None, anchors: int = 0
) -> ChainReport:
    """Recompute every hash from the first event on; compare with anchored hashes.

    ``anchored`` maps a sequence to the hash an anchor recorded for it. A consistent
    rewrite passes the chain's own checks but not these; an anchored sequence beyond the
    chain's end means events were dropped (or the trail truncated).
    """
    anchored = anchored or {}
    top = max(anchored, default=0)
    prev = GENESIS
    count = 0

    def bad(seq: int, problem: str) -> ChainReport:
        return ChainReport(events=count, ok=False, first_bad_seq=seq, problem=problem,
                           anchors=anchors, anchored_seq=top)

    # Walk up to the head read first: events after it are committed by writers running
    # meanwhile (the walk is not one snapshot on SQLite), not part of what is checked.
    start_seq, start_hash = head(conn)
    query = select(audit_events).where(audit_events.c.seq <= start_seq)
    for row in conn.execute(query.order_by(audit_events.c.seq)):
        expected_seq = count + 1
        if row.seq != expected_seq:
            return bad(expected_seq, "event missing")
        if row.prev_hash != prev or event_hash(prev, event_content(row)) != row.hash:
            return bad(row.seq, "event altered (hash does not match its content)")
        if anchored.get(row.seq, row.hash) != row.hash:
            return bad(row.seq, "event altered (hash differs from its anchor)")
        prev = row.hash
        count += 1
    if top > count:
        return bad(count + 1, "anchored events missing (dropped or truncated)")
    if count != start_seq or prev != start_hash:
        return bad(count + 1 if count < start_seq else count,
                   "chain head does not match the last event")
    beyond = conn.execute(select(audit_events.c.seq).where(
        audit_events.c.seq > start_seq).limit(1)).first()
    if beyond is not None and head(conn)[0] == start_seq:  # not a writer meanwhile
        return bad(start_seq + 1, "events beyond the chain head")
    return ChainReport(events=count, ok=True, anchors=anchors, anchored_seq=top)


# --- what anchors need (chartvault.anchors writes the objects) -----------------------


def head(conn: Connection) -> tuple[int, str]:
    """Committed chain head: (sequence, hash); (0, GENESIS) for an empty chain."""
    row = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
    return (int(row.seq), str(row.hash)) if row else (0, GENESIS)


def chained_hashes(conn: Connection, from_seq: int, to_seq: int) -> list[str]:
    """Hashes of events from_seq..to_seq, re-checked; ``ValueError`` if broken there.

    An anchor must never vouch for a chain that is already broken.
    """
    rows = conn.execute(select(audit_events).where(
        audit_events.c.seq >= from_seq, audit_events.c.seq <= to_seq
    ).order_by(audit_events.c.seq)).all()
    out: list[str] = []
    prev = rows[0].prev_hash if rows else GENESIS
    for expected, row in enumerate(rows, start=from_seq):
        if (row.seq != expected or row.prev_hash != prev
                or event_hash(prev, event_content(row)) != row.hash):
            raise ValueError(f"audit chain broken at event {expected}")
        out.append(row.hash)
        prev = row.hash
    if len(out) != to_seq - from_seq + 1:
        raise ValueError(f"audit chain broken at event {from_seq + len(out)}")
    return out


def last_anchor(conn: Connection) -> tuple[int, str, datetime] | None:
    """Sequence, hash and time of the newest anchor this catalog wrote (a cache, not evidence)."""
    row = conn.execute(
        select(audit_anchors).order_by(audit_anchors.c.seq.desc()).limit(1)).first()
    if row is None:
        return None
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return int(row.seq), str(row.hash), at


def record_anchor(conn: Connection, seq: int, digest: str, key: str, reason: str,
                  at: datetime) -> None:
    """Remember that an anchor was written (idempotent)."""
    values = {"seq": seq, "hash": digest, "key": key, "reason": reason, "at": at}
    stmt = (sqlite.insert(audit_anchors) if conn.dialect.name == "sqlite"
            else postgresql.insert(audit_anchors))
    conn.execute(stmt.values(values).on_conflict_do_nothing(index_elements=["seq"]))
