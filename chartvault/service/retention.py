"""Disposition through the guard: sweep (archivist), approve and execute (records manager).

Approval needs a records manager other than the person who planned, who proves presence
again (password or TOTP) at the moment of approval. The requester check is made here,
before ``disposition.approve``, so that the refusal is audited in its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import RowMapping

from chartvault import disposition
from chartvault.auth.roles import Action
from chartvault.catalog import guarded as gq
from chartvault.certificate import certificate, to_pdf
from chartvault.disposition import DispositionError
from chartvault.pipeline.retention import explain_document
from chartvault.service.guard import Guard

CERTIFICATES = "compliance/certificates/"


@dataclass(frozen=True)
class PlanView:
    """A plan and its items (ids, actions, statuses)."""

    plan: RowMapping
    items: Sequence[RowMapping]


def _compliance_until() -> datetime | None:
    """Retain-until of a certificate under the compliance rule (HIPAA six years)."""
    from retention_policies import RetentionFacts, decide, load_policy_set

    today = datetime.now(UTC).date()
    decision = decide(RetentionFacts(
        doc_type="other", facility="", jurisdiction="US", birth_date=None, service_date=today,
        document_date=today, discharge_date=None, last_encounter=today, needs_review=False,
        record_class="compliance"), load_policy_set())
    if decision.retain_until is None:
        return None
    return datetime.combine(decision.retain_until, time(0), tzinfo=UTC)


class RetentionActions(Guard):
    """Sweep, explain, plans, approval, execution, certificates."""

    def sweep(self, bearer: str, as_of: date | None = None) -> str:
        """Plan the disposition of records due on ``as_of`` (never later than today)."""
        p = self.require(bearer, Action.SWEEP)
        today = self.clock().date()
        if as_of is not None and as_of > today:
            self.reject(p, Action.SWEEP, "future_as_of",
                        DispositionError("as_of cannot be later than today"))
        return disposition.sweep(self.catalog, as_of or today, p.username)

    def explain(self, bearer: str, doc_id: str) -> list[str]:
        """Which retention rule applied to a document, and why."""
        p = self.require(bearer, Action.EXPLAIN, [doc_id])
        lines = explain_document(self.catalog, doc_id)
        self.catalog.audit(p.username, Action.EXPLAIN.value, [doc_id])
        return lines

    def plans(self, bearer: str, limit: int = 50) -> Sequence[RowMapping]:
        """Recent disposition plans."""
        p = self.require(bearer, Action.PLAN_VIEW)
        with self.catalog.engine.connect() as conn:
            rows = gq.plans(conn, limit)
        self.catalog.audit(p.username, Action.PLAN_VIEW.value, detail={"plans": len(rows)})
        return rows

    def plan(self, bearer: str, plan_id: str) -> PlanView:
        """One plan with its items."""
        p = self.require(bearer, Action.PLAN_VIEW, detail={"plan_id": plan_id})
        with self.catalog.engine.connect() as conn:
            row = gq.plan(conn, plan_id)
            items = gq.plan_items(conn, plan_id) if row is not None else []
        if row is None:
            raise DispositionError(f"no plan {plan_id}")
        self.catalog.audit(p.username, Action.PLAN_VIEW.value, detail={"plan_id": plan_id})
        return PlanView(row, items)

    def approve_plan(self, bearer: str, plan_id: str, *, password: str | None = None,
                     code: str | None = None) -> None:
        """Second-person approval, with re-authentication at the moment of approval."""
        p = self.require(bearer, Action.PLAN_APPROVE, detail={"plan_id": plan_id})
        self.auth.reauthenticate(p, password=password, code=code,
                                 action=Action.PLAN_APPROVE.value)
        with self.catalog.engine.connect() as conn:
            row = gq.plan(conn, plan_id)
        if row is None:
            raise DispositionError(f"no plan {plan_id}")
        if row["requested_by"] == p.username:
            self.deny(p, Action.PLAN_APPROVE, "two_person_rule", detail={"plan_id": plan_id})
        disposition.approve(self.catalog, plan_id, p.username)

    def execute_plan(self, bearer: str, plan_id: str) -> dict[str, Any]:
        """Carry out an approved plan and store its certificate of destruction."""
        p = self.require(bearer, Action.PLAN_EXECUTE, detail={"plan_id": plan_id})
        self.catalog.audit(p.username, Action.PLAN_EXECUTE.value, outcome="started",
                           detail={"plan_id": plan_id, "token": p.token_id})
        report = disposition.execute(self.catalog, self.store, plan_id, p.username,
                                     self.settings.data_dir)
        with self.catalog.engine.connect() as conn:
            plan = gq.plan(conn, plan_id)
            facilities, rules = gq.certificate_facts(conn, report.done)
        assert plan is not None
        cert = certificate(dict(plan), facilities, dict(report.by_type), report.done,
                           report.first_date.isoformat() if report.first_date else None,
                           report.last_date.isoformat() if report.last_date else None, rules)
        until = _compliance_until()
        key = CERTIFICATES + plan_id
        tags = {"record_class": "compliance", "doc_type": "certificate_of_destruction"}
        self.store.put(key + ".json", json.dumps(cert, indent=2).encode(),
                       content_type="application/json", tags=tags, retain_until=until)
        self.store.put(key + ".pdf", to_pdf(cert), content_type="application/pdf", tags=tags,
                       retain_until=until)
        disposition.finish(self.catalog, plan_id, key + ".pdf", report)
        return {"plan_id": plan_id, "destroyed": len(report.done), "purged": len(report.purged),
                "skipped_hold": report.skipped_hold, "review": report.review,
                "certificate": key + ".pdf", "executed_by": p.username}

    def certificate(self, bearer: str, plan_id: str) -> bytes:
        """The certificate of destruction of an executed plan (PDF)."""
        p = self.require(bearer, Action.CERTIFICATE, detail={"plan_id": plan_id})
        with self.catalog.engine.connect() as conn:
            row = gq.plan(conn, plan_id)
        if row is None or not row["certificate_key"]:
            raise DispositionError(f"plan {plan_id} has no certificate")
        data = self.store.get(row["certificate_key"])
        self.catalog.audit(p.username, Action.CERTIFICATE.value, detail={"plan_id": plan_id})
        return data
