"""Auditors' trail pages and administrators' dashboard: guarded, and audited themselves."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import RowMapping

from chartvault import prefect_status
from chartvault.auth.roles import Action
from chartvault.catalog import normalise_mrn
from chartvault.catalog import trail as tq
from chartvault.catalog.trail import TrailFilter
from chartvault.service.guard import Guard

TRAIL_PAGE = 100
CSV_COLUMNS = ("seq", "at", "actor", "action", "outcome", "doc_ids", "detail", "hash")


@dataclass(frozen=True)
class TrailPage:
    """A page of audit events, newest first; ``patient_docs``: documents of the MRN."""

    events: Sequence[RowMapping]
    has_more: bool
    patient_docs: int | None = None


@dataclass(frozen=True)
class Dashboard:
    """What an administrator checks at a glance."""

    per_day: list[tuple[date, int, int]]
    review_backlog: int
    quarantined: int
    last_fixity: RowMapping | None
    next_runs: list[prefect_status.ScheduledRun] | None  # None: Prefect not reachable
    prefect_configured: bool = False
    days: int = 30
    totals: dict[str, int] = field(default_factory=dict)


class OversightActions(Guard):
    """Audit trail by patient, user and date; the operations dashboard."""

    def _trail(self, f: TrailFilter, offset: int, limit: int
               ) -> tuple[Sequence[RowMapping], int | None]:
        with self.catalog.engine.connect() as conn:
            ids = tq.patient_doc_ids(conn, normalise_mrn(f.mrn)) if f.mrn else None
            rows = tq.events(conn, f, ids, offset, limit)
        return rows, (len(ids) if ids is not None else None)

    def audit_trail(self, bearer: str, f: TrailFilter, offset: int = 0,
                    limit: int = TRAIL_PAGE) -> TrailPage:
        """Events of a patient's documents, of a user or of a period, newest first."""
        p = self.require(bearer, Action.AUDIT_READ)
        limit = max(1, min(limit, 1000))
        rows, docs = self._trail(f, max(offset, 0), limit + 1)
        self.catalog.audit(p.username, Action.AUDIT_READ.value,
                           detail={"criteria": f.fields_used(), "events": len(rows[:limit]),
                                   "token": p.token_id})
        return TrailPage(rows[:limit], len(rows) > limit, docs)

    def audit_trail_csv(self, bearer: str, f: TrailFilter) -> str:
        """Every matching event as CSV (an export: audited as one)."""
        p = self.require(bearer, Action.AUDIT_READ)
        if not p.may(Action.EXPORT):
            self.deny(p, Action.EXPORT, "role", detail={"what": "audit_trail"})
        rows, _ = self._trail(f, 0, 1_000_000)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            w.writerow([r["seq"], r["at"].isoformat() if r["at"] else "", r["actor"],
                        r["action"], r["outcome"], " ".join(r["doc_ids"] or []),
                        json.dumps(r["detail"], sort_keys=True), r["hash"]])
        self.catalog.audit(p.username, Action.EXPORT.value,
                           detail={"what": "audit_trail", "criteria": f.fields_used(),
                                   "events": len(rows), "token": p.token_id})
        return out.getvalue()

    def dashboard(self, bearer: str, days: int = 30) -> Dashboard:
        """Documents and pages per day, backlogs, the last fixity check, the next runs."""
        p = self.require(bearer, Action.SCHEDULE_ADMIN)
        days = max(1, min(days, 366))
        since = self.clock().date() - timedelta(days=days - 1)
        with self.catalog.engine.connect() as conn:
            counted = {d: (n, pg) for d, n, pg in tq.per_day(conn, since)}
            review, held = tq.backlog(conn)
            fixity = tq.last_event(conn, "fixity")
        per_day = [(day, *counted.get(day, (0, 0))) for day in
                   (since + timedelta(days=i) for i in range(days))]
        runs = prefect_status.next_runs()
        self.catalog.audit(p.username, "dashboard", detail={"token": p.token_id})
        return Dashboard(per_day, review, held, fixity, runs,
                         prefect_configured=prefect_status.configured(), days=days,
                         totals={"documents": sum(d for _, d, _ in per_day),
                                 "pages": sum(n for _, _, n in per_day)})
