"""From text to a record: document type, metadata and the review decision.

``analyze`` and ingest share this, so what a user previews is what gets filed. A document
is filed automatically only when its type is confident and its patient identity is
established (name + MRN or name + date of birth) without conflicts; otherwise it is still
archived, flagged ``needs_review`` with the reasons, and never filed under a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chartvault.model import Classification, Extraction, PageText, Patient
from chartvault.pipeline.ocr_identity import mrn_read_two_ways, mrn_read_weakly, name_read_two_ways

if TYPE_CHECKING:
    from extractors.registry import Link, Registry

# Validation flags that mean the identity on the page cannot be trusted as is. A printed
# age that contradicts the date of birth means one of them was misread ("192.2-07-08"); a
# given name one slip from a common one ("Addm") was more likely misread than rare.
_IDENTITY_FLAGS = {"conflicting_mrn", "conflicting_name", "conflicting_birth_date",
                   "age_mismatch", "doubtful_name"}


class DocumentClassifier(Protocol):
    """Seam: text -> document type."""

    name: str
    version: str

    def classify(self, text: str) -> Classification:
        """Type of one document."""
        ...


class MetadataExtractor(Protocol):
    """Seam: text -> metadata."""

    name: str
    version: str

    def extract(self, text: str) -> Extraction:
        """Fields of one document."""
        ...


@dataclass(frozen=True)
class Understanding:
    """Everything decided about one document's content."""

    classification: Classification
    extraction: Extraction
    needs_review: bool
    review_reasons: tuple[str, ...]


def review_reasons(
    classification: Classification,
    extraction: Extraction,
    threshold: float,
    pages: Sequence[PageText] = (),
    text: str = "",
) -> tuple[str, ...]:
    """Why a document must be looked at by a person (empty: file automatically).

    ``pages`` (OCR output with word confidences) lets a record number that OCR itself
    doubted send the document to review; ``text``, one printed two ways. Without them
    only the extraction is judged.
    """
    reasons = []
    if classification.confidence < threshold:
        reasons.append("low_type_confidence")
    if not extraction.identity_established():
        reasons.append("identity_not_established")
    reasons.extend(sorted(_IDENTITY_FLAGS.intersection(extraction.flags)))
    if mrn_read_weakly(extraction.patient.mrn, pages):
        reasons.append("low_ocr_confidence_mrn")
    if mrn_read_two_ways(extraction.patient.mrn, text):
        reasons.append("mrn_read_two_ways")
    if name_read_two_ways(extraction.patient.family, text):
        reasons.append("name_read_two_ways")
    return tuple(reasons)


def understand(
    text: str,
    classifier: DocumentClassifier,
    extractor: MetadataExtractor,
    threshold: float,
    pages: Sequence[PageText] = (),
    registry: Registry | None = None,
) -> Understanding:
    """Classify and extract one document's text (``pages``: its OCR words, if any).

    ``registry``: the master patient index to link the document to, when there is one.
    """
    cls = classifier.classify(text)
    ex = extractor.extract(text)
    reasons = review_reasons(cls, ex, threshold, pages, text)
    if registry is not None:
        from extractors.registry import link

        ex, reasons = apply_link(link(text, ex, registry), ex, reasons)
    return Understanding(cls, ex, bool(reasons), reasons)


# Reasons a registry link settles: the identity is then the registered patient's, whose
# MRN was printed and whose names and birth date the text confirms (so a printed age that
# contradicted a misread birth date is answered by the registered one).
_SETTLED_BY_LINK = {"identity_not_established", "low_ocr_confidence_mrn", "conflicting_mrn",
                    "mrn_read_two_ways", "name_read_two_ways",
                    "conflicting_name", "conflicting_birth_date", "doubtful_name",
                    "age_mismatch"}
_LINK_CONFIDENCE = 0.99
_PATIENT_FIELDS = ("patient.family", "patient.given", "patient.birth_date", "patient.sex",
                   "patient.mrn")


