"""Release-of-information pages: the request list (due soon first), one request, new ones.

Each page is one service call as the signed-in viewer; the service checks the role
matrix and audits. Buttons are shown by role only as a courtesy: the service decides.
Fulfilment writes a package on the server host (``chartvault release fulfil``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chartvault.auth.roles import Action
from chartvault.release.model import RequesterKind, Status
from chartvault.taxonomy import DOC_TYPES
from chartvault.web.render import NAV, NavItem, Viewer, form_viewer, page, viewer

router = APIRouter(include_in_schema=False)
NAV.append(NavItem("Releases", "/releases", Action.RELEASE_REQUEST))
OPEN = (Status.RECEIVED, Status.IN_REVIEW)


def _flag(status: Status, due: date, today: date, soon: int) -> str:
    if status not in OPEN:
        return ""
    left = (due - today).days
    return "overdue" if left < 0 else "due soon" if left <= soon else ""


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@router.get("/releases", response_class=HTMLResponse)
def releases(request: Request, v: Annotated[Viewer, Depends(viewer)],
             status: str | None = None) -> HTMLResponse:
    """Requests, open first and the soonest due first, and the form for a new one."""
    svc = request.app.state.service
    found = svc.release_requests(v.bearer, status or None)
    today = datetime.now(UTC).date()
    soon = request.app.state.settings.release.due_soon_days
    items = [{"r": r, "left": (r.due_date - today).days,
              "flag": _flag(r.status, r.due_date, today, soon)} for r in found]
    return page(request, "releases.html", v, title="Release requests", items=items,
                kinds=[k.value for k in RequesterKind], types=DOC_TYPES,
                statuses=[s.value for s in Status], chosen=status or "")


@router.post("/releases")
def create(request: Request, v: Annotated[Viewer, Depends(form_viewer)],
           requester_kind: Annotated[str, Form()], requester_name: Annotated[str, Form()],
           purpose: Annotated[str, Form()], mrn: Annotated[str, Form()],
           facility: Annotated[str, Form()] = "", date_from: Annotated[str, Form()] = "",
           date_to: Annotated[str, Form()] = "",
           doc_types: Annotated[list[str] | None, Form()] = None,
           authorization_doc_id: Annotated[str, Form()] = "") -> Response:
    """Record a request from the form, then show it."""
    made = request.app.state.service.release_request(
        v.bearer, requester_kind=requester_kind, requester_name=requester_name,
        purpose=purpose, mrn=mrn, facility=facility or None, date_from=_day(date_from),
        date_to=_day(date_to), doc_types=doc_types or [],
        authorization_doc_id=authorization_doc_id or None)
    return RedirectResponse(f"/releases/{made.request_id}?flash=recorded", 303)


@router.get("/releases/{request_id}", response_class=HTMLResponse)
def detail(request: Request, request_id: str,
           v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """One request: requester, scope, the documents it covers now, its disclosures."""
    got = request.app.state.service.release_show(v.bearer, request_id)
    flash = {"recorded": "Request recorded.", "reviewed": "Request taken into review.",
             "denied": "Request denied."}.get(request.query_params.get("flash", ""))
    return page(request, "release.html", v, title=f"Release request {request_id}",
                got=got, r=got.request, flash=flash,
                can_review=got.request.status == Status.RECEIVED,
                can_decide=got.request.status in OPEN and v.may(Action.RELEASE_FULFIL))


@router.post("/releases/{request_id}/review")
def review(request: Request, request_id: str,
           v: Annotated[Viewer, Depends(form_viewer)]) -> Response:
    """Take a received request into review."""
    request.app.state.service.release_review(v.bearer, request_id)
    return RedirectResponse(f"/releases/{request_id}?flash=reviewed", 303)


@router.post("/releases/{request_id}/deny")
def deny(request: Request, request_id: str, v: Annotated[Viewer, Depends(form_viewer)],
         reason: Annotated[str, Form()]) -> Response:
    """Deny an open request with its reason."""
    request.app.state.service.release_deny(v.bearer, request_id, reason)
    return RedirectResponse(f"/releases/{request_id}?flash=denied", 303)


ROUTERS = [router]
