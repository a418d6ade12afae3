"""The JSON API (``/api/v1``): one route per service call, bearer auth, no logic here.

Rows come back as the service returns them, with dates as ISO strings. Errors are
``{"error": code, "message": ...}`` with 400, 401, 403 or 404 (see ``app.status_of``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from chartvault.access import Purpose
from chartvault.auth.errors import Unauthenticated
from chartvault.auth.roles import Role
from chartvault.catalog import SearchCriteria
from chartvault.errors import UserError
from chartvault.service import Service

_bearer_scheme = HTTPBearer(auto_error=False, description="Session bearer or API token")
router = APIRouter(prefix="/api/v1", tags=["archive"])


def service(request: Request) -> Service:
    """The app's one guarded service."""
    svc: Service = request.app.state.service
    return svc


def bearer(creds: Annotated[HTTPAuthorizationCredentials | None,
                            Depends(_bearer_scheme)]) -> str:
    """The bearer of the ``Authorization`` header (cookies are for pages, not the API)."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise Unauthenticated()
    return creds.credentials


Svc = Annotated[Service, Depends(service)]
Bearer = Annotated[str, Depends(bearer)]


def plain(value: Any) -> Any:
    """A service result as JSON-ready data (rows, dataclasses, dates)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def rows(items: Iterable[Any]) -> list[Any]:
    """Rows (``RowMapping``) as a list of plain dicts."""
    return [plain(dict(r)) if hasattr(r, "keys") else plain(r) for r in items]


@router.get("/health", tags=["sessions"])
def health() -> dict[str, str]:
    """Liveness, without credentials (no archive data)."""
    return {"status": "ok"}


# --- sessions and identity -------------------------------------------------------------


class SignInBody(BaseModel):
    """Password sign-in; ``code`` when the account has TOTP."""

    username: str
    password: str
    code: str | None = None
    new_password: str | None = Field(None, description="Required after a one-time password.")


@router.post("/session", tags=["sessions"])
def sign_in(body: SignInBody, svc: Svc) -> dict[str, Any]:
    """Open a session; the bearer is shown once."""
    signed = svc.sign_in(body.username, body.password, body.code,
                         new_password=body.new_password)
    p = signed.principal
    return {"bearer": signed.bearer, "username": p.username,
            "roles": sorted(r.value for r in p.roles), "mfa": p.mfa}


@router.delete("/session", status_code=204, tags=["sessions"])
def sign_out(svc: Svc, b: Bearer) -> Response:
    """End the session (or revoke the token) presented."""
    svc.sign_out(b)
    return Response(status_code=204)


@router.get("/whoami", tags=["sessions"])
def whoami(svc: Svc, b: Bearer) -> dict[str, Any]:
    """The account behind the bearer."""
    p = svc.whoami(b)
    return {"username": p.username, "roles": sorted(r.value for r in p.roles),
            "via": p.via, "mfa": p.mfa, "token_id": p.token_id}


# --- records ---------------------------------------------------------------------------

SUMMARY = ("doc_id", "doc_type", "status", "mrn", "patient_family", "patient_given",
           "birth_date", "service_date", "document_date", "facility", "pages", "needs_review")


