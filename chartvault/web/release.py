"""Release-of-information routes of the JSON API (``/api/v1/releases``, accountings).

One route per service call, as in ``api``: requests are recorded, listed (open first,
soonest due first), shown, reviewed and denied here. Fulfilment writes a package to a
folder of the server, so it stays a command on the server host (``chartvault release
fulfil``) for now. Accounting and access reports come as CSV or PDF.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from chartvault.web.api import Bearer, Svc, plain

router = APIRouter(prefix="/api/v1", tags=["release"])


class RequestBody(BaseModel):
    """A release request as received."""

    requester_kind: str = Field(description="patient, provider, payer, attorney or court")
    requester_name: str
    purpose: str
    mrn: str
    facility: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    doc_types: list[str] = Field(default_factory=list, description="empty: every type")
    authorization_doc_id: str | None = Field(
        None, description="the archived authorisation or subpoena (all but the patient)")
    due_date: date | None = Field(None, description="default: settings (30 days)")


class DenyBody(BaseModel):
    """Why a request is denied (told to the requester)."""

    reason: str


@router.post("/releases", status_code=201)
def create(body: RequestBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Record a release request."""
    return plain(svc.release_request(b, **body.model_dump()))  # type: ignore[no-any-return]


@router.get("/releases")
def listing(svc: Svc, b: Bearer, status: str | None = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """Requests, open ones first and the soonest due first."""
    return {"requests": plain(svc.release_requests(b, status, limit))}


@router.get("/releases/{request_id}")
def show(request_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """A request, the documents its scope covers now, its disclosures."""
    got = svc.release_show(b, request_id)
    return {"request": plain(got.request), "in_scope": list(got.in_scope),
            "disclosures": [plain(dict(d)) for d in got.disclosures]}


@router.post("/releases/{request_id}/review")
def review(request_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Take a received request into review."""
    return plain(svc.release_review(b, request_id))  # type: ignore[no-any-return]


@router.post("/releases/{request_id}/deny")
def deny(request_id: str, body: DenyBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Deny an open request with its reason."""
    return plain(svc.release_deny(b, request_id, body.reason))  # type: ignore[no-any-return]


def _report(report: Any, fmt: str, name: str) -> Response:
    if fmt == "pdf":
        return Response(report.pdf(), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return Response(report.csv(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/accounting", responses={200: {"content": {"text/csv": {},
                                                        "application/pdf": {}}}})
def accounting(svc: Svc, b: Bearer, mrn: str, facility: str | None = None,
               fmt: Annotated[Literal["csv", "pdf"], Query(alias="format")] = "csv",
               years: Annotated[int | None, Query(ge=1, le=50)] = None) -> Response:
    """The accounting of a patient's disclosures (last six years by default)."""
    return _report(svc.disclosure_accounting(b, mrn, facility, years), fmt, "accounting")


@router.get("/access-report", responses={200: {"content": {"text/csv": {},
                                                           "application/pdf": {}}}})
def access_report(svc: Svc, b: Bearer, mrn: str, facility: str | None = None,
                  fmt: Annotated[Literal["csv", "pdf"], Query(alias="format")] = "csv"
                  ) -> Response:
    """Every audited read of a patient's documents."""
    return _report(svc.access_report(b, mrn, facility), fmt, "access-report")


ROUTERS = [router]
