"""Paged registers for the web pages: disposition plans item by item, and legal holds.

The actions themselves (approve, reject, cancel, place, release) are those of
``service.retention`` and ``service.legal``; these are the lists an approver or a
lawyer reads before acting, a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import RowMapping

from chartvault import plan_view
from chartvault.auth.roles import Action
from chartvault.catalog import guarded as gq
from chartvault.catalog import worklists as wq
from chartvault.catalog.worklists import Page
from chartvault.errors import NotFound
from chartvault.plan_view import ItemView
from chartvault.service.guard import Guard

PLAN_STATUSES = ("planned", "approved", "executing", "done", "rejected", "cancelled",
                 "abandoned")


@dataclass(frozen=True)
class PlanDetail:
    """A plan, its items per status, and one page of its items with their arithmetic."""

    plan: RowMapping
    statuses: dict[str, int]
    items: list[ItemView]
    page: Page


class RegisterActions(Guard):
    """Plans and holds, paged."""

    def plans_page(self, bearer: str, status: str | None = None, offset: int = 0,
                   limit: int = 25) -> Page:
        """Disposition plans newest first."""
        p = self.require(bearer, Action.PLAN_VIEW)
        with self.catalog.engine.connect() as conn:
            page = wq.plans_page(conn, status if status in PLAN_STATUSES else None,
                                 max(0, offset), min(max(1, limit), 200))
        self.catalog.audit(p.username, Action.PLAN_VIEW.value,
                           detail={"plans": len(page.rows), "offset": page.offset})
        return page

    def plan_detail(self, bearer: str, plan_id: str, offset: int = 0,
                    limit: int = 25) -> PlanDetail:
        """One plan, a page of its items: rule, retain-until against as-of, the explanation."""
        p = self.require(bearer, Action.PLAN_VIEW, detail={"plan_id": plan_id})
        with self.catalog.engine.connect() as conn:
            plan = gq.plan(conn, plan_id)
            if plan is None:
                raise NotFound(f"no plan {plan_id}")
            statuses = wq.plan_item_statuses(conn, plan_id)
            page = wq.plan_items_page(conn, plan_id, max(0, offset), min(max(1, limit), 100))
        items = plan_view.item_views(self.catalog, page.rows, plan["as_of"])
        self.catalog.audit(p.username, "retention_plan_show", [i.doc_id for i in items],
                           detail={"plan_id": plan_id, "offset": page.offset})
        return PlanDetail(plan, statuses, items, page)

    def holds_page(self, bearer: str, active_only: bool = True, offset: int = 0,
                   limit: int = 50) -> Page:
        """Legal holds newest first."""
        p = self.require(bearer, Action.HOLD_LIST)
        with self.catalog.engine.connect() as conn:
            page = wq.holds_page(conn, active_only, max(0, offset), min(max(1, limit), 200))
        self.catalog.audit(p.username, Action.HOLD_LIST.value,
                           detail={"holds": len(page.rows), "offset": page.offset})
        return page
