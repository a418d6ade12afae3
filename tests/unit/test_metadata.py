"""Extraction on hand-written layouts (none taken from the evaluation set)."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.metadata import MetadataExtractor
from extractors.metadata.normalise import clean_mrn, npi_valid, parse_date, parse_person


@pytest.fixture(scope="module")
def ex() -> MetadataExtractor:
    return MetadataExtractor()


def test_inline_label_values(ex: MetadataExtractor) -> None:
    text = ("Riverbend Community Hospital\n12 Main St, Springfield, IL 62701\n"
            "Patient Name: O'NEIL, MARY K    DOB: 3/4/1951\n"
            "Sex: Female    Medical Record #: 00-123-456\n"
            "Date of Service: 2019-07-08    Attending: Paul Ng, MD\n"
            "She was seen for chest pain (R07.9). CPT 99214.\n"
            "Electronically signed by\nPaul Ng, MD\nDate: 07/09/2019\n")
    e = ex.extract(text)
    p = e.patient
    assert (p.family, p.given, p.sex, p.mrn) == ("O'Neil", "Mary", "F", "00123456")
    assert p.birth_date == date(1951, 3, 4)
    assert e.service_date == date(2019, 7, 8) and e.document_date == date(2019, 7, 9)
    assert e.author == "Paul Ng" and e.facility == "Riverbend Community Hospital"
    assert e.icd10_codes == ("R07.9",) and e.cpt_codes == ("99214",)
    assert e.identity_established() and not e.flags
    assert 0 < e.confidence["patient.mrn"] <= 1


def test_header_table_layout(ex: MetadataExtractor) -> None:
    text = ("Lakeside Clinic\n"
            "PATIENT  MRN  DATE OF BIRTH  SEX\n"
            "Smith, John  A12345  Jan 5, 1980  M\n"
            "VISIT DATE  PROVIDER  DATE SIGNED\n"
            "Feb 2, 2020  Ann Lee, DO  Feb 3, 2020\n")
    e = ex.extract(text)
    assert (e.patient.family, e.patient.given, e.patient.mrn) == ("Smith", "John", "A12345")
    assert e.patient.birth_date == date(1980, 1, 5) and e.patient.sex == "M"
    assert e.service_date == date(2020, 2, 2) and e.author == "Ann Lee"


def test_letter_layout_and_pronouns(ex: MetadataExtractor) -> None:
    text = ("Hill Orthopedic Associates\nMarch 3, 2021\nRE: Patient: Dana Whitfield   "
            "DOB: 12/01/1970\nDear Dr. Jones:\nI saw Ms. Whitfield today. She reports her "
            "knee is better and she is walking.\nSincerely,\nLeo Park, MD\n")
    e = ex.extract(text)
    assert (e.patient.given, e.patient.family) == ("Dana", "Whitfield")
    assert e.patient.sex == "F" and e.document_date == date(2021, 3, 3)
    assert e.author == "Leo Park"


def test_conflicting_mrn_is_flagged(ex: MetadataExtractor) -> None:
    text = "Patient: Doe, Jane\nMRN: 111111\nDOB: 01/01/1990\n\fPatient: Doe, Jane  MRN: 222222\n"
    e = ex.extract(text)
    assert "conflicting_mrn" in e.flags and e.confidence["patient.mrn"] < 0.6


def test_birth_after_service_is_flagged(ex: MetadataExtractor) -> None:
    e = ex.extract("Patient: Roe, Sam\nDOB: 05/05/2020\nDate of Service: 05/05/2010\n")
    assert "birth_after_service" in e.flags


def test_no_identity_without_name(ex: MetadataExtractor) -> None:
    e = ex.extract("Findings: lungs are clear.\nImpression: normal.\n")
    assert not e.identity_established()


@pytest.mark.parametrize(("raw", "want"), [
    ("O3/O4/2O19", date(2019, 3, 4)), ("2019-03-04", date(2019, 3, 4)),
    ("March 4th, 2019", date(2019, 3, 4)), ("04-Mar-2019", date(2019, 3, 4)),
    ("3/4/19", date(2019, 3, 4)), ("l2/3l/1999", date(1999, 12, 31)), ("no date", None),
])
def test_dates_with_ocr_noise(raw: str, want: date | None) -> None:
    assert parse_date(raw) == want


def test_names_mrns_npi() -> None:
    assert parse_person("DOE, JANE A") == ("Jane", "Doe")
    assert parse_person("Dr. John Q. Public, MD, FACP") == ("John", "Public")
    assert parse_person("Smith") == (None, None)
    assert clean_mrn("MR-00O12") == "MR00012" and clean_mrn("n/a") is None
    assert npi_valid("1234567893") and not npi_valid("1234567890")
