"""Disposition: sweep -> plan, approval by a second person, execution.

The sweep only writes a plan (set-based SQL, so a million records take seconds); it
changes nothing else and no flow run waits for approval. Approval must come from a
named user other than the requester; a scheduled sweep's requester is the scheduler's
service identity, which can never approve. A plan's as-of date is never later than
today. A plan can be rejected (by the reviewer) or cancelled before it runs. Execution
works item by item and re-checks each record before any side effect (``disposal``);
each item ends ``done``, ``review``, ``skipped_*`` or ``failed``, so a stopped run is
resumed by running it again, or abandoned. Every refusal is audited in a transaction of
its own, so raising afterwards cannot roll the audit event back.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import RowMapping

from chartvault.catalog import Catalog
from chartvault.catalog import disposition as plan_rows
from chartvault.disposal import destroy_record, purge_record, why_not
from chartvault.errors import ChartvaultError, NotFound, UserError
from chartvault.events import RecordEvent
from chartvault.pipeline import crash
from storage.base import ObjectStore

log = logging.getLogger(__name__)

SCHEDULER_IDENTITY = "svc:scheduler"
EXECUTOR_IDENTITY = "svc:retention-execute"  # an execution no person started


class DispositionError(UserError):
    """A plan cannot be made, approved, rejected or executed as asked."""

    code = "disposition_error"


# Plan states: planned -> approved -> executing -> done; planned -> rejected;
# planned|approved -> cancelled; executing -> abandoned. Items end done, review,
# skipped_* (re-checked at execution and not due), failed (retried on resume) or abandoned.
OPEN_ITEM = ("planned", "failed")


def _refuse(catalog: Catalog, actor: str, action: str, plan_id: str | None, why: str,
            message: str, error: type[UserError] = DispositionError) -> NoReturn:
    """Record a refusal in its own transaction, then raise: the refusal stays audited."""
    detail: dict[str, Any] = {"why": why}
    if plan_id is not None:
        detail["plan_id"] = plan_id
    catalog.audit(actor, action, outcome="refused", detail=detail)
    raise error(message)


def _plan_or_refuse(catalog: Catalog, plan_id: str, actor: str, action: str) -> RowMapping:
    plan = catalog.plan(plan_id)
    if plan is None:
        _refuse(catalog, actor, action, plan_id, "unknown_plan", f"no plan {plan_id}", NotFound)
    return plan


def sweep(catalog: Catalog, today: date, requested_by: str = SCHEDULER_IDENTITY) -> str:
    """Plan the disposition of every record past retain-until and not on hold."""
    if today > max(date.today(), datetime.now(UTC).date()):  # local or UTC calendar
        _refuse(catalog, requested_by, "retention_sweep", None, "as_of_in_future",
                f"as-of {today.isoformat()} is later than today: a plan can only list "
                "records already past their retain-until")
    plan_id = "p-" + today.strftime("%Y%m%d") + "-" + uuid.uuid4().hex[:8]
    with catalog.transaction() as conn:
        plan_rows.insert_plan(conn, plan_id, today, requested_by)
        counts: dict[str, Any] = {"by_action": {}, "by_type": {}, "by_policy": {}, "total": 0}
        for action, doc_type, policy, n in plan_rows.due_groups(conn, today):
            for k, v in (("by_action", action), ("by_type", doc_type),
                         ("by_policy", policy or "none")):
                counts[k][v] = counts[k].get(v, 0) + n
            counts["total"] += n
        plan_rows.update_plan(conn, plan_id, counts=counts)
        catalog.audit(requested_by, "retention_sweep", outcome="planned",
                      detail={"plan_id": plan_id, "as_of": today.isoformat(),
                              "total": counts["total"]}, conn=conn)
    log.info("plan %s: %d records due", plan_id, counts["total"])
    return plan_id


def _set_status(catalog: Catalog, plan_id: str, before: tuple[str, ...], actor: str,
                action: str, **values: Any) -> bool:
    """Move a plan on from one of ``before``, audited in the same transaction.

    False when another process moved it first.
    """
    with catalog.transaction() as conn:
        moved = plan_rows.move_plan(conn, plan_id, before, **values)
        if moved:
            if values.get("status") == "abandoned":
                plan_rows.close_items(conn, plan_id, OPEN_ITEM, "abandoned")
            catalog.audit(actor, action, outcome=values["status"],
                          detail={"plan_id": plan_id}, conn=conn)
    return moved


def _named_person(catalog: Catalog, plan: RowMapping, actor: str, action: str,
                  not_requester: bool) -> None:
    if actor.startswith("svc:"):
        _refuse(catalog, actor, action, plan["plan_id"], "service_identity",
                "a service identity cannot decide on a plan; a named person must")
    if not_requester and actor == plan["requested_by"]:
        _refuse(catalog, actor, action, plan["plan_id"], "two_person_rule",
                "the requester cannot decide on their own plan: another person must")


def _transition(catalog: Catalog, plan_id: str, actor: str, action: str,
                before: tuple[str, ...], not_requester: bool, **values: Any) -> None:
    plan = _plan_or_refuse(catalog, plan_id, actor, action)
    if plan["status"] not in before:
        _refuse(catalog, actor, action, plan_id, f"status_{plan['status']}",
                f"plan {plan_id} is {plan['status']}; {action.removeprefix('retention_')} "
                f"needs a plan that is {' or '.join(before)}")
    _named_person(catalog, plan, actor, action, not_requester)
    if not _set_status(catalog, plan_id, before, actor, action, **values):
        _refuse(catalog, actor, action, plan_id, "concurrent_change",
                f"plan {plan_id} changed while this request ran; look at it again")


def approve(catalog: Catalog, plan_id: str, approver: str) -> None:
    """Second-person approval of a plan."""
    _transition(catalog, plan_id, approver, "retention_approve", ("planned",), True,
                status="approved", approved_by=approver, approved_at=datetime.now(UTC))


def reject(catalog: Catalog, plan_id: str, actor: str) -> None:
    """The reviewer (not the requester) turns a plan down; nothing is disposed of."""
    _transition(catalog, plan_id, actor, "retention_reject", ("planned",), True,
                status="rejected", finished_at=datetime.now(UTC))


def cancel(catalog: Catalog, plan_id: str, actor: str) -> None:
    """Withdraw a plan before its execution starts (the requester may)."""
    _transition(catalog, plan_id, actor, "retention_cancel", ("planned", "approved"), False,
                status="cancelled", finished_at=datetime.now(UTC))


def abandon(catalog: Catalog, plan_id: str, actor: str) -> None:
    """Stop a failed execution for good: open items end ``abandoned``.

    What was already destroyed stays destroyed (and gets its certificate from the caller).
    """
    _transition(catalog, plan_id, actor, "retention_abandon", ("executing",), False,
                status="abandoned", finished_at=datetime.now(UTC))


def start_resume(catalog: Catalog, plan_id: str, actor: str) -> None:
    """Check and audit the resumption of a failed execution (the flow then runs it)."""
    plan = _plan_or_refuse(catalog, plan_id, actor, "retention_resume")
    if plan["status"] != "executing":
        _refuse(catalog, actor, "retention_resume", plan_id, f"status_{plan['status']}",
                f"plan {plan_id} is {plan['status']}; only an execution that stopped "
                "(status executing) can be resumed")
    _named_person(catalog, plan, actor, "retention_resume", False)
    catalog.audit(actor, "retention_resume", outcome="resumed", detail={"plan_id": plan_id})


@dataclass
class ExecutionReport:
    """What an execution did (ids and counts)."""

    plan_id: str
    done: list[str] = field(default_factory=list)  # destroyed
    purged: list[str] = field(default_factory=list)  # derived data dropped, original kept
    skipped_hold: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # re-check said: not now
    review: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # raised; retried on resume
    by_type: Counter[str] = field(default_factory=Counter)
    first_date: date | None = None
    last_date: date | None = None


def _already_done(store: ObjectStore, row: RowMapping | None, action: str,
                  plan_id: str) -> bool:
    """A crash after the record's commit but before its item's: this plan disposed of it."""
    if row is None:
        return False
    if action == "purge":
        return bool(row["status"] == "purged")
    if action != "destroy" or row["status"] != "destroyed":
        return False
    tomb = RecordEvent(doc_id=row["doc_id"], kind="tombstone", actor="check").key()
    if store.head(tomb) is None:
        return False
    return bool(json.loads(store.get(tomb)).get("data", {}).get("plan_id") == plan_id)


def _withdraw_tombstone(catalog: Catalog, store: ObjectStore, row: RowMapping | None,
                        plan_id: str, actor: str) -> bool:
    """Before a refused item closes: no tombstone of this plan may outlive a whole record.

    A destruction killed after its tombstone and refused on resume (a hold placed in
    between) left a proof of a destruction that did not happen (``catalog rebuild``
    would replay it). While the record is whole (manifest and original stored) the
    tombstone is withdrawn, audited; False when the record is only partly there.
    """
    if row is None or row["status"] != "archived":
        return True
    key = RecordEvent(doc_id=row["doc_id"], kind="tombstone", actor="check").key()
    if store.head(key) is None:
        return True
    if json.loads(store.get(key)).get("data", {}).get("plan_id") != plan_id:
        return True
    if store.head(row["manifest_key"]) is None or store.head(row["original_key"]) is None:
        return False
    store.delete(key)
    catalog.audit(actor, "tombstone_withdrawn", [row["doc_id"]], detail={"plan_id": plan_id})
    log.info("plan %s: destruction of %s refused on resume; its tombstone withdrawn",
             plan_id, row["doc_id"])
    return True


def _served(store: ObjectStore, row: RowMapping) -> date | None:
    """Service date of a record, from its tombstone once destroyed (the row has none)."""
    if row["status"] != "destroyed":
        served: date | None = row["service_date"] or row["document_date"]
        return served
    key = RecordEvent(doc_id=row["doc_id"], kind="tombstone", actor="count").key()
    if store.head(key) is None:
        return None
    text = json.loads(store.get(key)).get("data", {}).get("service_date")
    return date.fromisoformat(text) if text else None


def _count(report: ExecutionReport, store: ObjectStore, row: RowMapping | None,
           action: str) -> None:
    if row is None or action != "destroy":
        return
    d = _served(store, row)
    if d:
        report.first_date = min(report.first_date or d, d)
        report.last_date = max(report.last_date or d, d)
    report.by_type[row["doc_type"]] += 1


def _close_item(catalog: Catalog, plan_id: str, doc_id: str, status: str, actor: str,
                why: str | None = None) -> None:
    """An item's outcome; a refusal or failure is audited in the same transaction."""
    with catalog.transaction() as conn:
        plan_rows.set_item(conn, plan_id, doc_id, status)
        if why is not None:
            catalog.audit(actor, "disposition_item", [doc_id],
                          outcome="failed" if status == "failed" else "refused",
                          detail={"plan_id": plan_id, "why": why}, conn=conn)


