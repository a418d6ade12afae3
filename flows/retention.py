"""Retention flows: the sweep writes a plan and ends; approval starts the execution.

Approval may come days later, so no flow run waits for it: ``chartvault retention
approve`` records the second person's approval and starts ``retention-execute``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update

from chartvault import anchors
from chartvault.catalog import Catalog
from chartvault.catalog.schema import disposition_plans, documents
from chartvault.certificate import certificate, compliance_until, to_pdf
from chartvault.disposition import (
    SCHEDULER_IDENTITY,
    ExecutionReport,
    abandon,
    done_report,
    execute,
    finish,
    scrub,
    sweep,
)
from chartvault.pipeline import crash
from chartvault.settings import Settings
from flows.base import flow
from storage.base import ObjectStore
from storage.factory import open_store


def _catalog(settings: Settings) -> Catalog:
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    anchors.attach_settings(catalog, settings)
    return catalog


@flow(name="retention-sweep", persist_result=False, log_prints=False)
def retention_sweep(as_of: str | None = None) -> dict[str, Any]:
    """Plan the disposition of records past retain-until (changes nothing else)."""
    settings = Settings()
    catalog = _catalog(settings)
    try:
        today = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
        plan_id = sweep(catalog, today, SCHEDULER_IDENTITY)
        with catalog.engine.connect() as conn:
            counts = conn.execute(select(disposition_plans.c.counts).where(
                disposition_plans.c.plan_id == plan_id)).scalar_one()
        return {"plan_id": plan_id, "counts": counts}
    finally:
        catalog.close()


def certify(catalog: Catalog, store: ObjectStore, settings: Settings, plan_id: str,
            report: ExecutionReport) -> str:
    """Store the certificate of destruction (JSON and PDF) of what ``report`` destroyed."""
    with catalog.engine.connect() as conn:
        plan = conn.execute(select(disposition_plans).where(
            disposition_plans.c.plan_id == plan_id)).mappings().one()
        facilities = [r[0] for r in conn.execute(select(documents.c.facility).where(
            documents.c.doc_id.in_(report.done)).distinct())]
        policies: dict[str, int] = {}
        for (policy,) in conn.execute(select(documents.c.rule_id).where(
                documents.c.doc_id.in_(report.done))):
            policies[policy or "none"] = policies.get(policy or "none", 0) + 1
    cert = certificate(dict(plan), facilities, dict(report.by_type), report.done,
                       report.first_date.isoformat() if report.first_date else None,
                       report.last_date.isoformat() if report.last_date else None, policies)
    until = compliance_until()
    key = f"compliance/certificates/{plan_id}"
    tags = {"record_class": "compliance", "doc_type": "certificate_of_destruction"}
    if store.head(key + ".json") is not None:
        # a resumed run after a crash between the certificate and the plan's close: the
        # stored certificate (locked, write-once) is the one; the PDF is made from it
        cert = json.loads(store.get(key + ".json"))
    else:
        store.put(key + ".json", json.dumps(cert, indent=2).encode(),
                  content_type="application/json", tags=tags, retain_until=until)
    crash.point("certificate-json-only")
    if store.head(key + ".pdf") is None:
        store.put(key + ".pdf", to_pdf(cert), content_type="application/pdf", tags=tags,
                  retain_until=until)
    return key + ".pdf"


def _summary(report: ExecutionReport) -> dict[str, Any]:
    return {"plan_id": report.plan_id, "destroyed": len(report.done),
            "purged": len(report.purged), "skipped_hold": report.skipped_hold,
            "skipped": report.skipped, "review": report.review, "failed": report.failed}


def run_execution(settings: Settings, plan_id: str, actor: str) -> dict[str, Any]:
    """Carry out an approved plan and store its certificate (plain; the flow's body).

    Safe to run again after a crash at any point (that is what ``resume`` does): pending
    outbox steps run first (a release's flags cleared, so the re-check sees storage as
    the holds say), items already done are counted, not redone, and a stored certificate
    is reused.
    """
    from chartvault.pipeline.retention import run_post_commit

    catalog = _catalog(settings)
    store = open_store(settings)
    try:
        run_post_commit(catalog, store, actor)
        report = execute(catalog, store, plan_id, actor, settings.data_dir)
        if report.failed:
            return {**_summary(report), "status": "executing", "certificate": None}
        crash.point("execute-before-certificate")
        key = certify(catalog, store, settings, plan_id, report)
        crash.point("certificate-before-finish")
        finish(catalog, plan_id, key, report)
        # the destruction's closing event is vouched for outside the database at once
        anchors.anchor_now(catalog, store, "certificate",
                           retain_days=settings.audit.anchor_retain_days)
        return {**_summary(report), "status": "done", "certificate": key}
    finally:
        catalog.close()


@flow(name="retention-execute", persist_result=False, log_prints=False)
def retention_execute(plan_id: str) -> dict[str, Any]:
    """Carry out an approved plan and store its certificate of destruction.

    Items that failed leave the plan ``executing`` (no certificate yet): resume it, or
    abandon it, which certifies what was destroyed.
    """
    return run_execution(Settings(), plan_id, "svc:retention-execute")


def abandon_execution(plan_id: str, actor: str) -> dict[str, Any]:
    """Abandon a stopped execution; what it destroyed still gets its certificate."""
    settings = Settings()
    catalog = _catalog(settings)
    store = open_store(settings)
    try:
        abandon(catalog, plan_id, actor)
        report = done_report(catalog, store, plan_id)
        key = certify(catalog, store, settings, plan_id, report) if report.done else None
        with catalog.transaction() as conn:
            conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                         .values(certificate_key=key))
        scrub(catalog)
        return {**_summary(report), "status": "abandoned", "certificate": key}
    finally:
        catalog.close()
