"""Search and retrieval for auditors and records staff; every access is audited.

The audit event of a search names the criteria used (``mrn``, ``text``...) and the ids
returned, never the values searched for: a search for a patient's name is itself
patient data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from chartvault.catalog import Catalog, SearchCriteria, SearchHit
from chartvault.errors import ChartvaultError, IntegrityError, UserError
from storage.base import ObjectStore


class NotFound(ChartvaultError):
    """No such document in the catalog."""

    code = "not_found"


class Purpose(StrEnum):
    """Why a person opens or copies a chart (HIPAA's purposes of use), kept in the audit."""

    TREATMENT = "treatment"
    PAYMENT = "payment"
    OPERATIONS = "operations"
    LEGAL = "legal"
    AUDIT = "audit"
    PATIENT_REQUEST = "patient_request"


def purpose_of(value: str | None) -> Purpose | None:
    """A stated purpose, or None; an unknown one is a user error naming the choices."""
    if value is None or value == "":
        return None
    try:
        return Purpose(value)
    except ValueError:
        raise UserError(f"unknown purpose {value!r}; one of: "
                        + ", ".join(p.value for p in Purpose)) from None


def search(catalog: Catalog, criteria: SearchCriteria, actor: str) -> list[SearchHit]:
    """Run a search and record it."""
    hits = catalog.search(criteria)
    catalog.audit(
        actor,
        "search",
        [h.row["doc_id"] for h in hits],
        outcome="ok",
        detail={"criteria": criteria.fields_used(), "hits": len(hits)},
    )
    return hits


@dataclass(frozen=True)
class Retrieved:
    """A retrieved original and the hash it was verified against."""

    doc_id: str
    path: Path
    sha256: str
    size: int


def retrieve(
    catalog: Catalog, store: ObjectStore, doc_id: str, out: Path, actor: str,
    purpose: Purpose | None = None,
) -> Retrieved:
    """Copy a document's original to ``out``, verified against the catalogued SHA-256."""
    row = catalog.get(doc_id)
    if row is None or row["status"] == "destroyed":
        catalog.audit(actor, "retrieve", [doc_id], outcome="not_found")
        raise NotFound(f"document {doc_id} is not in the archive")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    got = store.download(row["original_key"], tmp)
    if got != row["sha256"]:
        tmp.unlink(missing_ok=True)
        catalog.audit(actor, "retrieve", [doc_id], outcome="integrity_error")
        raise IntegrityError(f"document {doc_id}: stored original does not match its SHA-256")
    tmp.replace(out)
    catalog.audit(actor, "retrieve", [doc_id], outcome="ok",
                  detail={"sha256": got, "purpose": purpose.value if purpose else None})
    return Retrieved(doc_id, out, got, out.stat().st_size)


@dataclass(frozen=True)
class Original:
    """An original's bytes, verified against the catalogued SHA-256."""

    doc_id: str
    data: bytes
    sha256: str
    content_type: str
    suffix: str


def original_bytes(catalog: Catalog, store: ObjectStore, doc_id: str, actor: str,
                   purpose: Purpose | None) -> Original:
    """A document's original in memory (for the web and API download), verified, audited."""
    import hashlib

    row = catalog.get(doc_id)
    if row is None or row["status"] == "destroyed":
        catalog.audit(actor, "retrieve", [doc_id], outcome="not_found")
        raise NotFound(f"document {doc_id} is not in the archive")
    data = store.get(row["original_key"])
    got = hashlib.sha256(data).hexdigest()
    if got != row["sha256"]:
        catalog.audit(actor, "retrieve", [doc_id], outcome="integrity_error")
        raise IntegrityError(f"document {doc_id}: stored original does not match its SHA-256")
    catalog.audit(actor, "retrieve", [doc_id], outcome="ok",
                  detail={"sha256": got, "purpose": purpose.value if purpose else None,
                          "via": "download"})
    from chartvault.pipeline.archive import stored_type

    suffix, content_type = stored_type(str(row["source_format"]))
    return Original(doc_id, data, got, content_type, suffix.lstrip("."))

