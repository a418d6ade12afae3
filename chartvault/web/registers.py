"""Pages of legal staff and records managers: holds, and disposition plans item by item.

Approving a plan asks for the password and an authenticator code again (the service
re-authenticates; a wrong one is refused and counted against the account, and the page
says so without signing the person out), then carries the plan out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chartvault.auth.errors import Unauthenticated
from chartvault.auth.roles import Action
from chartvault.errors import UserError
from chartvault.service import Service
from chartvault.service.registers import PLAN_STATUSES
from chartvault.web import work  # noqa: F401  (its header links come before these)
from chartvault.web.render import NAV, NavItem, Viewer, form_viewer, page, viewer

router = APIRouter(include_in_schema=False)
NAV.extend([NavItem("Holds", "/holds", Action.HOLD_LIST),
            NavItem("Disposition plans", "/plans", Action.PLAN_VIEW)])

FLASH = {
    "placed": "Hold placed: the records it covers cannot be destroyed or purged.",
    "released": "Hold released.",
    "asked": "Release requested: a second legal account must confirm it.",
    "approved": "Plan approved and carried out; its certificate of destruction is stored.",
    "rejected": "Plan rejected: nothing was disposed of.",
    "cancelled": "Plan cancelled.",
    "swept": "Sweep done: the new plan waits for a records manager's approval.",
}


def _svc(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _flash(request: Request) -> str | None:
    return FLASH.get(request.query_params.get("flash", ""))


# --- holds -------------------------------------------------------------------------------


def _holds_page(request: Request, v: Viewer, active_only: bool, offset: int,
                status: int = 200, error: str | None = None,
                form: dict[str, str] | None = None) -> HTMLResponse:
    pg = _svc(request).holds_page(v.bearer, active_only, offset)
    return page(request, "holds.html", v, status, title="Legal holds", page=pg,
                active_only=active_only, may_place=v.may(Action.HOLD_PLACE),
                may_release=v.may(Action.HOLD_RELEASE), error=error, form=form or {},
                flash=_flash(request))


@router.get("/holds", response_class=HTMLResponse)
def holds(request: Request, v: Annotated[Viewer, Depends(viewer)], all: bool = False,
          offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """Holds (active, or all), and the form to place one."""
    return _holds_page(request, v, not all, offset)


@router.post("/holds", response_class=HTMLResponse)
def hold_place(request: Request, v: Annotated[Viewer, Depends(form_viewer)],
               case_name: Annotated[str, Form()], reason: Annotated[str, Form()],
               kind: Annotated[str, Form()] = "document", doc_id: Annotated[str, Form()] = "",
               mrn: Annotated[str, Form()] = "", facility: Annotated[str, Form()] = ""
               ) -> Response:
    """Place a document hold or a patient hold (by MRN)."""
    form = {"kind": kind, "doc_id": doc_id, "mrn": mrn, "facility": facility,
            "case_name": case_name, "reason": reason}
    patient = kind == "patient"
    try:
        _svc(request).hold_add(v.bearer, case_name=case_name.strip(), reason=reason.strip(),
                               doc_id=None if patient else doc_id.strip() or None,
                               mrn=mrn.strip() or None if patient else None,
                               facility=facility.strip() or None if patient else None)
    except UserError as err:
        return _holds_page(request, v, True, 0, 400, str(err), form)
    return RedirectResponse("/holds?flash=placed", 303)


@router.post("/holds/{hold_id}/release")
def hold_release(request: Request, hold_id: str,
                 v: Annotated[Viewer, Depends(form_viewer)]) -> Response:
    """Release a hold (or ask for it, where a second legal account must confirm)."""
    out = _svc(request).hold_release(v.bearer, hold_id)
    return RedirectResponse("/holds?flash=" + ("released" if out.released else "asked"), 303)


# --- plans -------------------------------------------------------------------------------


@router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, v: Annotated[Viewer, Depends(viewer)], status: str = "",
          offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """Disposition plans, newest first."""
    pg = _svc(request).plans_page(v.bearer, status or None, offset)
    return page(request, "plans.html", v, title="Disposition plans", page=pg,
                chosen=status if status in PLAN_STATUSES else "", statuses=PLAN_STATUSES,
                may_sweep=v.may(Action.SWEEP), may_certificate=v.may(Action.CERTIFICATE),
                flash=_flash(request))


@router.post("/plans/sweep")
def sweep(request: Request, v: Annotated[Viewer, Depends(form_viewer)]) -> Response:
    """Plan the disposition of the records due today."""
    plan_id = _svc(request).sweep(v.bearer)
    return RedirectResponse(f"/plans/{plan_id}?flash=swept", 303)


def _plan_page(request: Request, v: Viewer, plan_id: str, offset: int = 0, status: int = 200,
               error: str | None = None) -> HTMLResponse:
    d = _svc(request).plan_detail(v.bearer, plan_id, offset)
    return page(request, "plan.html", v, status, title=f"Disposition plan {plan_id}", d=d,
                may_approve=v.may(Action.PLAN_APPROVE),
                may_cancel=v.may(Action.SWEEP) or v.may(Action.PLAN_APPROVE),
                may_certificate=v.may(Action.CERTIFICATE), error=error,
                flash=_flash(request))


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan(request: Request, plan_id: str, v: Annotated[Viewer, Depends(viewer)],
         offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """A plan item by item: rule, retain-until against as-of, the schedule's explanation."""
    return _plan_page(request, v, plan_id, offset)


@router.post("/plans/{plan_id}/approve", response_class=HTMLResponse)
def approve(request: Request, plan_id: str, v: Annotated[Viewer, Depends(form_viewer)],
            password: Annotated[str, Form()] = "", code: Annotated[str, Form()] = ""
            ) -> Response:
    """Approve as the second person (password and code again), then carry the plan out."""
    svc = _svc(request)
    if not password or not code:
        return _plan_page(request, v, plan_id, 0, 400,
                          "Approval needs your password and an authenticator code.")
    try:
        svc.approve_plan(v.bearer, plan_id, password=password, code=code)
    except Unauthenticated:
        svc.whoami(v.bearer)  # the session itself gone: sign in again (401 -> sign-in page)
        return _plan_page(request, v, plan_id, 0, 403,
                          "Re-authentication failed: check your password and code. "
                          "The plan is not approved.")
    svc.execute_plan(v.bearer, plan_id)
    return RedirectResponse(f"/plans/{plan_id}?flash=approved", 303)


@router.post("/plans/{plan_id}/reject")
def reject(request: Request, plan_id: str, v: Annotated[Viewer, Depends(form_viewer)]
           ) -> Response:
    """Turn the plan down."""
    _svc(request).reject_plan(v.bearer, plan_id)
    return RedirectResponse(f"/plans/{plan_id}?flash=rejected", 303)


@router.post("/plans/{plan_id}/cancel")
def cancel(request: Request, plan_id: str, v: Annotated[Viewer, Depends(form_viewer)]
           ) -> Response:
    """Withdraw the plan before it is carried out."""
    _svc(request).cancel_plan(v.bearer, plan_id)
    return RedirectResponse(f"/plans/{plan_id}?flash=cancelled", 303)


@router.get("/plans/{plan_id}/certificate")
def certificate(request: Request, plan_id: str, v: Annotated[Viewer, Depends(viewer)],
                download: bool = False) -> Response:
    """The certificate of destruction (PDF), shown in the browser or downloaded."""
    data = _svc(request).certificate(v.bearer, plan_id)
    how = "attachment" if download else "inline"
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'{how}; filename="certificate-{plan_id}.pdf"'})


ROUTERS = [router]
