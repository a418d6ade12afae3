"""Disposal of one record: the last check before any side effect, then destroy or purge.

A plan is a list written days before its execution; in between, a hold may have been
placed, a later encounter may have extended the retention, or the plan's as-of date may
be wrong. ``why_not`` re-reads the record (catalog row, active holds) and the Object
Lock state of every object it would delete, and names the reason when the record must
not be touched now: nothing is written (no tombstone, no deleted copy) for such a record.
Destroy order per record: tombstone object first (the proof survives), then local
copies and every object version, then the catalog row (replaced by the tombstone row),
in one transaction with the audit event.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import RowMapping

from chartvault.catalog import Catalog
from chartvault.catalog import disposition as plan_rows
from chartvault.catalog.rebuild import apply_event
from chartvault.events import RecordEvent
from chartvault.holds import is_held
from chartvault.model import Manifest
from chartvault.pipeline import crash
from storage.base import ObjectStore


def record_keys(store: ObjectStore, doc_id: str) -> list[str]:
    """Every object under the record's prefix."""
    return sorted(store.list(f"records/{doc_id}/"))


def _derived_keys(store: ObjectStore, row: RowMapping) -> list[str]:
    """What a purge removes: every record object but the original, manifest and events."""
    keep = {row["manifest_key"], row["original_key"]}
    return [k for k in record_keys(store, row["doc_id"]) if k not in keep and "/events/" not in k]


def why_not(catalog: Catalog, store: ObjectStore, row: RowMapping | None, action: str,
            as_of: date, now: datetime) -> str | None:
    """Reason this record must not be disposed of now, or None when it may be.

    ``now`` is the store's clock (Object Lock compares retain-until with it); the
    catalog's retain-until must lie before both the plan's as-of date and today.
    """
    if row is None:
        return "skipped_missing"
    if row["status"] != "archived":
        return "skipped_status"
    if row["legal_hold"] or is_held(catalog, row["doc_id"]):
        return "skipped_hold"
    until = row["retain_until"]
    if until is None or until >= min(as_of, now.date()):
        return "skipped_retention"
    if row["disposition"] != action:
        return "skipped_changed"  # the record's stamped disposition is no longer this one
    keys = record_keys(store, row["doc_id"]) if action == "destroy" else _derived_keys(store, row)
    for key in keys:
        info = store.head(key)
        if info is None:
            continue
        if info.legal_hold:
            return "skipped_hold"
        if info.retain_until is not None and info.retain_until > now:
            return "skipped_retention"
    return None


def _local_copies(data_dir: Path | None, doc_id: str, sha256: str) -> list[Path]:
    """Processed intake copies and quarantined copies of the same bytes."""
    if data_dir is None:
        return []
    found = list((data_dir / "processed").glob(f"{doc_id}.*"))
    for reason in (data_dir / "quarantine").glob("*/reason.json"):
        if json.loads(reason.read_text()).get("sha256") == sha256:
            found.append(reason.parent)
    return found


def destroy_record(catalog: Catalog, store: ObjectStore, doc_id: str, plan_id: str,
                   actor: str, data_dir: Path | None = None) -> None:
    """Destroy one record everywhere chartvault wrote it, keeping a tombstone."""
    row = catalog.get(doc_id)
    if row is None or row["status"] == "destroyed":
        return
    manifest: Manifest | None = None
    if store.head(row["manifest_key"]) is not None:
        manifest = Manifest.model_validate_json(store.get(row["manifest_key"]))
    tomb = RecordEvent(doc_id=doc_id, kind="tombstone", actor=actor, data={
        "plan_id": plan_id, "sha256": row["sha256"], "doc_type": row["doc_type"],
        "loinc": row["loinc"], "facility": row["facility"],
        "jurisdiction": row["jurisdiction"], "intake": row["intake"],
        "batch_id": row["batch_id"], "pages": row["pages"],
        "source_format": row["source_format"], "size_bytes": row["size_bytes"],
        "captured_at": row["captured_at"].isoformat(),
        "ingested_at": row["ingested_at"].isoformat(),
        "ingested_by": row["ingested_by"], "policy_id": row["policy_id"],
        "rule_id": row["rule_id"],
        "retain_until": row["retain_until"].isoformat() if row["retain_until"] else None,
        "checksums": {k: r.sha256 for k, r in manifest.objects.items()} if manifest else {},
        "service_date": (row["service_date"] or row["document_date"] or "").__str__(),
    })
    if store.head(tomb.key()) is None:
        store.put(tomb.key(), tomb.model_dump_json().encode(),
                  content_type="application/json")
    else:
        # a resumed destruction: the tombstone written before the crash is the proof (it
        # was made while the manifest still existed); the catalog row must be its copy
        tomb = RecordEvent.model_validate_json(store.get(tomb.key()))
    crash.point("destroy-after-tombstone")
    from extractors.scratch import sweep as sweep_scratch

    sweep_scratch()  # page images that a killed ingest run left in its scratch folder
    for copy in _local_copies(data_dir, doc_id, row["sha256"]):
        shutil.rmtree(copy) if copy.is_dir() else copy.unlink()
    crash.point("destroy-after-local")
    for key in record_keys(store, doc_id):
        store.delete(key)
        crash.point("destroy-mid-objects")
    crash.point("destroy-before-row")
    with catalog.transaction() as conn:
        plan_rows.replace_by_tombstone(conn, doc_id, tomb)
        catalog.audit(actor, "destroy", [doc_id], detail={"plan_id": plan_id}, conn=conn)


def purge_record(catalog: Catalog, store: ObjectStore, doc_id: str, plan_id: str,
                 actor: str) -> None:
    """Drop derived data (text, OCR words, renditions); keep original and manifest.

    The ``purged`` event is written first and names every key it removes, so fixity
    knows them as purged (not missing) even if the run dies half-way through.
    """
    row = catalog.get(doc_id)
    if row is None or row["status"] != "archived":
        return
    removed = set(_derived_keys(store, row))
    if store.head(row["manifest_key"]) is not None:
        manifest = Manifest.model_validate_json(store.get(row["manifest_key"]))
        removed |= {ref.key for ref in manifest.objects.values()
                    if ref.key != row["original_key"]}
    event = RecordEvent(doc_id=doc_id, kind="purged", actor=actor,
                        data={"plan_id": plan_id, "removed": sorted(removed)})
    store.put(event.key(), event.model_dump_json().encode(), content_type="application/json")
    crash.point("purge-after-event")
    for key in sorted(removed):
        if store.head(key) is not None:
            store.delete(key)
            crash.point("purge-mid-delete")
    with catalog.transaction() as conn:
        apply_event(conn, event)
        catalog.audit(actor, "purge", [doc_id], detail={"plan_id": plan_id}, conn=conn)
