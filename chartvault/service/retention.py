"""Disposition through the guard: sweep (archivist), approve and execute (records manager).

Approval needs a records manager other than the person who planned, who proves presence
again (password or TOTP) at the moment of approval. The requester check is made here,
before ``disposition.approve``, so that the refusal is audited in its own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from sqlalchemy import RowMapping

from chartvault import disposition, disposition_run, plan_view
from chartvault.auth.errors import Forbidden
from chartvault.auth.roles import Action
from chartvault.catalog import guarded as gq
from chartvault.disposition import DispositionError
from chartvault.errors import NotFound
from chartvault.pipeline.retention import explain_document
from chartvault.service.guard import Guard


@dataclass(frozen=True)
class PlanView:
    """A plan and its items (ids, actions, statuses)."""

    plan: RowMapping
    items: Sequence[RowMapping]


class RetentionActions(Guard):
    """Sweep, explain, plans, approval, execution, certificates."""

    def sweep(self, bearer: str, as_of: date | None = None) -> str:
        """Plan the disposition of records due on ``as_of`` (never later than today)."""
        p = self.require(bearer, Action.SWEEP)
        today = self.clock().date()
        if as_of is not None and as_of > today:
            self.reject(p, Action.SWEEP, "as_of_in_future",
                        DispositionError("as_of cannot be later than today"))
        return disposition.sweep(self.catalog, as_of or today, p.username)

    def explain(self, bearer: str, doc_id: str) -> list[str]:
        """Which retention rule applied to a document, and why."""
        p = self.require(bearer, Action.EXPLAIN, [doc_id])
        if self.catalog.get(doc_id) is None:
            raise NotFound(f"document {doc_id} is not in the archive")
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
        if row is not None and row["requested_by"] == p.username:
            self.deny(p, Action.PLAN_APPROVE, "two_person_rule", detail={"plan_id": plan_id})
        disposition.approve(self.catalog, plan_id, p.username)  # refuses an unknown plan

    def reject_plan(self, bearer: str, plan_id: str) -> None:
        """Turn a planned plan down: an approver other than its requester."""
        p = self.require(bearer, Action.PLAN_APPROVE, detail={"plan_id": plan_id})
        with self.catalog.engine.connect() as conn:
            row = gq.plan(conn, plan_id)
        if row is not None and row["requested_by"] == p.username:
            self._audit_refusal(p.username, "retention_reject", "two_person_rule", (),
                                {"token": p.token_id, "plan_id": plan_id})
            raise Forbidden()
        disposition.reject(self.catalog, plan_id, p.username)

    def cancel_plan(self, bearer: str, plan_id: str) -> None:
        """Withdraw a plan before execution: whoever may sweep or approve."""
        p = self.auth.authenticate(bearer, "retention_cancel")
        if not (p.may(Action.SWEEP) or p.may(Action.PLAN_APPROVE)):
            self.deny(p, Action.SWEEP, "role", detail={"plan_id": plan_id})
        disposition.cancel(self.catalog, plan_id, p.username)

    def start_execution(self, bearer: str, plan_id: str) -> str:
        """Check that the caller may execute and the plan is executable; the actor's name.

        The CLI then runs the resumable ``retention-execute`` flow; ``execute_plan`` (web,
        API) runs the same ``disposition_run.run_execution`` in process.
        """
        p = self.require(bearer, Action.PLAN_EXECUTE, detail={"plan_id": plan_id})
        disposition.check_executable(self.catalog, plan_id, p.username)
        self.catalog.audit(p.username, Action.PLAN_EXECUTE.value, outcome="started",
                           detail={"plan_id": plan_id, "token": p.token_id})
        return p.username

    def resume_execution(self, bearer: str, plan_id: str) -> str:
        """Check and audit the resumption of a stopped execution; the actor's name."""
        p = self.require(bearer, Action.PLAN_EXECUTE, detail={"plan_id": plan_id})
        disposition.start_resume(self.catalog, plan_id, p.username)
        return p.username

    def abandon_execution(self, bearer: str, plan_id: str) -> dict[str, Any]:
        """Abandon a stopped execution; what it destroyed is still certified."""
        p = self.require(bearer, Action.PLAN_EXECUTE, detail={"plan_id": plan_id})
        result = disposition_run.abandon_execution(self.catalog, self.store, plan_id,
                                                   p.username)
        return {**result, "abandoned_by": p.username}

    def plan_lines(self, bearer: str, plan_id: str, *, doc_id: str | None = None,
                   limit: int = 100, arithmetic: bool = True) -> list[str]:
        """A plan item by item, as text (rule, retain-until, arithmetic)."""
        p = self.require(bearer, Action.PLAN_VIEW, detail={"plan_id": plan_id})
        lines, shown = plan_view.plan_lines(self.catalog, plan_id, doc_id=doc_id, limit=limit,
                                            arithmetic=arithmetic)
        self.catalog.audit(p.username, "retention_plan_show", shown,
                           detail={"plan_id": plan_id})
        return lines

    def execute_plan(self, bearer: str, plan_id: str) -> dict[str, Any]:
        """Carry out an approved plan as the caller, in process, and certify it."""
        who = self.start_execution(bearer, plan_id)
        result = disposition_run.run_execution(self.catalog, self.store, self.settings,
                                               plan_id, who)
        return {**result, "executed_by": who}

    def certificate(self, bearer: str, plan_id: str) -> bytes:
        """The certificate of destruction of an executed plan (PDF)."""
        p = self.require(bearer, Action.CERTIFICATE, detail={"plan_id": plan_id})
        with self.catalog.engine.connect() as conn:
            row = gq.plan(conn, plan_id)
        if row is None or not row["certificate_key"]:
            self._no_certificate(plan_id, row)
        data = self.store.get(row["certificate_key"])
        self.catalog.audit(p.username, Action.CERTIFICATE.value, detail={"plan_id": plan_id})
        return data

    def _no_certificate(self, plan_id: str, plan: RowMapping | None) -> NoReturn:
        """Why there is no certificate, said to a caller who may see certificates."""
        if plan is None and self.catalog.get(plan_id) is not None:
            plans = self.catalog.plans_of_document(plan_id)
            hint = f" of plan {plans[-1]}: chartvault retention certificate {plans[-1]} " \
                   "--out FILE" if plans else " (it is on no plan)"
            raise NotFound(f"{plan_id} is a document id, not a plan; its certificate is "
                           f"the one{hint}")
        if plan is None:
            raise NotFound(f"no plan {plan_id}")
        raise NotFound(f"plan {plan_id} is {plan['status']} and has no certificate of "
                       "destruction")