@router.get("/documents", tags=["records"])
def search(svc: Svc, b: Bearer, mrn: str | None = None,
           name: Annotated[str | None, Query(description="tolerant of misspellings and OCR "
                                             "errors; best matches first")] = None,
           dob: Annotated[str | None, Query(description="04/30/1964, 30.04.1964, 1964-04-30 "
                                            "or Apr 30 1964")] = None,
           doc_type: Annotated[str | None, Query(alias="type", description="type key or "
                                                 "label; an unknown one is warned of")] = None,
           date_from: Annotated[str | None, Query(alias="from")] = None,
           date_to: Annotated[str | None, Query(alias="to")] = None,
           text: str | None = None, facility: str | None = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 50,
           offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Documents matching every criterion given, a page at a time.

    ``warnings`` says when the query itself cannot match (a misspelt type, with the
    closest known one); ``snippet`` marks text matches between ``\u0002`` and ``\u0003``.
    """
    from chartvault.search_terms import parse_day, parse_dob

    found = svc.search_page(b, SearchCriteria(
        mrn=mrn, facility=facility, name=name, dob=parse_dob(dob), doc_type=doc_type,
        date_from=parse_day(date_from, "from"), date_to=parse_day(date_to, "to"), text=text,
        limit=limit, offset=offset))
    return {"documents": [{k: plain(h.row[k]) for k in SUMMARY} | {"rank": h.rank}
                          | plain(h.extra) for h in found.hits],
            "warnings": list(found.warnings), "offset": offset, "has_more": found.has_more}


@router.get("/documents/{doc_id}", tags=["records"])
def manifest(doc_id: str, svc: Svc, b: Bearer, purpose: Purpose | None = None) -> Response:
    """A document's manifest (metadata, checksums, retention)."""
    data = svc.show(b, doc_id, purpose.value if purpose else None)
    return Response(data, media_type="application/json")


@router.get("/documents/{doc_id}/original", tags=["records"],
            responses={200: {"content": {"application/pdf": {}, "image/tiff": {}}}})
def original(doc_id: str, purpose: Purpose, svc: Svc, b: Bearer) -> Response:
    """The original, verified against its SHA-256 (sent in ``Digest``-style headers)."""
    got = svc.download(b, doc_id, purpose.value)
    return Response(got.data, media_type=got.content_type, headers={
        "Content-Disposition": f'attachment; filename="{doc_id}.{got.suffix}"',
        "X-Checksum-SHA256": got.sha256})


@router.get("/documents/{doc_id}/rendition", tags=["records"],
            responses={200: {"content": {"application/pdf": {}}}})
def rendition(doc_id: str, purpose: Purpose, svc: Svc, b: Bearer) -> Response:
    """The searchable PDF (page images with the OCR text under them), for a purpose."""
    got = svc.download_rendition(b, doc_id, purpose.value)
    return Response(got.data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{doc_id}-searchable.pdf"',
        "X-Checksum-SHA256": got.sha256})


@router.get("/documents/{doc_id}/pages/{number}", tags=["records"],
            responses={200: {"content": {"image/png": {}}}})
def page_image(doc_id: str, number: Annotated[int, Path(ge=1)], svc: Svc, b: Bearer,
               purpose: Purpose | None = None) -> Response:
    """Page ``number`` (from 1) as a PNG preview."""
    return Response(svc.page_image(b, doc_id, number - 1, purpose.value if purpose else None),
                    media_type="image/png")


