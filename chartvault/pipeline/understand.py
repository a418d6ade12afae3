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
from typing import Protocol

from chartvault.model import Classification, Extraction, PageText
from chartvault.pipeline.ocr_identity import mrn_read_weakly

# Validation flags that mean the identity on the page cannot be trusted as is. A printed
# age that contradicts the date of birth means one of them was misread ("192.2-07-08").
_IDENTITY_FLAGS = {"conflicting_mrn", "conflicting_name", "conflicting_birth_date",
                   "age_mismatch"}


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
) -> tuple[str, ...]:
    """Why a document must be looked at by a person (empty: file automatically).

    ``pages`` (OCR output with word confidences) lets a record number that OCR itself
    doubted send the document to review; without them only the text is judged.
    """
    reasons = []
    if classification.confidence < threshold:
        reasons.append("low_type_confidence")
    if not extraction.identity_established():
        reasons.append("identity_not_established")
    reasons.extend(sorted(_IDENTITY_FLAGS.intersection(extraction.flags)))
    if mrn_read_weakly(extraction.patient.mrn, pages):
        reasons.append("low_ocr_confidence_mrn")
    return tuple(reasons)


def understand(
    text: str,
    classifier: DocumentClassifier,
    extractor: MetadataExtractor,
    threshold: float,
    pages: Sequence[PageText] = (),
) -> Understanding:
    """Classify and extract one document's text (``pages``: its OCR words, if any)."""
    cls = classifier.classify(text)
    ex = extractor.extract(text)
    reasons = review_reasons(cls, ex, threshold, pages)
    return Understanding(cls, ex, bool(reasons), reasons)


@lru_cache(maxsize=2)
def default_models(classifier_model: Path | None = None
                   ) -> tuple[DocumentClassifier, MetadataExtractor]:
    """The classifier and extractor, loaded once per process.

    ``classifier_model``: a site's model written by ``chartvault train``; the shipped
    one (built by set-up) when None.
    """
    from classifiers.doctype import DocTypeClassifier
    from extractors.metadata import MetadataExtractor as ChartMetadata

    return DocTypeClassifier.load(classifier_model), ChartMetadata()
