"""Review when OCR itself doubted the record number (made-up words, no OCR run)."""

from __future__ import annotations

from chartvault.model import Classification, PageText, Word
from chartvault.pipeline.ocr_identity import (
    mrn_read_two_ways,
    mrn_read_weakly,
    name_read_two_ways,
)
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


def test_a_record_number_read_two_ways_is_doubted() -> None:
    text = "PATIENT  MRN  DOB\nLAMBERT, KYLE  19437711  08/18/1953\n\fLambert, Kyle  T9437711\n"
    assert mrn_read_two_ways("19437711", text)  # a letter read as a digit
    assert mrn_read_two_ways("9437711", "MRN 9437711 ... T9437711")  # its first letter lost
    assert mrn_read_two_ways("5197984", "Unit No. 5197984 ... 5197934")  # one digit apart
    assert not mrn_read_two_ways("19437711", "MRN 19437711 ... MRN 19437711")
    assert not mrn_read_two_ways("19437711", "FIN 19437722, visit 2024-05-06")  # two apart
    assert not mrn_read_two_ways("19437711", "dose 1943 mg")  # too short to be the number
    assert not mrn_read_two_ways("C8769440", "*8769440*")  # a character lost: the same print
    assert not mrn_read_two_ways(None, "T9437711")


def test_review_reason_from_a_second_reading() -> None:
    text = ("Patient: Doe, Jane\nMRN: 9631697\nDOB: 01/02/1960\nHISTORY: Knee pain.\n"
            "\fContinued  Doe, Jane  9631607  Page 2\nPLAN: Rest.\n")
    e = MetadataExtractor().extract(text)
    cls = Classification(doc_type="progress_note", loinc=None, confidence=0.99)
    assert e.patient.mrn == "9631697"
    assert "mrn_read_two_ways" in review_reasons(cls, e, 0.5, text=text)


def test_a_family_name_read_two_ways_is_doubted() -> None:
    text = "Resident  HRN\nClinicaiSummary, Three  26840\n\fClinicalSummary, Three\n"
    assert name_read_two_ways("ClinicaiSummary", text)  # l read as i
    assert not name_read_two_ways("Davis", "Davis, David  4417209")  # s/d: no OCR look-alike
    assert not name_read_two_ways("Hartwell", "HARTWELL, EDITH  hartwell")  # case alone
    assert not name_read_two_ways("Lee", "Lei")  # too short to judge
    assert not name_read_two_ways(None, "Smith")