def check_executable(catalog: Catalog, plan_id: str, actor: str) -> RowMapping:
    """The plan, if it may be executed now; else an audited refusal (before any flow run)."""
    plan = _plan_or_refuse(catalog, plan_id, actor, "retention_execute")
    if plan["status"] not in ("approved", "executing"):
        _refuse(catalog, actor, "retention_execute", plan_id, f"status_{plan['status']}",
                f"plan {plan_id} is {plan['status']}; only an approved plan (or a stopped "
                "execution) can be executed")
    return plan


def execute(catalog: Catalog, store: ObjectStore, plan_id: str, actor: str,
            data_dir: Path | None = None, now: datetime | None = None) -> ExecutionReport:
    """Carry out an approved plan; safe to run again after a crash (resume).

    Every open item is re-checked (``disposal.why_not``) before anything is written for
    it. ``now`` is the object store's clock (tests stand it after retain-until).
    """
    now = now or datetime.now(UTC)
    plan = check_executable(catalog, plan_id, actor)
    with catalog.transaction() as conn:
        plan_rows.update_plan(conn, plan_id, status="executing")
    report = ExecutionReport(plan_id)
    for item in catalog.plan_items(plan_id):
        doc_id, action = item["doc_id"], item["action"]
        row = catalog.get(doc_id)
        if item["status"] == "done":
            _count(report, store, row, action)
            (report.purged if action == "purge" else report.done).append(doc_id)
            continue
        if item["status"] not in OPEN_ITEM:
            if item["status"] == "skipped_hold":
                report.skipped_hold.append(doc_id)
            elif item["status"] == "review":
                report.review.append(doc_id)
            else:
                report.skipped.setdefault(item["status"], []).append(doc_id)
            continue
        if action == "review":
            _close_item(catalog, plan_id, doc_id, "review", actor)
            report.review.append(doc_id)
            continue
        if _already_done(store, row, action, plan_id):
            _count(report, store, row, action)
            _close_item(catalog, plan_id, doc_id, "done", actor)
            (report.purged if action == "purge" else report.done).append(doc_id)
            continue
        why = why_not(catalog, store, row, action, plan["as_of"], now)
        if why is not None and action == "destroy" and not _withdraw_tombstone(
                catalog, store, row, plan_id, actor):
            # stopped half-way through its objects, and now refused (a hold came): what
            # is left is kept, the item stays open; resume once the hold is released
            _close_item(catalog, plan_id, doc_id, "failed", actor, "partly_destroyed_" + why)
            report.failed.append(doc_id)
            continue
        if why is not None:
            _close_item(catalog, plan_id, doc_id, why, actor, why)
            if why == "skipped_hold":
                report.skipped_hold.append(doc_id)
            else:
                report.skipped.setdefault(why, []).append(doc_id)
            continue
        try:
            if action == "purge":
                purge_record(catalog, store, doc_id, plan_id, actor)
            else:
                destroy_record(catalog, store, doc_id, plan_id, actor, data_dir)
        except Exception as err:  # one bad record must not stop the plan; BaseException
            # (a crash, Ctrl-C) does, and the item stays open for the resume
            code = err.code if isinstance(err, ChartvaultError) else type(err).__name__
            log.warning("plan %s: %s of %s failed: %s", plan_id, action, doc_id, code)
            _close_item(catalog, plan_id, doc_id, "failed", actor, code)
            report.failed.append(doc_id)
            continue
        crash.point("destroy-after-row")
        _count(report, store, row, action)  # the row as it was before destruction
        _close_item(catalog, plan_id, doc_id, "done", actor)
        (report.purged if action == "purge" else report.done).append(doc_id)
    return report


def done_report(catalog: Catalog, store: ObjectStore, plan_id: str) -> ExecutionReport:
    """What a stopped execution had already destroyed (for an abandoned plan's certificate)."""
    report = ExecutionReport(plan_id)
    for item in catalog.plan_items(plan_id):
        if item["status"] == "done":
            if item["action"] == "destroy":
                _count(report, store, catalog.get(item["doc_id"]), "destroy")
            (report.purged if item["action"] == "purge" else report.done).append(item["doc_id"])
    return report


def finish(catalog: Catalog, plan_id: str, certificate_key: str | None,
           report: ExecutionReport, actor: str) -> None:
    """Close the plan as ``actor`` (who executed it) and scrub the destroyed data."""
    with catalog.transaction() as conn:
        plan_rows.update_plan(conn, plan_id, status="done", finished_at=datetime.now(UTC),
                              certificate_key=certificate_key)
        catalog.audit(actor, "retention_execute", report.done,
                      detail={"plan_id": plan_id, "destroyed": len(report.done),
                              "purged": len(report.purged),
                              "skipped_hold": len(report.skipped_hold),
                              "review": len(report.review)}, conn=conn)
    plan_rows.scrub(catalog)
