"""Record events: what changes after ingest, as append-only objects beside the manifest.

The manifest written at ingest is never rewritten. A retention extension, a legal hold
set or released, a correction of type or patient, or a destruction tombstone is a new
event object under ``records/<doc_id>/events/`` (tombstones under ``tombstones/``, since
the record's own prefix is destroyed). Each event names the event before it, so the
history of a record is a chain that ``catalog rebuild`` replays in order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventKind = Literal[
    "retention_extended", "hold_set", "hold_released", "correction", "purged", "tombstone",
    "rendition_added"
]


class RecordEvent(BaseModel):
    """One change to a record; immutable once stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    doc_id: str
    kind: EventKind
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    actor: str
    previous_event: str | None = None  # event_id of the record's previous event
    data: dict[str, Any] = Field(default_factory=dict)

    def key(self) -> str:
        """Object key: sortable by time, ids only."""
        stamp = self.at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if self.kind == "tombstone":
            return f"tombstones/{self.doc_id}.json"
        return f"records/{self.doc_id}/events/{stamp}-{self.kind}-{self.event_id[:8]}.json"


def retention_extended(doc_id: str, actor: str, until: date, rule_id: str,
                       reason: str, previous: str | None = None) -> RecordEvent:
    """The record's retain-until moved later (never earlier)."""
    return RecordEvent(doc_id=doc_id, kind="retention_extended", actor=actor,
                       previous_event=previous,
                       data={"retain_until": until.isoformat(), "rule_id": rule_id,
                             "reason": reason})


def correction(doc_id: str, actor: str, fields: dict[str, Any], reason: str,
               previous: str | None = None) -> RecordEvent:
    """A new version of some metadata (type, patient, dates); the old stays in history."""
    return RecordEvent(doc_id=doc_id, kind="correction", actor=actor, previous_event=previous,
                       data={"fields": fields, "reason": reason})


ANCHOR_PREFIX = "audit/anchors/"


def anchor_key(seq: int) -> str:
    """Object key of the audit anchor at chain sequence ``seq``: one per sequence, ever."""
    return f"{ANCHOR_PREFIX}{seq:012d}.json"


RELEASE_PREFIX = "releases/"


def release_event_key(request_id: str, kind: str, at: datetime) -> str:
    """Object key of one step of a release request (received, reviewed, denied, fulfilled)."""
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{RELEASE_PREFIX}{request_id}/{stamp}-{kind}.json"
