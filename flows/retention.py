"""Retention flows: the sweep writes a plan and ends; approval starts the execution.

Approval may come days later, so no flow run waits for it: ``chartvault retention
approve`` records the second person's approval and starts ``retention-execute``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from chartvault import anchors, disposition_run
from chartvault.catalog import Catalog
from chartvault.disposition import EXECUTOR_IDENTITY, SCHEDULER_IDENTITY, sweep
from chartvault.settings import Settings
from flows.base import flow
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
        plan = catalog.plan(plan_id)
        return {"plan_id": plan_id, "counts": plan["counts"] if plan is not None else None}
    finally:
        catalog.close()


def run_execution(settings: Settings, plan_id: str, actor: str) -> dict[str, Any]:
    """The flow's body, plain: ``disposition_run.run_execution`` on the configured archive."""
    catalog = _catalog(settings)
    try:
        return disposition_run.run_execution(catalog, open_store(settings), settings, plan_id,
                                             actor)
    finally:
        catalog.close()


@flow(name="retention-execute", persist_result=False, log_prints=False)
def retention_execute(plan_id: str, actor: str = EXECUTOR_IDENTITY) -> dict[str, Any]:
    """Carry out an approved plan and store its certificate of destruction.

    ``actor`` is the staff username of whoever approved, executed or resumed it (the
    CLI checked them first), so each item is audited as that person; a run nobody
    started keeps the service identity. Items that failed leave the plan ``executing``
    (no certificate yet): resume it, or abandon it, which certifies what was destroyed.
    """
    return run_execution(Settings(), plan_id, actor)
