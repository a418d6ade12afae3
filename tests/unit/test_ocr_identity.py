"""Review when OCR itself doubted the record number (made-up words, no OCR run)."""

from __future__ import annotations

from chartvault.model import Classification, PageText, Word
from chartvault.pipeline.ocr_identity import mrn_read_weakly
from chartvault.pipeline.understand import review_reasons
from extractors.metadata import MetadataExtractor


def _page(*words: tuple[str, float]) -> PageText:
    return PageText(index=0, method="ocr", text=" ".join(t for t, _ in words), words=tuple(
        Word(text=t, left=0, top=0, width=10, height=10, conf=c, line=0) for t, c in words))


def test_weakly_read_mrn_is_doubted() -> None:
    assert mrn_read_weakly("9631697", [_page(("MRN", 95.0), ("9631697", 0.0))])
    assert not mrn_read_weakly("9631697", [_page(("9631697", 96.0))])


def test_best_occurrence_counts_and_pieces_match() -> None:
    pages = [_page(("9631697", 10.0)), _page(("MRN:", 90.0), ("9631697", 93.0))]
    assert not mrn_read_weakly("9631697", pages)
    assert mrn_read_weakly("123456789", [_page(("123", 99.0), ("4567", 20.0), ("89", 99.0))])
    assert not mrn_read_weakly("MR0123", [_page(("MRO123", 91.0))])  # O read for 0


def test_no_words_no_doubt() -> None:
    assert not mrn_read_weakly("9631697", [])
    assert not mrn_read_weakly("9631697", [_page(("Other", 10.0))])
    assert not mrn_read_weakly(None, [_page(("9631697", 0.0))])


def test_review_reason_from_ocr_confidence() -> None:
    e = MetadataExtractor().extract("Patient: Doe, Jane\nMRN: 9631697\nDOB: 01/02/1960\n")
    cls = Classification(doc_type="progress_note", loinc=None, confidence=0.99)
    assert review_reasons(cls, e, 0.5) == ()
    assert review_reasons(cls, e, 0.5, [_page(("9631697", 0.0))]) == ("low_ocr_confidence_mrn",)
