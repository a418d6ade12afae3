"""JSON API of the audit trail (by patient, user, period; CSV export) and the dashboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from chartvault.web.api import Bearer, Svc, plain, rows
from chartvault.web.audit_pages import trail_filter

router = APIRouter(prefix="/api/v1", tags=["audit"])

Mrn = Annotated[str | None, Query(description="events on this patient's documents")]
User = Annotated[str | None, Query(description="events of this account")]
From = Annotated[str | None, Query(alias="from", description="first day (UTC), common formats")]
To = Annotated[str | None, Query(alias="to", description="last day, inclusive")]


@router.get("/audit/trail")
def trail(svc: Svc, b: Bearer, mrn: Mrn = None, user: User = None, since: From = None,
          until: To = None, offset: Annotated[int, Query(ge=0)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Who accessed a chart, what a user did, what happened in a period: newest first."""
    got = svc.audit_trail(b, trail_filter(mrn, user, since, until), offset, limit)
    return {"events": rows(got.events), "has_more": got.has_more,
            "patient_documents": got.patient_docs, "offset": offset}


@router.get("/audit/trail.csv", responses={200: {"content": {"text/csv": {}}}})
def trail_csv(svc: Svc, b: Bearer, mrn: Mrn = None, user: User = None, since: From = None,
              until: To = None) -> Response:
    """Every matching event as CSV (needs ``export`` too; audited as an export)."""
    data = svc.audit_trail_csv(b, trail_filter(mrn, user, since, until))
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="audit-trail.csv"'})


@router.get("/dashboard", tags=["admin"])
def dashboard(svc: Svc, b: Bearer, days: Annotated[int, Query(ge=1, le=366)] = 30
              ) -> dict[str, Any]:
    """Per-day counts, review backlog, quarantine, last fixity check, next runs."""
    d = svc.dashboard(b, days)
    return {"per_day": [{"day": day.isoformat(), "documents": n, "pages": pg}
                        for day, n, pg in d.per_day],
            "review_backlog": d.review_backlog, "quarantined": d.quarantined,
            "last_fixity": plain(dict(d.last_fixity)) if d.last_fixity else None,
            "prefect_reachable": d.next_runs is not None,
            "next_runs": plain(d.next_runs) if d.next_runs is not None else None}


ROUTERS = [router]
