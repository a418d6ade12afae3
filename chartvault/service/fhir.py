"""FHIR R4 reads through the guard: Patient by identifier, DocumentReference search, Binary.

An EHR presents an API token of an account with role ``ehr`` (``fhir_read``). Every read
is audited with the resource, the parameter names (never their values), the hits and the
documents returned, so the patient's access report lists it; a refusal is audited by the
guard. Each search writes once: new patient ids or SHA-1s together with its audit event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from chartvault.auth.principal import Principal
from chartvault.auth.roles import Action
from chartvault.catalog import normalise_mrn
from chartvault.catalog import release as rq
from chartvault.errors import IntegrityError, NotFound
from chartvault.pipeline.archive import stored_type
from chartvault.release import fhir
from chartvault.release.model import ReleaseError
from chartvault.service.guard import Guard

A = Action


@dataclass(frozen=True)
class BinaryContent:
    """An original's bytes for FHIR ``Binary``."""

    doc_id: str
    content_type: str
    data: bytes


class FhirActions(Guard):
    """The FHIR read API's service calls."""

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
            raise IntegrityError(f"document {doc_id}: stored original does not match its "
                                 "SHA-256")
        self._fhir_audit(p, "Binary", [doc_id], ["id"], 1)
        return BinaryContent(doc_id, stored_type(row["source_format"])[1], data)
