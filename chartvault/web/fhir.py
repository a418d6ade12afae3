"""The FHIR R4 read API (``/fhir``): Patient, DocumentReference and Binary, bearer auth.

Each route is one service call (``ReleaseActions.fhir_*``), which checks ``fhir_read``
and audits the read; an EHR uses an API token of an account with role ``ehr``. Resources
are validated with ``fhir.resources`` before they leave the service. ``Binary`` answers
with the original's bytes, or with a Binary resource when FHIR JSON is asked for.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from chartvault.web.api import Bearer, Svc

FHIR_JSON = "application/fhir+json"
router = APIRouter(prefix="/fhir", tags=["fhir"])


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _fhir(resource: dict[str, Any]) -> Response:
    return Response(json.dumps(resource), media_type=FHIR_JSON)


@router.get("/metadata", responses={200: {"content": {FHIR_JSON: {}}}})
def capabilities() -> Response:
    """The CapabilityStatement: what this read-only server offers."""
    from chartvault.release.fhir import capability_statement

    return _fhir(capability_statement())


@router.get("/Patient", responses={200: {"content": {FHIR_JSON: {}}}})
def patients(request: Request, svc: Svc, b: Bearer,
             identifier: Annotated[str, Query(min_length=1)]) -> Response:
    """Patients by MRN: ``identifier=[system|]value`` (a searchset Bundle)."""
    return _fhir(svc.fhir_patients(b, identifier, _base(request)))


@router.get("/DocumentReference", responses={200: {"content": {FHIR_JSON: {}}}})
def document_references(
        request: Request, svc: Svc, b: Bearer,
        patient: Annotated[str, Query(min_length=1)],
        type_: Annotated[str | None, Query(alias="type")] = None,
        date: Annotated[list[str] | None, Query()] = None,
        count: Annotated[int | None, Query(alias="_count", ge=1)] = None) -> Response:
    """A patient's documents, by LOINC ``type`` and ``date`` ([eq|ge|le|gt|lt]YYYY[-MM[-DD]])."""
    return _fhir(svc.fhir_document_references(b, _base(request), patient=patient,
                                              type_=type_, dates=date or [], count=count))


@router.get("/Binary/{doc_id}", responses={200: {"content": {
    FHIR_JSON: {}, "application/pdf": {}, "image/tiff": {}}}})
def binary(doc_id: str, request: Request, svc: Svc, b: Bearer) -> Response:
    """An original's bytes (or a Binary resource, for ``Accept: application/fhir+json``)."""
    got = svc.fhir_binary(b, doc_id)
    accept = request.headers.get("accept", "")
    if "fhir+json" in accept or "application/json" in accept:
        from chartvault.release.fhir import binary as binary_resource

        return _fhir(binary_resource(got.doc_id, got.content_type, got.data))
    return Response(got.data, media_type=got.content_type)


ROUTERS = [router]
