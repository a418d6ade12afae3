"""Release of information through the guard: requests, fulfilment, accounting, FHIR reads.

Archivists and records managers log and review requests; a records manager (second
factor) denies or fulfils them; records managers and auditors read the accounting of
disclosures and access reports; an EHR's token (role ``ehr``) reads through FHIR. Every
step is audited, refusals by the guard; each request step is also an object in storage
(``releases/<request_id>/``), the evidence that outlives the catalog.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Connection, RowMapping

from chartvault.auth.principal import Principal
from chartvault.auth.roles import Action
from chartvault.catalog import normalise_mrn
from chartvault.catalog import release as rq
from chartvault.errors import NotFound
from chartvault.events import release_event_key
from chartvault.pipeline.archive import stored_type
from chartvault.release import encrypt, fhir, package, reports
from chartvault.release.model import (
    OutOfScope,
    ReleaseError,
    Request,
    RequesterKind,
    Status,
)
from chartvault.release.scope import check
from chartvault.service.guard import Guard
from chartvault.taxonomy import DOC_TYPES

A = Action


@dataclass(frozen=True)
class Fulfilment:
    """A fulfilled request: the package written and the disclosure recorded."""

    request_id: str
    disclosure_id: str
    package: package.Package
    passphrase: str | None  # the zip's, shown once: give it to the requester separately


@dataclass(frozen=True)
class RequestDetail:
    """A request, the documents its scope covers now, and what was disclosed under it."""

    request: Request
    in_scope: tuple[str, ...]
    disclosures: tuple[RowMapping, ...]


@dataclass(frozen=True)
class BinaryContent:
    """An original's bytes for FHIR ``Binary``."""

    doc_id: str
    content_type: str
    data: bytes


