"""The auditors' pages: search, a document with its pages and metadata, downloads."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from chartvault.access import Purpose
from chartvault.auth.roles import Action
from chartvault.catalog import SearchCriteria
from chartvault.catalog.dialect import SNIPPET_MARKS
from chartvault.errors import UserError
from chartvault.search_terms import parse_day, parse_dob
from chartvault.taxonomy import DOC_TYPES
from chartvault.web.render import NAV, NavItem, Viewer, form_viewer, page, viewer

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
MAX_PREVIEWS = 20
FIELDS = ("mrn", "name", "dob", "type", "from", "to", "text")
PURPOSE_LABELS = {Purpose.TREATMENT: "Treatment", Purpose.PAYMENT: "Payment",
                  Purpose.OPERATIONS: "Health care operations", Purpose.LEGAL: "Legal",
                  Purpose.AUDIT: "Audit", Purpose.PATIENT_REQUEST: "Patient's request"}
PURPOSES = [(p.value, PURPOSE_LABELS[p]) for p in Purpose]

NAV.append(NavItem("Search", "/search", Action.SEARCH))


def highlight(snippet: str) -> Markup:
    """A snippet as HTML: the text escaped, the matched words in ``<mark>``."""
    start, stop = SNIPPET_MARKS
    return Markup(str(escape(snippet)).replace(start, "<mark>").replace(stop, "</mark>"))


def _hit(h: Any) -> dict[str, Any]:
    r = h.row
    family, given = r["patient_family"], r["patient_given"]
    return {"doc_id": r["doc_id"], "review": bool(r["needs_review"]),
            "patient": f"{family or '?'}, {given or '?'}" if family or given else "unknown",
            "mrn": r["mrn"] or "", "birth": r["birth_date"] or "",
            "type_label": DOC_TYPES.get(r["doc_type"], (None, r["doc_type"]))[1],
            "served": r["service_date"] or r["document_date"] or "", "pages": r["pages"],
            "score": h.extra.get("name_score"), "snippet": highlight(h.extra.get("snippet", ""))}


def _url(path: str, q: dict[str, str], page_no: int) -> str:
    return path + "?" + urlencode({**{k: v for k, v in q.items() if v}, "page": page_no})


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """Search by MRN, tolerant name, birth date, type, service dates and full text."""
    request.app.state.service.authorize(v.bearer, Action.SEARCH)
    q = {k: request.query_params.get(k, "").strip() for k in FIELDS}
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    ctx: dict[str, Any] = {"q": q, "types": [(k, lbl) for k, (_, lbl) in DOC_TYPES.items()],
                           "searched": False, "warnings": (), "hits": []}
    if any(q.values()):
        try:
            criteria = SearchCriteria(
                mrn=q["mrn"] or None, name=q["name"] or None, dob=parse_dob(q["dob"]),
                doc_type=q["type"] or None, date_from=parse_day(q["from"], "service date from"),
                date_to=parse_day(q["to"], "service date to"), text=q["text"] or None,
                limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
            found = request.app.state.service.search_page(v.bearer, criteria)
        except UserError as err:
            return page(request, "search.html", v, 400, title="Search", error=str(err), **ctx)
        ctx.update(searched=True, warnings=found.warnings, hits=[_hit(h) for h in found.hits],
                   page_no=page_no, has_more=found.has_more, show_snippets=bool(q["text"]),
                   prev_url=_url("/search", q, page_no - 1) if page_no > 1 else None,
                   next_url=_url("/search", q, page_no + 1) if found.has_more else None)
    return page(request, "search.html", v, title="Search", **ctx)


def _fields(m: dict[str, Any]) -> list[tuple[str, str]]:
    """Label and value of the manifest fields a reader of a chart looks for."""
    ex, p = m["extraction"], m["extraction"]["patient"]
    cl, ret, prov = m["classification"], m.get("retention") or {}, m["provenance"]
    name = ", ".join(x for x in (p.get("family"), p.get("given")) if x) or "unknown"
    codes = ", ".join([*ex.get("icd10_codes", []), *ex.get("cpt_codes", [])])
    rows = [
        ("Type", f"{DOC_TYPES.get(cl['doc_type'], (None, cl['doc_type']))[1]} "
                 f"({cl['confidence']:.0%} sure)"),
        ("Patient", name), ("MRN", p.get("mrn") or ""),
        ("Date of birth", p.get("birth_date") or ""),
        ("Sex", p.get("sex") or ""), ("Service date", ex.get("service_date") or ""),
        ("Document date", ex.get("document_date") or ""),
        ("Author", ex.get("author") or ""), ("Facility", m["routing"]["facility"]),
        ("Codes", codes), ("Pages", str(m["pages"])),
        ("Needs review", ", ".join(m.get("review_reasons") or ()) if m["needs_review"] else "no"),
        ("Retention", f"{ret.get('rule_id')} until {ret.get('retain_until') or 'reviewed'}"
         if ret else "not decided"),
        ("Scanned", str(prov.get("captured_at", ""))[:19]),
        ("Archived", f"{str(m['ingested_at'])[:19]} by {m['ingested_by']}"),
        ("SHA-256", m["sha256"]),
    ]
    return [(label, str(value)) for label, value in rows]


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document(request: Request, doc_id: str, v: Annotated[Viewer, Depends(viewer)],
             purpose: str = "") -> HTMLResponse:
    """A document's pages and metadata, opened for a stated purpose (audited with it)."""
    svc = request.app.state.service
    if not purpose:
        svc.authorize(v.bearer, Action.VIEW)
        return page(request, "document_purpose.html", v, title="Why are you opening this chart?",
                    doc_id=doc_id, purposes=PURPOSES)
    m = json.loads(svc.show(v.bearer, doc_id, purpose))
    why = Purpose(purpose)
    pages = int(m["pages"])
    return page(request, "document.html", v, title=f"Document {doc_id[:12]}…", doc_id=doc_id,
                fields=_fields(m), pages=pages,
                page_numbers=range(1, min(pages, MAX_PREVIEWS) + 1), purpose=why.value,
                purpose_label=PURPOSE_LABELS[why], purposes=PURPOSES, sha256=m["sha256"],
                original_kind=m["provenance"]["source_format"].replace("_", " "),
                may_rendition=v.may(Action.RENDITION))


@router.post("/documents/{doc_id}/download")
def download(request: Request, doc_id: str, v: Annotated[Viewer, Depends(form_viewer)],
             purpose: Annotated[str, Form()] = "", what: Annotated[str, Form()] = "original"
             ) -> Response:
    """The original (verified) or the searchable PDF, for the purpose stated in the form."""
    svc = request.app.state.service
    if what == "searchable":
        got = svc.download_rendition(v.bearer, doc_id, purpose)
        name = f"{doc_id}-searchable.pdf"
    else:
        got = svc.download(v.bearer, doc_id, purpose)
        name = f"{doc_id}.{got.suffix}"
    return Response(got.data, media_type=got.content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Checksum-SHA256": got.sha256})


ROUTERS = [router]
