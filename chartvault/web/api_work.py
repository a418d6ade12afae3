"""JSON routes of the work pages (``/api/v1``), one service call each, as on the pages.

Intake status, quarantine handling, the review queue with corrections, and a plan's
items with their arithmetic.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chartvault.catalog.worklists import Page
from chartvault.web.api import Bearer, Svc, plain, rows

router = APIRouter(prefix="/api/v1")
Offset = Annotated[int, Query(ge=0)]


def _page(pg: Page) -> dict[str, Any]:
    return {"total": pg.total, "offset": pg.offset, "limit": pg.limit,
            "next_offset": pg.next_offset}


@router.get("/intake/status", tags=["intake"])
def intake_status(svc: Svc, b: Bearer) -> dict[str, Any]:
    """Per intake: waiting, in custody, filed, quarantined; last batches with pages/s."""
    return plain(svc.intake_overview(b))  # type: ignore[no-any-return]


@router.get("/quarantine/entries", tags=["intake"])
def quarantine_entries(svc: Svc, b: Bearer, resolved: bool = False, offset: Offset = 0,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """A page of quarantine entries with the readable reason and the original file name."""
    q = svc.quarantine_entries(b, resolved=resolved, offset=offset, limit=limit)
    return {"entries": [plain(dict(e.row)) | {"entry": plain(e.entry)} for e in q.entries],
            "own_only": q.own_only, **_page(q.page)}


class ReleaseBody(BaseModel):
    """An optional note kept with the release."""

    note: str = Field("", max_length=500)


class PurgeBody(BaseModel):
    """A purge's reason code (see ``chartvault.quarantine.PurgeReason``) and a note."""

    reason: str
    note: str = Field("", max_length=500)


@router.post("/quarantine/{quarantine_id}/release", tags=["intake"])
def quarantine_release(quarantine_id: str, body: ReleaseBody, svc: Svc, b: Bearer
                       ) -> dict[str, Any]:
    """Move the quarantined file back into its intake folder for the next ingest run."""
    intake = svc.quarantine_release(b, quarantine_id, body.note)
    return {"quarantine_id": quarantine_id, "released": True, "intake": intake}


@router.post("/quarantine/{quarantine_id}/purge", tags=["intake"])
def quarantine_purge(quarantine_id: str, body: PurgeBody, svc: Svc, b: Bearer
                     ) -> dict[str, Any]:
    """Delete the quarantined copy, with a reason."""
    svc.quarantine_purge(b, quarantine_id, body.reason, body.note)
    return {"quarantine_id": quarantine_id, "purged": True, "reason": body.reason}


@router.get("/review/queue", tags=["intake"])
def review_queue(svc: Svc, b: Bearer, batch: str | None = None, offset: Offset = 0,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """A page of records waiting for review, and the batches that have some."""
    rl = svc.review_list(b, batch, offset, limit)
    return {"documents": rows(rl.page.rows), "batches": rows(rl.batches), **_page(rl.page)}


@router.post("/review/batches/{batch_id}/confirm", tags=["intake"])
def review_confirm_batch(batch_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Confirm every waiting record of a batch as read."""
    done = svc.confirm_batch(b, batch_id)
    return {"batch_id": batch_id, "confirmed": [c.doc_id for c in done]}


@router.get("/review/{doc_id}", tags=["intake"])
def review_item(doc_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """A flagged record: fields, reasons, type candidates, registry matches."""
    item = svc.review_item(b, doc_id)
    return plain(item) | {"row": plain(dict(item.row))}  # type: ignore[no-any-return]


class CorrectionBody(BaseModel):
    """Fields to set (absent: unchanged; empty: cleared, except the type)."""

    doc_type: str | None = None
    patient_family: str | None = None
    patient_given: str | None = None
    mrn: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    service_date: str | None = None
    note: str = Field("", max_length=500)


@router.post("/review/{doc_id}/correct", tags=["intake"])
def review_correct(doc_id: str, body: CorrectionBody, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Correct the type and patient (an event object; audited; labelled for training)."""
    fields = body.model_dump(exclude={"note"}, exclude_unset=True)
    return plain(svc.correct(b, doc_id, fields, body.note))  # type: ignore[no-any-return]


@router.post("/review/{doc_id}/confirm", tags=["intake"])
def review_confirm(doc_id: str, svc: Svc, b: Bearer) -> dict[str, Any]:
    """Confirm the record as read: its type and patient stand."""
    return plain(svc.confirm(b, doc_id))  # type: ignore[no-any-return]


@router.get("/plans/{plan_id}/items", tags=["retention"])
def plan_items(plan_id: str, svc: Svc, b: Bearer, offset: Offset = 0,
               limit: Annotated[int, Query(ge=1, le=100)] = 25) -> dict[str, Any]:
    """A page of a plan's items, each with its rule, arithmetic and explanation."""
    d = svc.plan_detail(b, plan_id, offset, limit)
    return {"plan": plain(dict(d.plan)), "statuses": d.statuses, "items": plain(d.items),
            **_page(d.page)}


ROUTERS = [router]