class ReleaseActions(Guard):
    """Release requests, packages, accounting of disclosures, access reports, FHIR reads."""

    # --- helpers -----------------------------------------------------------------------

    def _event(self, request_id: str, kind: str, actor: str, data: dict[str, Any]) -> None:
        at = self.clock()
        doc = {"request_id": request_id, "kind": kind, "actor": actor, "at": at.isoformat(),
               **data}
        self.store.put(release_event_key(request_id, kind, at),
                       json.dumps(doc, sort_keys=True, default=str).encode(),
                       content_type="application/json")

    def _facility(self, p: Principal, action: Action, conn: Connection, mrn: str,
                  facility: str | None) -> str:
        """The facility of a patient's MRN (refused when unknown or ambiguous)."""
        found = [r["facility"] for r in rq.patients_with_mrn(conn, mrn, facility)]
        if not found:
            self.reject(p, action, "no_patient", NotFound("no records under that MRN"
                                                          + (" at that facility" if facility
                                                             else "")))
        if len(found) > 1:
            self.reject(p, action, "ambiguous_mrn", ReleaseError(
                f"that MRN is used at {len(found)} facilities: give the facility"))
        return str(found[0])

    def _request(self, p: Principal, action: Action, conn: Connection,
                 request_id: str) -> Request:
        row = rq.request(conn, request_id)
        if row is None:
            self.reject(p, action, "no_request", NotFound(f"no release request {request_id}"),
                        {"request_id": request_id})
        return Request.of(row)

    # --- requests ----------------------------------------------------------------------

    def release_request(self, bearer: str, *, requester_kind: str, requester_name: str,
                        purpose: str, mrn: str, facility: str | None = None,
                        date_from: date | None = None, date_to: date | None = None,
                        doc_types: Sequence[str] = (), authorization_doc_id: str | None = None,
                        due_date: date | None = None) -> Request:
        """Record a request as received; its due date by policy unless given."""
        p = self.require(bearer, A.RELEASE_REQUEST)
        kinds = [k.value for k in RequesterKind]

        def bad(why: str, message: str) -> NoReturn:
            self.reject(p, A.RELEASE_REQUEST, why, ReleaseError(message))

        if requester_kind not in kinds:
            bad("requester_kind", f"requester kind must be one of {', '.join(kinds)}")
        if not requester_name.strip() or not purpose.strip():
            bad("missing_field", "give the requester's name and the purpose")
        unknown = [t for t in doc_types if t not in DOC_TYPES]
        if unknown:
            bad("doc_type", f"unknown document type(s): {', '.join(unknown)}")
        if date_from and date_to and date_from > date_to:
            bad("date_range", "the date range ends before it starts")
        if requester_kind != RequesterKind.PATIENT and not authorization_doc_id:
            bad("no_authorization", "a release to anyone but the patient needs the archived "
                                    "authorisation or subpoena (--authorization DOC_ID)")
        mrn_n = normalise_mrn(mrn)
        with self.catalog.engine.connect() as conn:  # checks read only: refusals audit apart
            fac = self._facility(p, A.RELEASE_REQUEST, conn, mrn_n, facility)
            auth = rq.documents_by_id(conn, [authorization_doc_id]) if authorization_doc_id \
                else None
        if auth is not None and (not auth or auth[0]["status"] != "archived"):
            bad("authorization_not_archived",
                f"authorisation {authorization_doc_id} is not an archived document")
        now = self.clock()
        request_id = "rq-" + uuid.uuid4().hex[:12]
        row = {
            "request_id": request_id, "created_at": now, "created_by": p.username,
            "requester_kind": requester_kind, "requester_name": requester_name.strip(),
            "authorization_doc_id": authorization_doc_id, "purpose": purpose.strip(),
            "facility": fac, "mrn": mrn_n, "date_from": date_from, "date_to": date_to,
            "doc_types": sorted(set(doc_types)),
            "due_date": due_date or now.date() + timedelta(days=self.settings.release.due_days),
            "status": Status.RECEIVED.value, "status_reason": None,
        }
        with self.catalog.transaction() as conn:
            rq.add_request(conn, row)
            self.catalog.audit(p.username, A.RELEASE_REQUEST.value,
                               [authorization_doc_id] if authorization_doc_id else [],
                               detail={"request_id": request_id, "step": "received",
                                       "requester_kind": requester_kind}, conn=conn)
        self._event(request_id, "received", p.username, row)
        return Request.of(row)

    def release_requests(self, bearer: str, status: str | None = None,
                         limit: int = 200) -> list[Request]:
        """Requests, open ones first, the soonest due first."""
        p = self.require(bearer, A.RELEASE_REQUEST)
        with self.catalog.engine.connect() as conn:
            rows = rq.requests(conn, [status] if status else None, limit)
        self.catalog.audit(p.username, A.RELEASE_REQUEST.value,
                           detail={"step": "list", "requests": len(rows)})
        return [Request.of(r) for r in rows]

    def release_show(self, bearer: str, request_id: str) -> RequestDetail:
        """A request with the documents its scope covers and its disclosures."""
        p = self.require(bearer, A.RELEASE_REQUEST, detail={"request_id": request_id})
        with self.catalog.engine.connect() as conn:
            req = self._request(p, A.RELEASE_REQUEST, conn, request_id)
            s = req.scope
            docs = [r["doc_id"] for r in rq.scope_documents(conn, s.facility, s.mrn,
                                                             s.date_from, s.date_to,
                                                             s.doc_types)]
            made = tuple(rq.disclosures_of_request(conn, request_id))
        self.catalog.audit(p.username, A.RELEASE_REQUEST.value, detail={
            "request_id": request_id, "step": "show", "in_scope": len(docs)})
        return RequestDetail(req, tuple(docs), made)

    def release_review(self, bearer: str, request_id: str) -> Request:
        """Take a received request into review."""
        p = self.require(bearer, A.RELEASE_REQUEST, detail={"request_id": request_id})
        with self.catalog.engine.connect() as conn:
            current = self._request(p, A.RELEASE_REQUEST, conn, request_id)
        if current.status != Status.RECEIVED:
            self.reject(p, A.RELEASE_REQUEST, "not_received", ReleaseError(
                f"request {request_id} is {current.status.value}, not waiting for review"),
                {"request_id": request_id})
        now = self.clock()
        with self.catalog.transaction() as conn:
            if not rq.set_request(conn, request_id, [Status.RECEIVED.value], {
                    "status": Status.IN_REVIEW.value, "reviewed_by": p.username,
                    "reviewed_at": now}):
                raise ReleaseError(f"request {request_id} changed meanwhile; look again")
            self.catalog.audit(p.username, A.RELEASE_REQUEST.value,
                               detail={"request_id": request_id, "step": "in_review"},
                               conn=conn)
            req = Request.of(rq.request(conn, request_id))  # type: ignore[arg-type]
        self._event(request_id, "in_review", p.username, {})
        return req

    def release_deny(self, bearer: str, request_id: str, reason: str) -> Request:
        """Deny an open request, with the reason given to the requester."""
        p = self.require(bearer, A.RELEASE_FULFIL, detail={"request_id": request_id})
        if not reason.strip():
            self.reject(p, A.RELEASE_FULFIL, "no_reason",
                        ReleaseError("a denial needs its reason"), {"request_id": request_id})
        with self.catalog.engine.connect() as conn:
            current = self._request(p, A.RELEASE_FULFIL, conn, request_id)
        if current.status.value not in rq.OPEN:
            self.reject(p, A.RELEASE_FULFIL, "not_open", ReleaseError(
                f"request {request_id} is already {current.status.value}"),
                {"request_id": request_id})
        now = self.clock()
        with self.catalog.transaction() as conn:
            if not rq.set_request(conn, request_id, list(rq.OPEN), {
                    "status": Status.DENIED.value, "status_reason": reason.strip(),
                    "decided_by": p.username, "decided_at": now}):
                raise ReleaseError(f"request {request_id} changed meanwhile; look again")
            self.catalog.audit(p.username, A.RELEASE_FULFIL.value,
                               outcome="denied", detail={"request_id": request_id},
                               conn=conn)
            req = Request.of(rq.request(conn, request_id))  # type: ignore[arg-type]
        self._event(request_id, "denied", p.username, {"reason": reason.strip()})
        return req

    def release_fulfil(self, bearer: str, request_id: str, out_dir: Path, *,
                       doc_ids: Sequence[str] | None = None, paper_copy: bool = True,
                       encrypt_zip: bool = False,
                       passphrase: str | None = None) -> Fulfilment:
        """Release what the scope covers (or the given part of it): package, disclosure."""
        p = self.require(bearer, A.RELEASE_FULFIL, list(doc_ids or []),
                         {"request_id": request_id})
        with self.catalog.engine.connect() as conn:
            req = self._request(p, A.RELEASE_FULFIL, conn, request_id)
            if req.status != Status.IN_REVIEW:
                self.reject(p, A.RELEASE_FULFIL, "not_in_review", ReleaseError(
                    f"request {request_id} is {req.status.value}; only a request in review "
                    "is fulfilled"), {"request_id": request_id})
            if req.authorization_doc_id:
                auth = rq.documents_by_id(conn, [req.authorization_doc_id])
                if not auth or auth[0]["status"] != "archived":
                    self.reject(p, A.RELEASE_FULFIL, "authorization_gone", ReleaseError(
                        f"the authorisation {req.authorization_doc_id} of request {request_id} "
                        "is no longer archived"), {"request_id": request_id})
            s = req.scope
            covered = rq.scope_documents(conn, s.facility, s.mrn, s.date_from, s.date_to,
                                         s.doc_types)
            rows: Sequence[RowMapping] = covered
            if doc_ids is not None:
                asked = list(dict.fromkeys(doc_ids))
                found = rq.documents_by_id(conn, asked)
                try:
                    check(s, asked, found)
                except OutOfScope as err:
                    out = sorted(set(asked) - {r["doc_id"] for r in covered})
                    self.reject(p, A.RELEASE_FULFIL, "out_of_scope", err,
                                {"request_id": request_id, "outside": out})
                by_id = {r["doc_id"]: r for r in found}
                rows = [by_id[d] for d in asked]
        if not rows:
            self.reject(p, A.RELEASE_FULFIL, "nothing_in_scope", ReleaseError(
                f"request {request_id}: its scope covers no archived document"),
                {"request_id": request_id})
        if encrypt_zip and not passphrase:
            passphrase = encrypt.new_passphrase()
        now = self.clock()
        built = package.build(self.catalog, self.store, req, rows, out_dir, now=now,
                              actor=p.username, paper_copy=paper_copy, passphrase=passphrase)
        disclosure_id = "ds-" + uuid.uuid4().hex[:12]
        record = {
            "disclosure_id": disclosure_id, "request_id": request_id, "disclosed_at": now,
            "disclosed_by": p.username, "recipient": req.requester_name,
            "recipient_kind": req.requester_kind.value, "facility": s.facility,
            "mrn": s.mrn, "purpose": req.purpose, "description": package.describe(rows),
            "doc_ids": list(built.doc_ids), "packages": built.digests,
        }
        with self.catalog.transaction() as conn:
            if not rq.set_request(conn, request_id, [Status.IN_REVIEW.value], {
                    "status": Status.FULFILLED.value, "decided_by": p.username,
                    "decided_at": now}):
                raise ReleaseError(f"request {request_id} was closed meanwhile; the package "
                                   "written is not released: delete it")
            rq.add_disclosure(conn, record)
            self.catalog.audit(p.username, A.RELEASE_FULFIL.value, list(built.doc_ids),
                               detail={"request_id": request_id,
                                       "disclosure_id": disclosure_id,
                                       "documents": len(built.doc_ids),
                                       "packages": built.digests}, conn=conn)
        self._event(request_id, "fulfilled", p.username, record)
        return Fulfilment(request_id, disclosure_id, built, passphrase)

    # --- accounting and access ---------------------------------------------------------

    def disclosure_accounting(self, bearer: str, mrn: str, facility: str | None = None,
                              years: int | None = None) -> reports.Report:
        """Every disclosure of a patient's records in the last six years (HIPAA 164.528)."""
        p = self.require(bearer, A.DISCLOSURE_ACCOUNTING)
        now = self.clock()
        span = years or self.settings.release.accounting_years
        since = now.replace(year=now.year - span) if not (now.month == 2 and now.day == 29) \
            else now.replace(year=now.year - span, day=28)
        with self.catalog.engine.connect() as conn:
            mrn_n = normalise_mrn(mrn)
            fac = self._facility(p, A.DISCLOSURE_ACCOUNTING, conn, mrn_n, facility)
            made = rq.disclosures_of(conn, fac, mrn_n, since)
        self.catalog.audit(p.username, A.DISCLOSURE_ACCOUNTING.value, detail={
            "patient": fhir.patient_id(fac, mrn_n), "disclosures": len(made)})
        return reports.accounting(f"MRN {mrn_n} at {fac}", since, now, made)

    def access_report(self, bearer: str, mrn: str,
                      facility: str | None = None) -> reports.Report:
        """Every audited read of a patient's documents."""
        p = self.require(bearer, A.ACCESS_REPORT)
        with self.catalog.engine.connect() as conn:
            mrn_n = normalise_mrn(mrn)
            fac = self._facility(p, A.ACCESS_REPORT, conn, mrn_n, facility)
            ids = rq.patient_doc_ids(conn, fac, mrn_n)
            events = rq.access_events(conn, reports.ACCESS_ACTIONS, ids)
        self.catalog.audit(p.username, A.ACCESS_REPORT.value, detail={
            "patient": fhir.patient_id(fac, mrn_n), "events": len(events)})
        return reports.access(f"MRN {mrn_n} at {fac}", events, ids)

    # --- FHIR reads --------------------------------------------------------------------

    def _fhir_audit(self, p: Principal, resource: str, doc_ids: Sequence[str],
                    params: Sequence[str], hits: int, outcome: str = "ok",
                    conn: Connection | None = None) -> None:
        self.catalog.audit(p.username, A.FHIR_READ.value, list(doc_ids), outcome=outcome,
                           detail={"resource": resource, "params": sorted(params),
                                   "hits": hits, "token": p.token_id}, conn=conn)

    def fhir_patients(self, bearer: str, identifier: str, base: str) -> dict[str, Any]:
        """``GET Patient?identifier=[system|]value``: a searchset Bundle."""
        p = self.require(bearer, A.FHIR_READ, detail={"resource": "Patient"})
        system, value = fhir.token(identifier)
        mrn = normalise_mrn(value)
        with self.catalog.engine.connect() as conn:
            rows = [r for r in (rq.patients_with_mrn(conn, mrn, None) if mrn else [])
                    if system is None or system == fhir.mrn_system(r["facility"])]
            ids = {fhir.patient_id(r["facility"], r["mrn"]): r for r in rows}
            new = [i for i in ids if rq.patient_of_id(conn, i) is None]
        with self.catalog.transaction() as conn:  # one write: new ids and the audit event
            for i in new:
                rq.remember_patient(conn, i, ids[i]["facility"], ids[i]["mrn"])
            self._fhir_audit(p, "Patient", [], ["identifier"], len(rows), conn=conn)
        found = [fhir.patient(r) for r in rows]
        return fhir.searchset(base, found, f"{base.rstrip('/')}/Patient?identifier=")

    def fhir_document_references(self, bearer: str, base: str, *, patient: str,
                                 type_: str | None = None, dates: Sequence[str] = (),
                                 count: int | None = None) -> dict[str, Any]:
        """``GET DocumentReference?patient=&type=&date=``: a searchset Bundle."""
        p = self.require(bearer, A.FHIR_READ, detail={"resource": "DocumentReference"})
        params = ["patient"] + (["type"] if type_ else []) + (["date"] if dates else [])
        pid = patient.removeprefix("Patient/")
        try:
            bounds = [b for d in dates for b in fhir.date_bounds(d)]
        except ValueError as err:
            self.reject(p, A.FHIR_READ, "bad_param", ReleaseError(str(err)),
                        {"resource": "DocumentReference"})
        loincs: list[str] = []
        types: list[str] = []
        if type_:
            system, code = fhir.token(type_)
            if system in (None, fhir.LOINC):
                loincs.append(code)
            if system in (None, fhir.DOC_TYPE_SYSTEM):
                types.append(code)
        limit = min(count or self.settings.release.fhir_page_size,
                    self.settings.release.fhir_page_size)
        with self.catalog.engine.connect() as conn:
            who = rq.patient_of_id(conn, pid)
            rows = rq.fhir_documents(conn, who[0], who[1], loincs, types, bounds,
                                     limit) if who else []
        # SHA-1s: cached in the catalog, else read once from storage (cached with the audit)
        sha1s = {r["doc_id"]: r["sha1"] for r in rows if r["sha1"]}
        new = {r["doc_id"]: hashlib.sha1(self.store.get(r["original_key"])).hexdigest()
               for r in rows if not r["sha1"]}
        with self.catalog.transaction() as conn:
            rq.remember_sha1s(conn, new)
            self._fhir_audit(p, "DocumentReference", [r["doc_id"] for r in rows], params,
                             len(rows), conn=conn)
        sha1s |= new
        subject = f"Patient/{pid}"
        res = [fhir.document_reference(
            r, subject, [fhir.original_content(r, sha1s[r["doc_id"]], f"Binary/{r['doc_id']}")])
            for r in rows]
        return fhir.searchset(base, res, f"{base.rstrip('/')}/DocumentReference?"
                              + "&".join(f"{n}=" for n in params))

    def fhir_binary(self, bearer: str, doc_id: str) -> BinaryContent:
        """``GET Binary/{id}``: the original's bytes, verified against its SHA-256."""
        p = self.require(bearer, A.FHIR_READ, [doc_id], {"resource": "Binary"})
        row = self.catalog.get(doc_id)
        if row is None or row["status"] != "archived":
            self._fhir_audit(p, "Binary", [doc_id], ["id"], 0, outcome="not_found")
            raise NotFound(f"no archived document {doc_id}")
        data = self.store.get(row["original_key"])
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            self._fhir_audit(p, "Binary", [doc_id], ["id"], 0, outcome="integrity_error")
            from chartvault.errors import IntegrityError

            raise IntegrityError(f"document {doc_id}: stored original does not match its "
                                 "SHA-256")
        self._fhir_audit(p, "Binary", [doc_id], ["id"], 1)
        return BinaryContent(doc_id, stored_type(row["source_format"])[1], data)
