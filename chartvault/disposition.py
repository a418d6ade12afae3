"""Disposition: sweep -> plan, approval by a second person, execution.

The sweep only writes a plan (set-based SQL, so a million records take seconds); it
changes nothing else and no flow run waits for approval. Approval must come from a
named user other than the requester; a scheduled sweep's requester is the scheduler's
service identity, which can never approve. Execution works item by item, skipping
records put on hold after the plan was made; each item ends ``done`` or ``skipped_*``,
so a crashed run is resumed by running it again. Destroy order per record: tombstone
object first (the proof survives), then every object version, then the catalog row
(replaced by the tombstone row), in one transaction with the audit event.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, literal, select, update

from chartvault.catalog import Catalog, dialect
from chartvault.catalog.rebuild import apply_event, tombstone_row
from chartvault.catalog.schema import disposition_items, disposition_plans, documents
from chartvault.errors import ChartvaultError
from chartvault.events import RecordEvent
from chartvault.holds import is_held
from chartvault.model import Manifest
from storage.base import ObjectStore

log = logging.getLogger(__name__)

SCHEDULER_IDENTITY = "svc:scheduler"


class DispositionError(ChartvaultError):
    """A plan cannot be approved or executed as asked."""

    code = "disposition_error"


def sweep(catalog: Catalog, today: date, requested_by: str = SCHEDULER_IDENTITY) -> str:
    """Plan the disposition of every record past retain-until and not on hold."""
    plan_id = "p-" + today.strftime("%Y%m%d") + "-" + uuid.uuid4().hex[:8]
    due = (documents.c.status == "archived") & (documents.c.retain_until < today) & (
        documents.c.legal_hold.is_(False)) & (documents.c.disposition.is_not(None))
    with catalog.transaction() as conn:
        conn.execute(insert(disposition_plans).values(
            plan_id=plan_id, created_at=datetime.now(UTC), as_of=today,
            requested_by=requested_by, status="planned", counts={}))
        conn.execute(insert(disposition_items).from_select(
            ["plan_id", "doc_id", "action", "status"],
            select(literal(plan_id), documents.c.doc_id, documents.c.disposition,
                   literal("planned")).where(due)))
        rows = conn.execute(
            select(documents.c.disposition, documents.c.doc_type, documents.c.policy_id,
                   func.count())
            .where(due).group_by(documents.c.disposition, documents.c.doc_type,
                                 documents.c.policy_id)).all()
        counts: dict[str, Any] = {"by_action": {}, "by_type": {}, "by_policy": {}, "total": 0}
        for action, doc_type, policy, n in rows:
            for k, v in (("by_action", action), ("by_type", doc_type),
                         ("by_policy", policy or "none")):
                counts[k][v] = counts[k].get(v, 0) + n
            counts["total"] += n
        conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                     .values(counts=counts))
        catalog.audit(requested_by, "retention_sweep", outcome="planned",
                      detail={"plan_id": plan_id, "as_of": today.isoformat(),
                              "total": counts["total"]}, conn=conn)
    log.info("plan %s: %d records due", plan_id, counts["total"])
    return plan_id


def approve(catalog: Catalog, plan_id: str, approver: str) -> None:
    """Second-person approval of a plan."""
    with catalog.transaction() as conn:
        plan = conn.execute(select(disposition_plans).where(
            disposition_plans.c.plan_id == plan_id)).mappings().first()
        if plan is None:
            raise DispositionError(f"no plan {plan_id}")
        if plan["status"] != "planned":
            raise DispositionError(f"plan {plan_id} is {plan['status']}, not planned")
        if approver == plan["requested_by"] or approver.startswith("svc:"):
            catalog.audit(approver, "retention_approve", outcome="refused",
                          detail={"plan_id": plan_id, "why": "two_person_rule"}, conn=conn)
            raise DispositionError("the requester (or a service identity) cannot approve")
        conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                     .values(status="approved", approved_by=approver,
                             approved_at=datetime.now(UTC)))
        catalog.audit(approver, "retention_approve", outcome="approved",
                      detail={"plan_id": plan_id}, conn=conn)


@dataclass
class ExecutionReport:
    """What an execution did (ids and counts)."""

    plan_id: str
    done: list[str] = field(default_factory=list)  # destroyed
    purged: list[str] = field(default_factory=list)  # derived data dropped, original kept
    skipped_hold: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)
    first_date: date | None = None
    last_date: date | None = None


def _record_keys(store: ObjectStore, doc_id: str) -> list[str]:
    return sorted(store.list(f"records/{doc_id}/"))


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
    if row is None:
        return
    from extractors.scratch import sweep as sweep_scratch

    sweep_scratch()  # page images that a killed ingest run left in its scratch folder
    for copy in _local_copies(data_dir, doc_id, row["sha256"]):
        shutil.rmtree(copy) if copy.is_dir() else copy.unlink()
    if row["status"] != "destroyed":
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
        for key in _record_keys(store, doc_id):
            store.delete(key)
        with catalog.transaction() as conn:
            dialect.unindex_text(conn, doc_id)
            conn.execute(documents.delete().where(documents.c.doc_id == doc_id))
            conn.execute(insert(documents).values(**tombstone_row(tomb)))
            catalog.audit(actor, "destroy", [doc_id], detail={"plan_id": plan_id}, conn=conn)


def purge_record(catalog: Catalog, store: ObjectStore, doc_id: str, plan_id: str,
                 actor: str) -> None:
    """Drop derived data (text, OCR words, renditions); keep original and manifest."""
    row = catalog.get(doc_id)
    if row is None or row["status"] != "archived":
        return
    keep = {row["manifest_key"], row["original_key"]}
    event = RecordEvent(doc_id=doc_id, kind="purged", actor=actor, data={"plan_id": plan_id})
    for key in _record_keys(store, doc_id):
        if key not in keep and "/events/" not in key:
            store.delete(key)
    store.put(event.key(), event.model_dump_json().encode(), content_type="application/json")
    with catalog.transaction() as conn:
        apply_event(conn, event)
        catalog.audit(actor, "purge", [doc_id], detail={"plan_id": plan_id}, conn=conn)


def execute(catalog: Catalog, store: ObjectStore, plan_id: str, actor: str,
            data_dir: Path | None = None) -> ExecutionReport:
    """Carry out an approved plan; safe to run again after a crash."""
    with catalog.engine.connect() as conn:
        plan = conn.execute(select(disposition_plans).where(
            disposition_plans.c.plan_id == plan_id)).mappings().first()
        if plan is None or plan["status"] not in ("approved", "executing", "done"):
            raise DispositionError(f"plan {plan_id} is not approved")
        items = conn.execute(select(disposition_items).where(
            disposition_items.c.plan_id == plan_id)).mappings().all()
    with catalog.transaction() as conn:
        conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                     .values(status="executing"))
    report = ExecutionReport(plan_id)
    for item in items:
        doc_id = item["doc_id"]
        row = catalog.get(doc_id)
        if row is not None and item["action"] == "destroy":
            d = row["service_date"] or row["document_date"]
            if d:
                report.first_date = min(report.first_date or d, d)
                report.last_date = max(report.last_date or d, d)
            report.by_type[row["doc_type"]] += 1
        if item["status"] == "done":
            (report.purged if item["action"] == "purge" else report.done).append(doc_id)
            continue
        status = "done"
        if item["action"] == "review":
            status = "review"
            report.review.append(doc_id)
        elif is_held(catalog, doc_id):
            status = "skipped_hold"
            report.skipped_hold.append(doc_id)
        elif item["action"] == "purge":
            purge_record(catalog, store, doc_id, plan_id, actor)
            report.purged.append(doc_id)
        else:
            destroy_record(catalog, store, doc_id, plan_id, actor, data_dir)
            report.done.append(doc_id)
        with catalog.transaction() as conn:
            conn.execute(update(disposition_items).where(
                (disposition_items.c.plan_id == plan_id) & (disposition_items.c.doc_id == doc_id))
                .values(status=status, done_at=datetime.now(UTC)))
    return report


def finish(catalog: Catalog, plan_id: str, certificate_key: str | None,
           report: ExecutionReport) -> None:
    """Close the plan and scrub the catalog database of destroyed data."""
    with catalog.transaction() as conn:
        conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                     .values(status="done", finished_at=datetime.now(UTC),
                             certificate_key=certificate_key))
        catalog.audit(report_actor(report), "retention_execute", report.done,
                      detail={"plan_id": plan_id, "destroyed": len(report.done),
                              "purged": len(report.purged),
                              "skipped_hold": len(report.skipped_hold),
                              "review": len(report.review)}, conn=conn)
    scrub(catalog)


def report_actor(report: ExecutionReport) -> str:
    """Identity recorded for the closing event: the flow's service identity."""
    return "svc:retention-execute"


def scrub(catalog: Catalog) -> None:
    """Make deleted rows unrecoverable from the database files."""
    with catalog.engine.connect() as conn:
        if dialect.is_sqlite(conn):
            conn.exec_driver_sql("INSERT INTO document_fts(document_fts) VALUES('optimize')")
            conn.commit()
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.commit()
            raw = conn.connection.driver_connection
            if raw is not None:
                raw.autocommit = True
                raw.execute("VACUUM (FULL) document_text")
                raw.execute("VACUUM (FULL) documents")
