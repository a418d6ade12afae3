"""FHIR R4 resources of the archive: Patient, DocumentReference, Bundle, Binary.

Built as plain dicts and validated with ``fhir.resources``: its R4B models (4.3.0, the
R4 technical correction; ``fhir.resources`` no longer ships 4.0.1 models for pydantic 2),
whose Patient, DocumentReference, Attachment, Binary and Bundle are R4's. The Patient id
is an opaque hash of (facility, MRN), so no MRN appears in a URL; ``date`` searches and
``context.period`` carry the date a record is of (care, else writing), ``date`` itself
is when chartvault indexed it, as R4 defines it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.binary import Binary
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.patient import Patient

from chartvault.pipeline.archive import stored_type
from chartvault.release.scope import served
from chartvault.taxonomy import DOC_TYPES, loinc_for

LOINC = "http://loinc.org"
DOC_TYPE_SYSTEM = "urn:chartvault:doc-type"
NPI = "http://hl7.org/fhir/sid/us-npi"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
GENDER = {"F": "female", "M": "male", "U": "unknown"}
_NS = uuid.UUID("6f1c9f0e-8a0b-4d8e-9a57-1c3f2b5d7e90")


def slug(facility: str) -> str:
    """A facility as a URN segment: lower case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", facility.lower()).strip("-") or "facility"


def mrn_system(facility: str) -> str:
    """Identifier system of a facility's MRNs (an MRN is scoped by its facility)."""
    return f"urn:chartvault:mrn:{slug(facility)}"


def patient_id(facility: str, mrn: str) -> str:
    """Opaque, stable FHIR id of (facility, MRN): no MRN in URLs or logs."""
    return hashlib.sha256(f"chartvault-patient\x1f{facility}\x1f{mrn}".encode()).hexdigest()[:32]


def fhir_hash(sha1_hex: str) -> str:
    """Attachment.hash as FHIR defines it: the base64 of the SHA-1 digest's bytes."""
    return base64.b64encode(bytes.fromhex(sha1_hex)).decode()


def _instant(when: datetime) -> str:
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def patient(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Patient of a document row (or a row of the same identity fields)."""
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id(row["facility"], row["mrn"]),
        "identifier": [{"use": "usual", "type": {"coding": [
            {"system": V2_0203, "code": "MR", "display": "Medical record number"}]},
            "system": mrn_system(row["facility"]), "value": row["mrn"]}],
        "managingOrganization": {"display": row["facility"]},
    }
    if row["patient_family"] or row["patient_given"]:
        name: dict[str, Any] = {"use": "official"}
        if row["patient_family"]:
            name["family"] = row["patient_family"]
        if row["patient_given"]:
            name["given"] = [row["patient_given"]]
        res["name"] = [name]
    if row["birth_date"]:
        res["birthDate"] = row["birth_date"].isoformat()
    if row["sex"] in GENDER:
        res["gender"] = GENDER[row["sex"]]
    return res


def doc_type_concept(doc_type: str, loinc: str | None) -> dict[str, Any]:
    """DocumentReference.type: LOINC where the type has a code, chartvault's key always."""
    label = DOC_TYPES.get(doc_type, (None, doc_type))[1]
    codings = []
    code = loinc or (loinc_for(doc_type) if doc_type in DOC_TYPES else None)
    if code:
        codings.append({"system": LOINC, "code": code, "display": label})
    codings.append({"system": DOC_TYPE_SYSTEM, "code": doc_type, "display": label})
    return {"coding": codings, "text": label}


@dataclass(frozen=True)
class Content:
    """One attachment of a DocumentReference: a file in a package or a Binary."""

    url: str
    content_type: str
    size: int
    sha1_hex: str
    title: str


def original_content(row: Mapping[Any, Any], sha1_hex: str, url: str) -> Content:
    """The original as an attachment (its type from the stored bytes' format)."""
    return Content(url, stored_type(row["source_format"])[1], int(row["size_bytes"]),
                   sha1_hex, "original")


def document_reference(row: Mapping[Any, Any], subject: str,
                       contents: Sequence[Content]) -> dict[str, Any]:
    """DocumentReference of a document row; ``subject`` is the Patient reference."""
    res: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": row["doc_id"],
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:sha256:{row['sha256']}"}],
        "status": "current" if row["status"] == "archived" else "entered-in-error",
        "docStatus": "final",
        "type": doc_type_concept(row["doc_type"], row["loinc"]),
        "subject": {"reference": subject},
        "date": _instant(row["ingested_at"]),
        "custodian": {"display": row["facility"]},
        "content": [{"attachment": {
            "contentType": c.content_type, "size": c.size, "hash": fhir_hash(c.sha1_hex),
            "url": c.url, "title": c.title}} for c in contents],
    }
    if row["author"]:
        author: dict[str, Any] = {"display": row["author"]}
        if row["author_npi"]:
            author["identifier"] = {"system": NPI, "value": row["author_npi"]}
        res["author"] = [author]
    when = served(row)
    start = row["admission_date"] or when
    end = row["discharge_date"] or when
    if start or end:
        period = {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v}
        res["context"] = {"period": period}
    return res


