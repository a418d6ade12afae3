"""Disposition plans for people: the list, and each item with its rule and arithmetic.

An approver must be able to see why each record is on a plan before approving it: the
rule stamped on the record, its retain-until against the plan's as-of date, and the
schedule's arithmetic recomputed from the record's current facts (the same lines as
``retention explain``). Printing a plan's items shows patient dates, so it is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import RowMapping

from chartvault.catalog import Catalog
from chartvault.errors import NotFound


def plan_summary(plan: RowMapping) -> str:
    """One line per plan: id, status, as-of, who asked and who approved, how many."""
    counts = plan["counts"] or {}
    by_action = ", ".join(f"{n} {a}" for a, n in sorted(counts.get("by_action", {}).items()))
    approved = f" approved by {plan['approved_by']}" if plan["approved_by"] else ""
    return (f"{plan['plan_id']}  {plan['status']:10s} as of {plan['as_of']}  "
            f"requested by {plan['requested_by']}{approved}  "
            f"{counts.get('total', 0)} record(s){': ' + by_action if by_action else ''}")


def _arithmetic(item: RowMapping, as_of: date) -> str:
    until = item["retain_until"]
    if item["record_status"] is None:
        return "record no longer in the catalog"
    if until is None:
        return "no retain-until: kept until reviewed"
    days = (as_of - until).days
    relation = f"< as of {as_of} ({days} day(s) past)" if days > 0 else \
        f">= as of {as_of} (not due: {-days} day(s) to go)"
    return f"retain until {until} {relation}"


def _explain(catalog: Catalog, doc_id: str) -> list[str]:
    from chartvault.pipeline.retention import facts_from_row, shipped_policies
    from retention_policies import explain

    row = catalog.get(doc_id)
    if row is None or row["status"] == "destroyed":
        return ["destroyed: only the tombstone (type, dates, policy, checksums) is kept"]
    return explain(facts_from_row(catalog, row), shipped_policies())


def plan_lines(catalog: Catalog, plan_id: str, *, doc_id: str | None = None,
               limit: int = 100, arithmetic: bool = True) -> tuple[list[str], list[str]]:
    """Lines describing a plan and its items; also the ids shown (for the audit event)."""
    plan = catalog.plan(plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    items = list(catalog.plan_items(plan_id))
    if doc_id is not None:
        items = [i for i in items if i["doc_id"] == doc_id]
        if not items:
            raise NotFound(f"document {doc_id} is not on plan {plan_id}")
    lines = [plan_summary(plan)]
    if plan["finished_at"]:
        lines.append(f"closed {plan['finished_at']:%Y-%m-%d %H:%M}"
                     + (f"; certificate {plan['certificate_key']}"
                        if plan["certificate_key"] else ""))
    by_status: dict[str, int] = {}
    for item in items:
        by_status[item["status"]] = by_status.get(item["status"], 0) + 1
    lines.append("items: " + (", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
                              or "none"))
    shown = items if limit <= 0 else items[:limit]
    for item in shown:
        rule = f"{item['policy_id'] or '-'}@{item['policy_version'] or '-'} " \
               f"rule {item['rule_id'] or '-'}"
        hold = " ON HOLD" if item["legal_hold"] else ""
        lines.append(f"{item['doc_id']}  {item['action']:7s} {item['status']:17s} {rule}: "
                     f"{_arithmetic(item, plan['as_of'])}{hold}")
        if arithmetic:
            lines += ["    " + line for line in _explain(catalog, item["doc_id"])]
    if len(shown) < len(items):
        lines.append(f"... {len(items) - len(shown)} more item(s): --limit 0 shows all, "
                     "--doc ID one")
    return lines, [i["doc_id"] for i in shown]


@dataclass(frozen=True)
class ItemView:
    """One plan item as an approver reads it: the rule, the arithmetic, the explanation."""

    doc_id: str
    action: str
    status: str
    doc_type: str | None
    rule: str
    retain_until: date | None
    arithmetic: str
    on_hold: bool
    explanation: tuple[str, ...]


def item_views(catalog: Catalog, items: Sequence[RowMapping], as_of: date,
               explain: bool = True) -> list[ItemView]:
    """Items of a page of ``Catalog.plan_items`` with their arithmetic and explanation.

    Three queries for the whole page (rows, the patients' last encounters), not per item.
    """
    from chartvault.catalog import worklists
    from chartvault.pipeline.retention import facts_with, shipped_policies
    from retention_policies import explain as explain_facts

    rows: dict[str, RowMapping] = {}
    last: dict[tuple[str, str], date | None] = {}
    if explain and items:
        with catalog.engine.connect() as conn:
            rows = worklists.rows_by_id(conn, [i["doc_id"] for i in items])
            last = worklists.last_encounters(conn, [r["mrn"] for r in rows.values()
                                                    if r["mrn"]])
    policies = shipped_policies()
    out = []
    for item in items:
        rule = f"{item['policy_id'] or '-'}@{item['policy_version'] or '-'} " \
               f"rule {item['rule_id'] or '-'}"
        lines: tuple[str, ...] = ()
        row = rows.get(item["doc_id"])
        if explain and (row is None or row["status"] == "destroyed"):
            lines = ("destroyed: only the tombstone (type, dates, policy, checksums) is kept",)
        elif explain and row is not None:
            known = last.get((row["facility"], row["mrn"])) if row["mrn"] else None
            lines = tuple(explain_facts(facts_with(row, known), policies))
        out.append(ItemView(item["doc_id"], item["action"], item["status"], item["doc_type"],
                            rule, item["retain_until"], _arithmetic(item, as_of),
                            bool(item["legal_hold"]), lines))
    return out
