"""Pages of scanning staff and archivists: intake status, quarantine, the review queue.

Each handler is one service call (the service checks the role and audits); a form
POST answers with a redirect (303) to the list it came from, with a fixed message
named in the query (never text from the request). Lists are paged.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chartvault.auth.roles import Action
from chartvault.errors import UserError
from chartvault.service import Service
from chartvault.taxonomy import DOC_TYPES
from chartvault.web.render import NAV, NavItem, Viewer, form_viewer, page, viewer

router = APIRouter(include_in_schema=False)
NAV.extend([NavItem("Intake", "/intake", Action.INTAKE_STATUS),
            NavItem("Quarantine", "/quarantine", Action.QUARANTINE_LIST_OWN),
            NavItem("Review queue", "/review", Action.REVIEW_QUEUE)])

FLASH = {
    "released": "Released: the file is back in its intake folder; the next ingest run takes it.",
    "purged": "Purged: the quarantined copy is deleted and the entry is closed.",
    "corrected": "Correction saved: the record is filed under the corrected type and patient.",
    "confirmed": "Confirmed: the record is filed as read.",
    "bulk": "Every waiting record of the batch is confirmed as read.",
}

REASONS = {
    "low_type_confidence": "the document type is uncertain",
    "identity_not_established": "the patient could not be identified",
    "low_ocr_confidence_mrn": "the record number was hard to read",
    "conflicting_mrn": "the pages show different record numbers",
    "mrn_read_two_ways": "the record number reads two ways, one character apart",
    "name_read_two_ways": "the family name reads two ways, one letter apart",
    "conflicting_name": "the pages show different patient names",
    "conflicting_birth_date": "the pages show different birth dates",
    "age_mismatch": "the stated age does not fit the birth date",
    "registry_ambiguous": "several registered patients fit",
    "registry_conflict": "the registry's patient differs from the pages",
}

# (catalog column, label, extraction-confidence key)
SHOWN_FIELDS = (
    ("patient_family", "Family name", "patient.family"),
    ("patient_given", "Given name(s)", "patient.given"),
    ("mrn", "MRN", "mrn"),
    ("birth_date", "Date of birth", "patient.birth_date"),
    ("sex", "Sex", "patient.sex"),
    ("service_date", "Service date", "service_date"),
    ("document_date", "Document date", "document_date"),
    ("author", "Author", "author"),
    ("facility", "Facility (intake)", "facility"),
    ("printed_facility", "Facility (printed)", "facility"),
)
MAX_PAGES_SHOWN = 20


def _svc(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _flash(request: Request) -> str | None:
    return FLASH.get(request.query_params.get("flash", ""))


def reason_text(code: str) -> str:
    """A review reason for people (codes of registry conflicts share one text)."""
    if code.startswith("registry_conflict"):
        return REASONS["registry_conflict"]
    return REASONS.get(code, code.replace("_", " "))


def type_label(key: str) -> str:
    """A document type's label."""
    return DOC_TYPES.get(key, (None, key))[1]


# --- intake ------------------------------------------------------------------------------