def validate(resource: Mapping[Any, Any]) -> dict[str, Any]:
    """The resource checked by ``fhir.resources`` (raises on any invalid element)."""
    models: dict[str, Any] = {"Patient": Patient, "DocumentReference": DocumentReference,
                              "Bundle": Bundle, "Binary": Binary}
    models[str(resource["resourceType"])].model_validate(dict(resource))
    return dict(resource)


def _urn(kind: str, ident: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{kind}/{ident}')}"


def package_bundle(patient_row: Mapping[Any, Any],
                   docs: Sequence[Mapping[Any, Any]],
                   contents: Mapping[str, Sequence[Content]], stamp: datetime,
                   request_id: str) -> dict[str, Any]:
    """A self-contained collection Bundle: the Patient, one DocumentReference per document.

    Attachments point to the package's files by relative URL (relative to the bundle).
    """
    pat = patient(patient_row)
    subject = _urn("Patient", pat["id"])
    entries = [{"fullUrl": subject, "resource": pat}]
    for row in docs:
        ref = document_reference(row, subject, contents[row["doc_id"]])
        entries.append({"fullUrl": _urn("DocumentReference", row["doc_id"]), "resource": ref})
    # validating the Bundle validates every entry as its own resource type
    bundle = {"resourceType": "Bundle", "id": request_id, "type": "collection",
              "identifier": {"system": "urn:chartvault:release", "value": request_id},
              "timestamp": _instant(stamp), "entry": entries}
    return validate(bundle)


def searchset(base: str, resources: Sequence[Mapping[Any, Any]], self_url: str,
              total: int | None = None) -> dict[str, Any]:
    """A searchset Bundle, validated with every resource in it (each as its type)."""
    return validate({
        "resourceType": "Bundle", "type": "searchset",
        "total": len(resources) if total is None else total,
        "link": [{"relation": "self", "url": self_url}],
        "entry": [{"fullUrl": f"{base.rstrip('/')}/{r['resourceType']}/{r['id']}",
                   "resource": dict(r), "search": {"mode": "match"}} for r in resources]})


def binary(doc_id: str, content_type: str, data: bytes) -> dict[str, Any]:
    """A Binary resource with the bytes inline (base64)."""
    return validate({"resourceType": "Binary", "id": doc_id, "contentType": content_type,
                     "data": base64.b64encode(data).decode()})


_DATE = re.compile(r"^(eq|ge|le|gt|lt)?(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def date_bounds(param: str) -> list[tuple[str, date]]:
    """A FHIR ``date`` search value (prefix + YYYY[-MM[-DD]]) as (op, date) bounds."""
    m = _DATE.match(param.strip())
    if not m:
        raise ValueError("date: expected [eq|ge|le|gt|lt]YYYY[-MM[-DD]]")
    op = m.group(1) or "eq"
    y, mo, d = int(m.group(2)), m.group(3), m.group(4)
    lo = date(y, int(mo or 1), int(d or 1))
    if d:
        hi = lo
    elif mo:
        nxt = date(y + (lo.month == 12), lo.month % 12 + 1, 1)
        hi = date.fromordinal(nxt.toordinal() - 1)
    else:
        hi = date(y, 12, 31)
    return {"eq": [("ge", lo), ("le", hi)], "ge": [("ge", lo)], "gt": [("gt", hi)],
            "le": [("le", hi)], "lt": [("lt", lo)]}[op]


def token(param: str) -> tuple[str | None, str]:
    """A FHIR token search value: ``system|code`` or ``code``."""
    if "|" in param:
        system, _, code = param.partition("|")
        return (system or None), code
    return None, param


def capability_statement() -> dict[str, Any]:
    """The server's CapabilityStatement: read-only Patient, DocumentReference, Binary."""
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    def res(kind: str, params: Sequence[tuple[str, str]], read: bool) -> dict[str, Any]:
        interactions = [{"code": "search-type"}] if params else []
        if read:
            interactions.append({"code": "read"})
        return {"type": kind, "interaction": interactions,
                "searchParam": [{"name": n, "type": t} for n, t in params]}

    doc = {"resourceType": "CapabilityStatement", "status": "active",
           "date": datetime.now(UTC).date().isoformat(), "kind": "instance",
           "fhirVersion": "4.0.1", "format": ["json"],
           "implementation": {"description": "chartvault FHIR read API"},
           "rest": [{"mode": "server", "resource": [
               res("Patient", [("identifier", "token")], False),
               res("DocumentReference", [("patient", "reference"), ("type", "token"),
                                         ("date", "date")], False),
               res("Binary", [], True)]}]}
    CapabilityStatement.model_validate(doc)
    return doc
