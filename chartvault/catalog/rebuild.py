"""Recreate the catalog from storage, which is the source of truth.

Reads every manifest and its text, replays each record's event objects in time order
(retention extensions, holds, corrections) and the tombstones of destroyed records.
The audit trail is not rebuilt: it lives in the database it protects (and is exported
by the compliance flows).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from chartvault.catalog import dialect
from chartvault.catalog.repository import Catalog, document_row, name_key, normalise_mrn
from chartvault.catalog.schema import documents
from chartvault.events import RecordEvent
from chartvault.model import Manifest
from storage.base import ObjectStore

log = logging.getLogger(__name__)

_CORRECTABLE = {
    "doc_type", "loinc", "mrn", "patient_family", "patient_given", "birth_date", "sex",
    "service_date", "document_date", "admission_date", "discharge_date", "author",
    "needs_review",
}
_DATES = {"birth_date", "service_date", "document_date", "admission_date", "discharge_date"}


def apply_event(conn: Connection, event: RecordEvent) -> None:
    """Bring a record's catalog row up to date with one event."""
    row = documents.c
    where = row.doc_id == event.doc_id
    data = event.data
    if event.kind == "retention_extended":
        conn.execute(update(documents).where(where).values(
            retain_until=date.fromisoformat(data["retain_until"]), rule_id=data["rule_id"]))
    elif event.kind == "hold_set":
        conn.execute(update(documents).where(where).values(legal_hold=True))
    elif event.kind == "hold_released":
        still_held = bool(data.get("other_holds"))
        conn.execute(update(documents).where(where).values(legal_hold=still_held))
    elif event.kind == "correction":
        values: dict[str, Any] = {}
        for field, value in data["fields"].items():
            if field not in _CORRECTABLE:
                continue
            values[field] = date.fromisoformat(value) if field in _DATES and value else value
        if values.get("mrn"):
            values["mrn"] = normalise_mrn(values["mrn"])
        conn.execute(update(documents).where(where).values(**values))
        current = conn.execute(documents.select().where(where)).mappings().first()
        if current is not None:
            conn.execute(update(documents).where(where).values(
                name_key=name_key(current["patient_family"], current["patient_given"])))
    elif event.kind == "purged":
        dialect.unindex_text(conn, event.doc_id)
        conn.execute(update(documents).where(where).values(status="purged"))
    elif event.kind == "tombstone":
        dialect.unindex_text(conn, event.doc_id)
        conn.execute(documents.delete().where(where))
        conn.execute(insert(documents).values(**tombstone_row(event)))


def tombstone_row(event: RecordEvent) -> dict[str, Any]:
    """Catalog row of a destroyed record: ids, type, dates, policy, checksums; no patient."""
    d = event.data
    return {
        "doc_id": event.doc_id, "sha256": d["sha256"], "status": "destroyed",
        "doc_type": d["doc_type"], "loinc": d.get("loinc"), "type_confidence": 0.0,
        "needs_review": False, "review_reasons": [], "facility": d["facility"],
        "jurisdiction": d.get("jurisdiction", ""), "intake": d.get("intake", ""),
        "batch_id": d.get("batch_id", ""), "codes": {}, "pages": d.get("pages", 0),
        "source_format": d.get("source_format", ""), "size_bytes": d.get("size_bytes", 0),
        "captured_at": datetime.fromisoformat(d["captured_at"]),
        "ingested_at": datetime.fromisoformat(d["ingested_at"]),
        "ingested_by": d.get("ingested_by", ""), "manifest_key": "", "original_key": "",
        "policy_id": d.get("policy_id"), "rule_id": d.get("rule_id"),
        "retain_until": date.fromisoformat(d["retain_until"]) if d.get("retain_until") else None,
        "disposition": "destroy", "legal_hold": False,
    }


def rebuild(catalog: Catalog, store: ObjectStore) -> dict[str, int]:
    """Fill an empty catalog from storage; returns counts."""
    counts = {"documents": 0, "events": 0, "tombstones": 0}
    manifests = sorted(k for k in store.list("records/") if k.endswith("/manifest.json"))
    for key in manifests:
        manifest = Manifest.model_validate_json(store.get(key))
        text_ref = manifest.objects.get("text")
        text = store.get(text_ref.key).decode() if text_ref else ""
        events = sorted(
            (RecordEvent.model_validate(json.loads(store.get(k)))
             for k in store.list(f"records/{manifest.doc_id}/events/")),
            key=lambda e: e.at,
        )
        with catalog.transaction() as conn:
            conn.execute(insert(documents).values(**document_row(manifest, key)))
            dialect.index_text(conn, manifest.doc_id, text)
            for event in events:
                apply_event(conn, event)
        counts["documents"] += 1
        counts["events"] += len(events)
    for key in sorted(store.list("tombstones/")):
        event = RecordEvent.model_validate(json.loads(store.get(key)))
        with catalog.transaction() as conn:
            apply_event(conn, event)
        counts["tombstones"] += 1
    log.info("catalog rebuilt: %s", counts)
    return counts
