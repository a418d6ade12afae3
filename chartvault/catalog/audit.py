"""Tamper-evident audit trail: an append-only, hash-chained table.

Each event's hash is SHA-256 over its canonical JSON and the previous event's hash, so
editing, deleting or reordering any row breaks every hash after it. Database triggers
refuse UPDATE and DELETE; the chain catches what a privileged user does around them.
Events carry ids, counts and outcomes only; never patient data (search criteria are
recorded by field name, not value).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from chartvault.catalog.schema import audit_events, audit_head

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
    # Lock the chain head so concurrent writers serialise (SELECT ... FOR UPDATE on
    # PostgreSQL; SQLite serialises writers anyway).
    head = conn.execute(select(audit_head).where(audit_head.c.id == 1).with_for_update()).first()
    prev_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    seq = prev_seq + 1
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
    conn.execute(
        insert(audit_events).values(
            seq=seq,
            at=when,
            actor=actor,
            action=action,
            doc_ids=event["doc_ids"],
            outcome=outcome,
            detail=event["detail"],
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    if head:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    else:
        conn.execute(insert(audit_head).values(id=1, seq=seq, hash=digest))
    return seq


@dataclass(frozen=True)
class ChainReport:
    """Result of re-walking the chain."""

    events: int
    ok: bool
    first_bad_seq: int | None = None


def verify(conn: Connection) -> ChainReport:
    """Recompute every hash from the first event on."""
    prev = GENESIS
    count = 0
    expected_seq = 1
    for row in conn.execute(select(audit_events).order_by(audit_events.c.seq)):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        event = {
            "seq": row.seq,
            "at": at.astimezone(UTC).isoformat(),
            "actor": row.actor,
            "action": row.action,
            "doc_ids": row.doc_ids,
            "outcome": row.outcome,
            "detail": row.detail,
        }
        if row.seq != expected_seq or row.prev_hash != prev or event_hash(prev, event) != row.hash:
            return ChainReport(events=count, ok=False, first_bad_seq=row.seq)
        prev = row.hash
        count += 1
        expected_seq += 1
    head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
    if head is not None and (head.seq != count or head.hash != prev):
        return ChainReport(events=count, ok=False, first_bad_seq=count)
    return ChainReport(events=count, ok=True)
