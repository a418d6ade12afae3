"""Anchors: the audit chain head, copied into locked objects nobody can rewrite.

The hash chain shows an edit, but a user who can write the database can re-chain every
hash after an edit, truncate the trail or drop its tail, and the chain alone still looks
whole. So, every ``anchor_every_events`` events or ``anchor_every_minutes`` (checked after
each commit that audited something), and with every certificate of destruction, the head
is written to object storage, locked: COMPLIANCE mode on S3 Object Lock (not even the
root account shortens it), write-once and retained in code on the local store. Each
anchor also lists the hashes of the events since the previous one, so ``verify`` names
the first sequence that differs, not just the anchor after it. Events after the newest
anchor are vouched for by the chain only; that window is what the interval bounds.
Anchors hold sequences and hashes only: no actor, no ids, no patient data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from chartvault.catalog import Catalog, audit
from chartvault.catalog.audit import ChainReport
from chartvault.errors import ChartvaultError, IntegrityError, ObjectExists
from chartvault.events import ANCHOR_PREFIX, anchor_key
from chartvault.settings import AuditSettings, Settings
from storage.base import ObjectStore

log = logging.getLogger(__name__)

SCHEMA = "chartvault.audit-anchor.v1"
CONFLICT = "!conflicting-anchors"  # two anchors disagree: no database row can match
# At most this many hashes per anchor (~650 KB): the first anchor of a long trail written
# before anchors existed lists its newest events only. An edit before an anchor's first
# listed event still changes that event's hash (the chain), so it is named there.
MAX_HASHES = 10_000


@dataclass(frozen=True)
class Anchor:
    """One anchor object: events from_seq..seq had these hashes when it was written."""

    seq: int
    hash: str
    from_seq: int
    hashes: tuple[str, ...]
    reason: str
    anchored_at: datetime
    key: str

    def body(self) -> bytes:
        """The object's bytes (canonical JSON)."""
        return json.dumps({
            "schema": SCHEMA, "seq": self.seq, "hash": self.hash, "from_seq": self.from_seq,
            "hashes": list(self.hashes), "reason": self.reason,
            "anchored_at": self.anchored_at.isoformat(),
        }, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def parse(cls, key: str, data: bytes) -> Anchor:
        """Read an anchor object; ``IntegrityError`` if it is not one."""
        try:
            raw: dict[str, Any] = json.loads(data)
            anchor = cls(seq=int(raw["seq"]), hash=str(raw["hash"]),
                         from_seq=int(raw["from_seq"]),
                         hashes=tuple(str(h) for h in raw["hashes"]),
                         reason=str(raw["reason"]),
                         anchored_at=datetime.fromisoformat(raw["anchored_at"]), key=key)
        except (ValueError, KeyError, TypeError):
            raise IntegrityError(f"anchor {key} is not readable", code="anchor_invalid") from None
        if (raw.get("schema") != SCHEMA or len(anchor.hashes) != anchor.seq - anchor.from_seq + 1
                or anchor.hashes[-1] != anchor.hash or key != anchor_key(anchor.seq)):
            raise IntegrityError(f"anchor {key} is inconsistent", code="anchor_invalid")
        return anchor


@runtime_checkable
class _LockModes(Protocol):
    """A store that can lock in a chosen Object Lock mode (S3)."""

    def with_lock_mode(self, mode: Any) -> ObjectStore:
        """Same store, new objects locked in ``mode``."""
        ...


def _compliance(store: ObjectStore) -> ObjectStore:
    return store.with_lock_mode("COMPLIANCE") if isinstance(store, _LockModes) else store


def anchor_now(catalog: Catalog, store: ObjectStore, reason: str, *,
               retain_days: int = AuditSettings().anchor_retain_days) -> Anchor | None:
    """Write the committed chain head to storage, locked; None when the chain is empty.

    Idempotent: an anchor already stored for the same head is returned as is. An anchor
    stored for the same sequence with another hash means the chain was rewritten since:
    ``IntegrityError`` (nothing is written over it; it cannot be).
    """
    with catalog.engine.connect() as conn:
        seq, digest = audit.head(conn)
        if seq == 0:
            return None
        last = audit.last_anchor(conn)
        if last is not None and last[:2] == (seq, digest) and store.head(anchor_key(seq)):
            return Anchor.parse(anchor_key(seq), store.get(anchor_key(seq)))  # done already
        from_seq = last[0] + 1 if last is not None and last[0] < seq else 1
        from_seq = max(from_seq, seq - MAX_HASHES + 1)
        hashes = audit.chained_hashes(conn, from_seq, seq)
    if hashes[-1] != digest:
        raise IntegrityError(f"audit chain head differs from event {seq}", code="audit_broken")
    now = datetime.now(UTC)
    anchor = Anchor(seq=seq, hash=digest, from_seq=from_seq, hashes=tuple(hashes),
                    reason=reason, anchored_at=now, key=anchor_key(seq))
    try:
        _compliance(store).put(
            anchor.key, anchor.body(), content_type="application/json",
            tags={"record_class": "compliance", "doc_type": "audit_anchor"},
            retain_until=now + timedelta(days=retain_days))
    except ObjectExists:
        stored = Anchor.parse(anchor.key, store.get(anchor.key))
        if stored.hash != digest:
            log.error("an anchor at event %d holds another hash: the chain was rewritten", seq)
            raise IntegrityError(f"anchor at event {seq} holds another hash",
                                 code="audit_anchor_conflict") from None
        anchor = stored
    with catalog.transaction() as conn:
        audit.record_anchor(conn, anchor.seq, anchor.hash, anchor.key, anchor.reason,
                            anchor.anchored_at)
    log.info("audit chain anchored at event %d (%s)", seq, reason)
    return anchor


def anchor_if_due(catalog: Catalog, store: ObjectStore, settings: AuditSettings) -> Anchor | None:
    """Anchor when enough events or enough time have passed since the last anchor."""
    with catalog.engine.connect() as conn:
        seq, _ = audit.head(conn)
        last = audit.last_anchor(conn)
    if last is not None:
        last_seq, _, last_at = last
        if seq <= last_seq:
            return None
        age = datetime.now(UTC) - last_at
        if (seq - last_seq < settings.anchor_every_events
                and age < timedelta(minutes=settings.anchor_every_minutes)):
            return None
    elif seq == 0:
        return None
    return anchor_now(catalog, store, "interval", retain_days=settings.anchor_retain_days)


def attach(catalog: Catalog, store: ObjectStore | Callable[[], ObjectStore],
           settings: AuditSettings) -> None:
    """Anchor when due after every commit that audited something.

    The check is in memory (the sequence just committed against the last anchor this
    process knows of); only when that looks due is the database asked. A failed anchor
    never fails the audited action (its event is committed): it is logged, and the next
    commit tries again.
    """
    known: list[tuple[int, datetime]] = []  # (seq, at) of the last anchor seen
    opened: list[ObjectStore] = []

    def target() -> ObjectStore:  # opened at the first anchor, not at every process start
        if not opened:
            opened.append(store if isinstance(store, ObjectStore) else store())
        return opened[0]

    def after(seq: int) -> None:
        if known:
            last_seq, last_at = known[0]
            if (seq - last_seq < settings.anchor_every_events
                    and datetime.now(UTC) - last_at
                    < timedelta(minutes=settings.anchor_every_minutes)):
                return
        try:
            anchor_if_due(catalog, target(), settings)
            with catalog.engine.connect() as conn:
                last = audit.last_anchor(conn)
            known[:] = [(last[0], last[2])] if last is not None else []
        except (ChartvaultError, ValueError) as err:
            log.warning("audit anchor not written (%s); retried after the next event",
                        getattr(err, "code", type(err).__name__))

    catalog.after_audit = after


def attach_settings(catalog: Catalog, settings: Settings) -> None:
    """``attach`` with the configured store and intervals: entry points call this once."""
    from storage.factory import open_store

    attach(catalog, lambda: open_store(settings), settings.audit)


def load(store: ObjectStore) -> list[Anchor]:
    """Every anchor in storage, oldest first."""
    return [Anchor.parse(key, store.get(key)) for key in store.list(ANCHOR_PREFIX)
            if key.endswith(".json")]


def expected_hashes(anchors: list[Anchor]) -> dict[int, str]:
    """Sequence -> anchored hash; a sequence two anchors disagree on can match nothing."""
    out: dict[int, str] = {}
    for anchor in anchors:
        for seq, digest in enumerate(anchor.hashes, start=anchor.from_seq):
            if out.setdefault(seq, digest) != digest:
                out[seq] = CONFLICT
    return out


def verify(catalog: Catalog, store: ObjectStore) -> ChainReport:
    """Re-walk the chain and check it against every anchor in storage."""
    anchors = load(store)
    return catalog.verify_audit(expected_hashes(anchors), len(anchors))