@router.get("/intake", response_class=HTMLResponse)
def intake(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """What waits, is being read, filed or quarantined; the last batches and their speed."""
    return page(request, "intake.html", v, title="Intake status",
                o=_svc(request).intake_overview(v.bearer), actions=Action)


# --- quarantine --------------------------------------------------------------------------


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine(request: Request, v: Annotated[Viewer, Depends(viewer)],
               resolved: bool = False, offset: Annotated[int, Query(ge=0)] = 0
               ) -> HTMLResponse:
    """Quarantined files with their reason and original name; release or purge."""
    svc = _svc(request)
    q = svc.quarantine_entries(v.bearer, resolved=resolved, offset=offset)
    return page(request, "quarantine.html", v, title="Quarantine", q=q, resolved=resolved,
                may_handle=v.may(Action.QUARANTINE_HANDLE),
                purge_reasons=svc.purge_reasons(), flash=_flash(request))


@router.post("/quarantine/{quarantine_id}/release")
def quarantine_release(request: Request, quarantine_id: str,
                       v: Annotated[Viewer, Depends(form_viewer)],
                       note: Annotated[str, Form()] = "") -> Response:
    """Put the file back into its intake folder for the next run."""
    _svc(request).quarantine_release(v.bearer, quarantine_id, note)
    return RedirectResponse("/quarantine?flash=released", 303)


@router.post("/quarantine/{quarantine_id}/purge")
def quarantine_purge(request: Request, quarantine_id: str,
                     v: Annotated[Viewer, Depends(form_viewer)],
                     reason: Annotated[str, Form()] = "",
                     note: Annotated[str, Form()] = "") -> Response:
    """Delete the quarantined copy with a reason."""
    _svc(request).quarantine_purge(v.bearer, quarantine_id, reason, note)
    return RedirectResponse("/quarantine?flash=purged", 303)


# --- review ------------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, v: Annotated[Viewer, Depends(viewer)],
           batch: str | None = None, offset: Annotated[int, Query(ge=0)] = 0
           ) -> HTMLResponse:
    """Records waiting for review, oldest first; batches with a bulk confirmation."""
    rl = _svc(request).review_list(v.bearer, batch, offset)
    return page(request, "review_list.html", v, title="Review queue", rl=rl, batch=batch,
                may_correct=v.may(Action.CORRECT), reason_text=reason_text,
                flash=_flash(request))


def _review_page(request: Request, v: Viewer, doc_id: str, status: int = 200,
                 error: str | None = None, form: dict[str, Any] | None = None) -> HTMLResponse:
    item = _svc(request).review_item(v.bearer, doc_id)
    row = item.row
    current = {k: (row[k].isoformat() if hasattr(row[k], "isoformat") else row[k])
               for k in ("doc_type", "patient_family", "patient_given", "mrn", "birth_date",
                         "sex")}
    return page(request, "review_item.html", v, status, title=f"Review record {doc_id}",
                item=item, error=error, form=form or current,
                page_numbers=list(range(1, min(int(row["pages"]), MAX_PAGES_SHOWN) + 1)),
                shown_fields=SHOWN_FIELDS, doc_types=[(k, t[1]) for k, t in DOC_TYPES.items()],
                may_correct=v.may(Action.CORRECT), reason_text=reason_text,
                type_label=type_label)


@router.get("/review/{doc_id}", response_class=HTMLResponse)
def review_item(request: Request, doc_id: str,
                v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """One flagged record: pages beside fields, reasons, candidates, registry matches."""
    return _review_page(request, v, doc_id)


@router.post("/review/{doc_id}", response_class=HTMLResponse)
def review_submit(request: Request, doc_id: str, v: Annotated[Viewer, Depends(form_viewer)],
                  action: Annotated[str, Form()] = "correct",
                  doc_type: Annotated[str, Form()] = "",
                  patient_family: Annotated[str, Form()] = "",
                  patient_given: Annotated[str, Form()] = "",
                  mrn: Annotated[str, Form()] = "", birth_date: Annotated[str, Form()] = "",
                  sex: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""
                  ) -> Response:
    """Confirm as read, or save the corrected type and patient."""
    svc = _svc(request)
    if action == "confirm":
        svc.confirm(v.bearer, doc_id)
        return RedirectResponse("/review?flash=confirmed", 303)
    fields = {"doc_type": doc_type, "patient_family": patient_family,
              "patient_given": patient_given, "mrn": mrn, "birth_date": birth_date, "sex": sex}
    try:
        svc.correct(v.bearer, doc_id, fields, note)
    except UserError as err:
        if err.code == "not_found":
            raise
        return _review_page(request, v, doc_id, 400, str(err), {**fields, "note": note})
    return RedirectResponse("/review?flash=corrected", 303)


@router.post("/review/batches/{batch_id}/confirm")
def review_confirm_batch(request: Request, batch_id: str,
                         v: Annotated[Viewer, Depends(form_viewer)]) -> Response:
    """Confirm every waiting record of a batch as read."""
    _svc(request).confirm_batch(v.bearer, batch_id)
    return RedirectResponse("/review?flash=bulk&batch=" + quote(batch_id, safe=""), 303)


ROUTERS = [router]
