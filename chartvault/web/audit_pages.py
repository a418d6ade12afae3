"""The auditors' trail pages: who accessed a chart, what a user did, what happened when."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from chartvault.auth.roles import Action
from chartvault.catalog.trail import TrailFilter
from chartvault.errors import UserError
from chartvault.search_terms import parse_day
from chartvault.web.render import NAV, NavItem, Viewer, page, viewer

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
FIELDS = ("mrn", "user", "from", "to")

NAV.append(NavItem("Audit trail", "/audit", Action.AUDIT_READ))


def trail_filter(mrn: str | None, user: str | None, since: str | None,
                 until: str | None) -> TrailFilter:
    """The filter of typed values: days in common formats, ``until`` inclusive (UTC)."""
    start, end = parse_day(since, "from"), parse_day(until, "to")
    return TrailFilter(
        mrn=mrn or None, actor=user or None,
        since=datetime.combine(start, time(), UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """Events by patient (MRN), by user and by date range, newest first."""
    svc = request.app.state.service
    svc.authorize(v.bearer, Action.AUDIT_READ)
    q = {k: request.query_params.get(k, "").strip() for k in FIELDS}
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    ctx: dict[str, Any] = {"q": q, "trail": None}
    if any(q.values()):
        try:
            f = trail_filter(q["mrn"], q["user"], q["from"], q["to"])
        except UserError as err:
            return page(request, "audit.html", v, 400, title="Audit trail", error=str(err), **ctx)
        trail = svc.audit_trail(v.bearer, f, (page_no - 1) * PAGE_SIZE, PAGE_SIZE)
        given = {k: val for k, val in q.items() if val}
        ctx.update(trail=trail, csv_url="/audit.csv?" + urlencode(given)
                   if v.may(Action.EXPORT) else None,
                   prev_url="/audit?" + urlencode({**given, "page": page_no - 1})
                   if page_no > 1 else None,
                   next_url="/audit?" + urlencode({**given, "page": page_no + 1})
                   if trail.has_more else None)
    return page(request, "audit.html", v, title="Audit trail", **ctx)


@router.get("/audit.csv")
def audit_csv(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> Response:
    """Every event the filter matches, as CSV (audited as an export)."""
    q = {k: request.query_params.get(k, "").strip() for k in FIELDS}
    f = trail_filter(q["mrn"], q["user"], q["from"], q["to"])
    data = request.app.state.service.audit_trail_csv(v.bearer, f)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-trail-{stamp}.csv"'})


ROUTERS = [router]