def apply_link(found: Link, ex: Extraction, reasons: tuple[str, ...]
               ) -> tuple[Extraction, tuple[str, ...]]:
    """Extraction and review reasons once the registry has answered.

    A link fills and corrects the patient fields from the record and raises their
    confidence; a conflict between the document and the record goes to review; no
    match leaves plain extraction as it was.
    """
    if found.status == "ambiguous":
        return ex, (*reasons, "registry_ambiguous")
    if found.status == "conflict":
        return ex, (*reasons, "registry_conflict")
    rec = found.record
    if found.status != "linked" or rec is None:
        return ex, reasons
    patient = Patient(
        family=rec.family or ex.patient.family,
        given=rec.given[0] if rec.given else ex.patient.given,
        birth_date=rec.birth_date or ex.patient.birth_date,
        sex=rec.sex if rec.sex in ("F", "M") else ex.patient.sex,
        mrn=rec.mrn or ex.patient.mrn,
    )
    confidence = dict(ex.confidence)
    for key in _PATIENT_FIELDS:
        confidence[key] = max(confidence.get(key, 0.0), _LINK_CONFIDENCE)
    flags = tuple(f for f in ex.flags if f not in _SETTLED_BY_LINK)
    # The printed MRN's issuer is the facility unless the page names another organisation
    # of the registry (then that conflict goes to review and the page's reading stays).
    other_org = found.evidence is not None and found.evidence.facility < 0
    facility = ex.facility if other_org else rec.organization or ex.facility
    linked = ex.model_copy(update={"patient": patient, "confidence": confidence,
                                   "flags": (*flags, "registry_linked",
                                             *(("registry_mrn_corrected",)
                                               if found.corrected_identifier else ())),
                                   "facility": facility})
    kept = tuple(r for r in reasons if r not in _SETTLED_BY_LINK)
    kept += tuple(f"registry_conflict_{c}" for c in found.conflicts)
    return linked, kept


@lru_cache(maxsize=2)
def default_models(classifier_model: Path | None = None
                   ) -> tuple[DocumentClassifier, MetadataExtractor]:
    """The classifier and extractor, loaded once per process.

    ``classifier_model``: a site's model written by ``chartvault train``; the shipped
    one (built by set-up) when None.
    """
    from classifiers.doctype import DocTypeClassifier
    from extractors.metadata import MetadataExtractor as ChartMetadata

    models = (DocTypeClassifier.load(classifier_model), ChartMetadata())
    _SIZES_AT_LOAD.clear()
    _SIZES_AT_LOAD[id(models)] = _string_counts(models)
    return models


# spaCy keeps every distinct token string it has seen (names, MRNs, OCR debris) for the
# life of a pipeline: ~130 new strings a chart, ~480 bytes each. A long run renews the
# models between batches once they have grown by this many strings (~25 MB, ~0.3 s).
MODEL_STRINGS_LIMIT = 50_000
_SIZES_AT_LOAD: dict[int, list[int]] = {}


def _string_counts(models: tuple[object, ...]) -> list[int]:
    """Entries in each spaCy model's string store (0 for a model without spaCy)."""
    return [len(nlp.vocab.strings) if (nlp := getattr(m, "nlp", None)) is not None else 0
            for m in models]


def renew_models(classifier_model: Path | None = None,
                 limit: int = MODEL_STRINGS_LIMIT) -> bool:
    """Reload the models once their strings grew by more than ``limit`` since loading.

    Returns whether that happened. Call it between batches, never inside one (a batch
    keeps the models it started with).
    """
    models = default_models(classifier_model)
    start = _SIZES_AT_LOAD.setdefault(id(models), _string_counts(models))
    grown = max((now - then for now, then in zip(_string_counts(models), start, strict=True)),
                default=0)
    if grown <= limit:
        return False
    default_models.cache_clear()
    default_models(classifier_model)
    return True


def default_registry(path: Path | None) -> Registry | None:
    """The patient registry named in settings (None: no registry).

    Read once per process and again when the file changes (a new export), so the intake
    watcher links against the current index without a restart.
    """
    if path is None:
        return None
    stat = path.stat()
    return _registry(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _registry(path: Path, mtime_ns: int, size: int) -> Registry:
    from extractors.registry import load

    return load(path)
