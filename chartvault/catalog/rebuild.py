"""Recreate the catalog from storage, which is the source of truth.

Reads every manifest and its text (not for a purged record: the purge removed it),
replays each record's event objects in time order (retention extensions, holds,
corrections, purges) and the tombstones of destroyed records; then the holds table
from hold objects (patient holds too), the quarantine list from each quarantine
folder's ``reason.json``, and executed disposition plans from their certificates. What
cannot be read is named in the report, never skipped silently; what storage never held
(the audit trail lives in the database it protects) is named too. Only an empty
database is filled: merging into a live catalog would mix two histories.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update

from chartvault.catalog import dialect
from chartvault.catalog.names import name_columns
from chartvault.catalog.repository import Catalog, document_row, normalise_mrn
from chartvault.catalog.schema import (
    disposition_items,
    disposition_plans,
    documents,
    holds,
    quarantine,
)
from chartvault.errors import StorageError, UserError
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
                **name_columns(current["patient_family"], current["patient_given"])))
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


@dataclass
class RebuildReport:
    """What a rebuild restored (counts) and what it could not (one line per item)."""

    counts: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)  # stored, but unreadable or incomplete
    not_stored: list[str] = field(default_factory=list)  # the catalog alone ever held it

    @property
    def complete(self) -> bool:
        """Everything storage holds was restored."""
        return not self.lost


class CatalogNotEmpty(UserError):
    """``catalog rebuild`` only fills an empty database: it never merges."""

    code = "catalog_not_empty"


NOT_STORED = [
    "audit history: kept only in the catalog database (the rebuilt chain starts with "
    "this rebuild)",
    "ingest batch records (counts per batch): kept only in the catalog database",
    "disposition plans that were not executed, and the items of any plan that were not "
    "destroyed: kept only in the catalog database",
]


def _event(store: ObjectStore, key: str) -> RecordEvent:
    return RecordEvent.model_validate(json.loads(store.get(key)))


def _record(conn: Connection, store: ObjectStore, key: str, event_keys: list[str],
            report: RebuildReport) -> None:
    """One manifest, its text unless purged, and its events in time order."""
    manifest = Manifest.model_validate_json(store.get(key))
    events = []
    for k in event_keys:
        try:
            events.append(_event(store, k))
        except (ValueError, ValidationError, StorageError):
            report.lost.append(f"{k}: unreadable event, not replayed")
    events.sort(key=lambda e: e.at)
    purged = any(e.kind == "purged" for e in events)
    text_ref = manifest.objects.get("text")
    text = ""
    if text_ref and not purged:
        if store.head(text_ref.key) is None:
            report.lost.append(f"{text_ref.key}: missing (no purge recorded); "
                               "record catalogued without its full text")
        else:
            text = store.get(text_ref.key).decode()
    conn.execute(insert(documents).values(**document_row(manifest, key)))
    dialect.index_text(conn, manifest.doc_id, text)
    for event in events:
        apply_event(conn, event)
    report.counts["documents"] += 1
    report.counts["events"] += len(events)
    report.counts["purged"] += purged


def _hold_values(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("hold_id", "kind", "facility", "mrn", "doc_id",
                                    "case_name", "reason", "created_by")} | {
        "created_at": datetime.fromisoformat(doc["created_at"])}


def _holds(catalog: Catalog, store: ObjectStore, record_keys: list[str],
           report: RebuildReport) -> None:
    """The holds table from hold objects; holds seen only in record events are named."""
    stored: set[str] = set()
    for key in store.list("holds/"):
        if key.endswith(".released.json"):
            continue
        try:
            doc = json.loads(store.get(key))
            values = _hold_values(doc)
        except (ValueError, KeyError, StorageError):
            report.lost.append(f"{key}: unreadable hold object")
            continue
        release = key.removesuffix(".json") + ".released.json"
        if store.head(release) is not None:
            rel = json.loads(store.get(release))
            values |= {"released_at": datetime.fromisoformat(rel["released_at"]),
                       "released_by": rel["released_by"]}
        with catalog.transaction() as conn:
            conn.execute(insert(holds).values(**values))
        stored.add(values["hold_id"])
        report.counts["holds"] += 1
    seen: dict[str, bool] = {}  # hold_id -> still set after its record's last event
    for key in record_keys:
        if "/events/" in key and ("-hold_set-" in key or "-hold_released-" in key):
            event = _event(store, key)
            hold_id = event.data.get("hold_id")
            if hold_id and hold_id not in stored:
                seen[hold_id] = seen.get(hold_id, False) or event.kind == "hold_set"
    for hold_id in sorted(seen):
        report.lost.append(f"hold {hold_id}: no hold object in storage (placed before holds "
                           "were stored); the records' hold flags are restored, its case, "
                           "reason and patient scope are not")
    # a patient hold covers every record of the patient, flag events or not
    with catalog.transaction() as conn:
        for hold in conn.execute(select(holds).where(holds.c.released_at.is_(None))).mappings():
            if hold["kind"] == "patient":
                cond = (documents.c.facility == hold["facility"]) & (
                    documents.c.mrn == hold["mrn"])
            else:
                cond = documents.c.doc_id == hold["doc_id"]
            conn.execute(update(documents).where(cond & (documents.c.status != "destroyed"))
                         .values(legal_hold=True))


def _quarantine(catalog: Catalog, data_dir: Path, report: RebuildReport) -> None:
    """Quarantine entries from each folder's ``reason.json`` (``resolved.json``: handled)."""
    for folder in sorted((data_dir / "quarantine").glob("*")):
        reason = folder / "reason.json"
        if not folder.is_dir():
            continue
        try:
            doc = json.loads(reason.read_text())
            values = {
                "quarantine_id": doc["quarantine_id"], "sha256": doc.get("sha256"),
                "at": datetime.fromisoformat(doc["quarantined_at"]),
                "batch_id": doc.get("batch_id") or "", "intake": doc.get("intake") or "",
                "reason": doc["reason"], "detail": doc.get("detail") or "",
                "folder": str(folder.relative_to(data_dir)),
                "resolved": (folder / "resolved.json").exists(),  # released or purged
            }
        except (OSError, ValueError, KeyError):
            report.lost.append(f"quarantine/{folder.name}: no readable reason.json; the "
                               "folder is kept but not listed")
            continue
        with catalog.transaction() as conn:
            conn.execute(insert(quarantine).values(**values))
        report.counts["quarantine"] += 1