@router.get("/documents/{doc_id}/retention", tags=["retention"])
def explain(doc_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Which retention rule applied, and why."""
    return {"doc_id": doc_id, "lines": svc.explain(b, doc_id)}


# --- intake, quarantine, review --------------------------------------------------------


@router.get("/intake/batches", tags=["intake"])
def batches(svc: Svc, b: Bearer, limit: Annotated[int, Query(ge=1, le=500)] = 50
            ) -> dict[str, Any]:
    """Recent batches and their counts."""
    return {"batches": rows(svc.intake_status(b, limit))}


@router.get("/quarantine", tags=["intake"])
def quarantine(svc: Svc, b: Bearer, scope: str = "auto") -> dict[str, Any]:
    """Quarantined inputs the caller may see."""
    if scope not in ("auto", "all", "own"):
        scope = "auto"
    return {"entries": rows(svc.quarantine_list(b, scope))}  # type: ignore[arg-type]


@router.get("/review", tags=["intake"])
def review(svc: Svc, b: Bearer, limit: Annotated[int, Query(ge=1, le=1000)] = 100
           ) -> dict[str, Any]:
    """Documents waiting for a person's review."""
    return {"documents": rows(svc.review_queue(b, limit))}


# --- holds -----------------------------------------------------------------------------


class HoldBody(BaseModel):
    """A document hold (``doc_id``) or a patient hold (``mrn``, optionally ``facility``)."""

    case_name: str
    reason: str
    doc_id: str | None = None
    mrn: str | None = None
    facility: str | None = None


@router.get("/holds", tags=["legal"])
def holds(svc: Svc, b: Bearer, active_only: bool = True) -> dict[str, Any]:
    """Legal holds, newest first."""
    return {"holds": rows(svc.holds(b, active_only))}


@router.post("/holds", status_code=201, tags=["legal"])
def hold_add(body: HoldBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Place a hold."""
    got = svc.hold_add(b, case_name=body.case_name, reason=body.reason, doc_id=body.doc_id,
                       mrn=body.mrn, facility=body.facility)
    return plain(got)  # type: ignore[no-any-return]


@router.post("/holds/{hold_id}/release", tags=["legal"])
def hold_release(hold_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Release a hold (or ask for it, where a second person must confirm)."""
    return plain(svc.hold_release(b, hold_id))  # type: ignore[no-any-return]


# --- retention -------------------------------------------------------------------------


class SweepBody(BaseModel):
    """A sweep as of a day (default today; never later)."""

    as_of: date | None = None


class ApproveBody(BaseModel):
    """Re-authentication at the moment of approval."""

    password: str | None = None
    code: str | None = None


@router.post("/retention/sweep", status_code=201, tags=["retention"])
def sweep(body: SweepBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Plan the disposition of records due."""
    return {"plan_id": svc.sweep(b, body.as_of)}


@router.get("/plans", tags=["retention"])
def plans(svc: Svc, b: Bearer, limit: Annotated[int, Query(ge=1, le=500)] = 50
          ) -> dict[str, Any]:
    """Disposition plans, newest first."""
    return {"plans": rows(svc.plans(b, limit))}


@router.get("/plans/{plan_id}", tags=["retention"])
def plan(plan_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """A plan item by item."""
    view = svc.plan(b, plan_id)
    return {"plan": plain(dict(view.plan)), "items": rows(view.items)}


@router.post("/plans/{plan_id}/approve", tags=["retention"])
def approve(plan_id: str, body: ApproveBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Approve as a second person (re-authenticating), then execute."""
    svc.approve_plan(b, plan_id, password=body.password, code=body.code)
    return {"plan_id": plan_id, "approved": True,
            "execution": plain(svc.execute_plan(b, plan_id))}


@router.post("/plans/{plan_id}/reject", tags=["retention"])
def reject(plan_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Turn a plan down."""
    svc.reject_plan(b, plan_id)
    return {"plan_id": plan_id, "rejected": True}


@router.post("/plans/{plan_id}/cancel", tags=["retention"])
def cancel(plan_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Withdraw a plan before its execution starts."""
    svc.cancel_plan(b, plan_id)
    return {"plan_id": plan_id, "cancelled": True}


@router.get("/plans/{plan_id}/certificate", tags=["retention"],
            responses={200: {"content": {"application/pdf": {}}}})
def certificate(plan_id: str, svc: Svc, b: Bearer) -> Response:
    """The certificate of destruction (PDF)."""
    return Response(svc.certificate(b, plan_id), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{plan_id}.pdf"'})


# --- audit -----------------------------------------------------------------------------


@router.get("/audit/events", tags=["audit"])
def audit_events(svc: Svc, b: Bearer, after: Annotated[int, Query(ge=0)] = 0,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
                 action: str | None = None) -> dict[str, Any]:
    """A page of the audit trail."""
    return {"events": rows(svc.audit_events(b, after, limit, action))}


@router.post("/audit/verify", tags=["audit"])
def audit_verify(svc: Svc, b: Bearer) -> dict[str, Any]:
    """Re-walk the chain and check it against the anchors."""
    return plain(svc.audit_verify(b))  # type: ignore[no-any-return]


@router.post("/fixity", tags=["audit"])
def fixity(svc: Svc, b: Bearer) -> dict[str, Any]:
    """Re-read every archived object and compare checksums."""
    return plain(svc.fixity(b))  # type: ignore[no-any-return]


# --- tokens ----------------------------------------------------------------------------


class TokenBody(BaseModel):
    """A token scoped to one of the caller's roles."""

    role: str
    days: float | None = None
    label: str | None = None


@router.get("/tokens", tags=["sessions"])
def tokens(svc: Svc, b: Bearer) -> dict[str, Any]:
    """The caller's tokens (no secrets)."""
    return {"tokens": rows(svc.list_tokens(b))}


@router.post("/tokens", status_code=201, tags=["sessions"])
def token_create(body: TokenBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """A new API token from a signed-in session; the bearer is shown once."""
    try:
        role = Role(body.role)
    except ValueError:
        raise UserError(f"unknown role {body.role!r}") from None
    return plain(svc.create_token(b, role, body.days, body.label or ""))  # type: ignore[no-any-return]


@router.delete("/tokens/{token_id}", status_code=204, tags=["sessions"])
def revoke(token_id: str, svc: Svc, b: Bearer) -> Response:
    """Revoke one of the caller's tokens (admin: anyone's)."""
    svc.revoke_token(b, token_id)
    return Response(status_code=204)


ROUTERS = [router]
