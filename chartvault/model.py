"""Domain model shared by every stage.

These are plain pydantic models so that they cross process boundaries (pickling), go
into manifests as JSON, and validate on the way back in (``catalog rebuild``). A model
that goes into storage is versioned by ``schema_version``: add fields, never repurpose.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Sex = Literal["F", "M", "U"]
PageMethod = Literal["text_layer", "ocr"]
SourceFormat = Literal["pdf_scan", "pdf_text", "pdf_mixed", "tiff", "png", "jpeg"]


def sha256_hex(data: bytes) -> str:
    """SHA-256 of bytes as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def doc_id_for(sha256: str) -> str:
    """Stable document id derived from the original's SHA-256.

    The same bytes always give the same id, so a second ingest of a file is a no-op
    (dedupe for free) and a crashed run can be finished by re-running it. 24 hex chars
    (96 bits) keep keys short while collisions stay out of reach for any archive size.
    """
    return sha256[:24]


class Frozen(BaseModel):
    """Immutable value object; unknown keys are rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- OCR ------------------------------------------------------------------------------


class Word(Frozen):
    """One recognised word with its box in page pixels (for the searchable PDF)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    line: int  # running line number within the page, reading order


class PageText(Frozen):
    """What one page yielded: its text and (for OCR) the word boxes of the same pass."""

    index: int  # 0-based page number within the document
    method: PageMethod
    text: str
    words: tuple[Word, ...] = ()
    width: int = 0  # pixels of the image that was OCRed (0 for text layers)
    height: int = 0
    dpi: int = 0
    mean_conf: float | None = None  # Tesseract's mean word confidence, 0..100
    rotation: int = 0  # degrees the page was turned before OCR (0/90/180/270)
    skew: float = 0.0  # degrees of deskew applied


# --- Understanding --------------------------------------------------------------------


class Patient(Frozen):
    """Patient identity as printed on the document; MRN is scoped by facility."""

    family: str | None = None
    given: str | None = None
    birth_date: date | None = None
    sex: Sex | None = None
    mrn: str | None = None


class Extraction(Frozen):
    """Metadata read from a document's text.

    ``confidence`` maps field names (``patient.family``, ``mrn``, ``service_date`` ...)
    to calibrated probabilities; ``flags`` are stable validation codes such as
    ``birth_after_service`` or ``conflicting_mrn``.
    """

    patient: Patient = Patient()
    service_date: date | None = None
    document_date: date | None = None
    admission_date: date | None = None
    discharge_date: date | None = None
    author: str | None = None  # "Given Family", no titles or credentials
    author_npi: str | None = None
    facility: str | None = None
    icd10_codes: tuple[str, ...] = ()
    cpt_codes: tuple[str, ...] = ()
    confidence: dict[str, float] = Field(default_factory=dict)
    flags: tuple[str, ...] = ()

    def identity_established(self) -> bool:
        """Name plus MRN or name plus date of birth: enough to file under a patient."""
        p = self.patient
        has_name = bool(p.family) and bool(p.given)
        return has_name and (bool(p.mrn) or p.birth_date is not None)


class Classification(Frozen):
    """Document type with its confidence and the best three candidates."""

    doc_type: str
    loinc: str | None
    confidence: float
    candidates: tuple[tuple[str, float], ...] = ()
    model: str = ""  # name@version of the classifier that decided


# --- Intake and archive ---------------------------------------------------------------


class Routing(Frozen):
    """Settings of the intake folder a file came from, stamped on every document."""

    intake: str  # intake folder name (configured label, not a path)
    facility: str
    jurisdiction: str  # e.g. US-CA
    doc_type_hint: str | None = None
    station: str | None = None


class Provenance(Frozen):
    """How and when a document was captured."""

    intake: str
    batch_id: str
    captured_at: datetime  # when the file was claimed from intake
    file_mtime: datetime | None = None
    station: str | None = None
    operator: str | None = None
    source_format: SourceFormat
    page_count: int
    dpi: tuple[int, ...] = ()  # per page, 0 where unknown or text layer
    size_bytes: int


class Retention(Frozen):
    """Retention decision stamped at ingest (see retention_policies)."""

    policy_id: str
    policy_version: str
    rule_id: str
    retention_class: str
    retain_until: date | None  # None: kept until reviewed
    action: Literal["destroy", "purge", "review"]


class Manifest(BaseModel):
    """The immutable JSON written beside the original at ingest.

    Never rewritten: later changes are event objects beside it. Everything
    ``catalog rebuild`` needs is here or in those events.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    doc_id: str
    sha256: str
    routing: Routing
    provenance: Provenance
    classification: Classification
    extraction: Extraction
    needs_review: bool
    review_reasons: tuple[str, ...] = ()
    retention: Retention | None = None
    objects: dict[str, ObjectRef]  # role ("original", "text", "ocr") -> stored object
    pages: int
    models: dict[str, str]  # stage -> name@version
    ingested_at: datetime
    ingested_by: str


class ObjectRef(Frozen):
    """A stored object: where it is and what its bytes hash to."""

    key: str
    sha256: str
    size: int
    content_type: str
    version_id: str | None = None


Manifest.model_rebuild()