def _when(text: str | None) -> datetime | None:
    """A certificate's timestamp (written with ``str``; naive ones are UTC)."""
    if not text or text == "None":
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _plans(catalog: Catalog, store: ObjectStore, report: RebuildReport) -> None:
    """Executed plans from their certificates: plan, approval and destroyed items."""
    for key in store.list("compliance/certificates/"):
        if not key.endswith(".json"):
            continue
        try:
            cert = json.loads(store.get(key))
            plan_id = cert["authority"]["plan_id"]
        except (ValueError, KeyError, StorageError):
            report.lost.append(f"{key}: unreadable certificate; its plan is not restored")
            continue
        approved = _when(cert.get("approved_at"))
        finished = _when(cert.get("date_of_destruction"))
        with catalog.transaction() as conn:
            conn.execute(insert(disposition_plans).values(
                plan_id=plan_id, created_at=approved or finished or datetime.now(UTC),
                as_of=date.fromisoformat(cert["authority"]["as_of"]),
                requested_by=cert["requested_by"], status="done",
                approved_by=cert.get("approved_by"), approved_at=approved,
                finished_at=finished,
                counts={"total": cert["records"]["count"],
                        "by_type": cert["records"]["by_type"], "restored_from": key},
                certificate_key=key.removesuffix(".json") + ".pdf"))
            for doc_id in cert["records"]["doc_ids"]:
                conn.execute(insert(disposition_items).values(
                    plan_id=plan_id, doc_id=doc_id, action="destroy", status="done"))
        report.counts["plans"] += 1


def ensure_empty(catalog: Catalog) -> None:
    """Refuse a target that holds anything a rebuild would write."""
    filled = {k: v for k, v in catalog.content_counts().items() if v}
    if filled:
        what = ", ".join(f"{n} {k}" for k, v in filled.items() for n in [v])
        raise CatalogNotEmpty(f"the target catalog is not empty ({what}); rebuild into a "
                              "new, empty database with --into URL")


def rebuild(catalog: Catalog, store: ObjectStore, data_dir: Path | None = None) -> RebuildReport:
    """Fill an empty catalog from storage (and the quarantine folders under ``data_dir``)."""
    ensure_empty(catalog)
    report = RebuildReport(counts=dict.fromkeys(
        ("documents", "events", "purged", "tombstones", "holds", "quarantine", "plans"), 0),
        not_stored=list(NOT_STORED))
    keys = list(store.list("records/"))  # once: a local store walks its whole tree
    events: dict[str, list[str]] = {}
    for k in keys:
        if "/events/" in k:
            events.setdefault(k.split("/", 2)[1], []).append(k)
    for key in sorted(k for k in keys if k.endswith("/manifest.json")):
        try:
            with catalog.transaction() as conn:
                _record(conn, store, key, events.get(key.split("/", 2)[1], []), report)
        except (ValueError, ValidationError, StorageError) as err:
            report.lost.append(f"{key}: {type(err).__name__}; record not catalogued")
    for key in sorted(store.list("tombstones/")):
        try:
            event = _event(store, key)
        except (ValueError, ValidationError, StorageError):
            report.lost.append(f"{key}: unreadable tombstone")
            continue
        with catalog.transaction() as conn:
            apply_event(conn, event)
        report.counts["tombstones"] += 1
    _holds(catalog, store, keys, report)
    if data_dir is not None:
        _quarantine(catalog, data_dir, report)
    _plans(catalog, store, report)
    log.info("catalog rebuilt: %s; %d item(s) not recoverable", report.counts, len(report.lost))
    return report
