"""Carry out an approved plan and certify it: the one path of the flow and the service.

``retention-execute`` (CLI) and ``Service.execute_plan`` (web, API) both call
``run_execution``, so either way pending outbox steps run first, a stored certificate
is reused after a crash, and the audit chain is anchored at the certificate.
"""

from __future__ import annotations

import json
from typing import Any

from chartvault import anchors
from chartvault.catalog import Catalog
from chartvault.catalog.disposition import scrub
from chartvault.certificate import certificate, compliance_until, to_pdf
from chartvault.disposition import (
    DispositionError,
    ExecutionReport,
    abandon,
    done_report,
    execute,
    finish,
)
from chartvault.pipeline import crash
from chartvault.pipeline.retention import run_post_commit
from chartvault.settings import Settings
from storage.base import ObjectStore

CERTIFICATES = "compliance/certificates/"


def certify(catalog: Catalog, store: ObjectStore, plan_id: str,
            report: ExecutionReport) -> str:
    """Store the certificate of destruction (JSON and PDF) of what ``report`` destroyed."""
    plan = catalog.plan(plan_id)
    if plan is None:
        raise DispositionError(f"no plan {plan_id}")
    facilities, policies = catalog.certificate_facts(report.done)
    cert = certificate(dict(plan), facilities, dict(report.by_type), report.done,
                       report.first_date.isoformat() if report.first_date else None,
                       report.last_date.isoformat() if report.last_date else None, policies)
    until = compliance_until()
    key = CERTIFICATES + plan_id
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


def summary(report: ExecutionReport) -> dict[str, Any]:
    """Ids and counts of an execution (no patient data)."""
    return {"plan_id": report.plan_id, "destroyed": len(report.done),
            "purged": len(report.purged), "skipped_hold": report.skipped_hold,
            "skipped": report.skipped, "review": report.review, "failed": report.failed}


def run_execution(catalog: Catalog, store: ObjectStore, settings: Settings, plan_id: str,
                  actor: str) -> dict[str, Any]:
    """Carry out an approved plan as ``actor`` and store its certificate.

    Safe to run again after a crash at any point (that is what ``resume`` does): pending
    outbox steps run first (a release's flags cleared, so the re-check sees storage as
    the holds say), items already done are counted, not redone, and a stored certificate
    is reused.
    """
    run_post_commit(catalog, store, actor)
    report = execute(catalog, store, plan_id, actor, settings.data_dir)
    if report.failed:
        return {**summary(report), "status": "executing", "certificate": None}
    crash.point("execute-before-certificate")
    key = certify(catalog, store, plan_id, report)
    crash.point("certificate-before-finish")
    finish(catalog, plan_id, key, report, actor)
    # the destruction's closing event is vouched for outside the database at once
    anchors.anchor_now(catalog, store, "certificate",
                       retain_days=settings.audit.anchor_retain_days)
    return {**summary(report), "status": "done", "certificate": key}


def abandon_execution(catalog: Catalog, store: ObjectStore, plan_id: str,
                      actor: str) -> dict[str, Any]:
    """Abandon a stopped execution; what it destroyed still gets its certificate."""
    abandon(catalog, plan_id, actor)
    report = done_report(catalog, store, plan_id)
    key = certify(catalog, store, plan_id, report) if report.done else None
    catalog.set_plan_certificate(plan_id, key)
    scrub(catalog)
    return {**summary(report), "status": "abandoned", "certificate": key}
