"""Extraction on hand-written layouts (none taken from the evaluation set)."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.metadata import MetadataExtractor
from extractors.metadata.calibration import confidence_for
from extractors.metadata.normalise import (
    clean_mrn,
    cpt_valid,
    icd10_valid,
    npi_valid,
    parse_date,
    parse_person,
    sex_from,
)


@pytest.fixture(scope="module")
def ex() -> MetadataExtractor:
    return MetadataExtractor()


def test_inline_label_values(ex: MetadataExtractor) -> None:
    text = ("Riverbend Community Hospital\n12 Main St, Springfield, IL 62701\n"
            "Patient Name: O'NEIL, MARY K    DOB: 3/4/1951\n"
            "Sex: Female    Medical Record #: 00-123-456    Acct #: 99887766\n"
            "Date of Service: 2019-07-08    Attending: Paul Ng, MD\n"
            "She was seen for chest pain (R07.9). CPT 99214.\n"
            "Electronically signed by\nPaul Ng, MD\nNPI: 1234567893\nDate: 07/09/2019\n")
    e = ex.extract(text)
    p = e.patient
    assert (p.family, p.given, p.sex, p.mrn) == ("O'Neil", "Mary", "F", "00123456")
    assert p.birth_date == date(1951, 3, 4)
    assert e.service_date == date(2019, 7, 8) and e.document_date == date(2019, 7, 9)
    assert e.author == "Paul Ng" and e.author_npi == "1234567893"
    assert e.facility == "Riverbend Community Hospital"
    assert e.icd10_codes == ("R07.9",) and e.cpt_codes == ("99214",)
    assert e.identity_established() and not e.flags
    assert 0 < e.confidence["patient.mrn"] < 1


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
    assert e.document_date == date(2020, 2, 3)


def test_slash_header_table(ex: MetadataExtractor) -> None:
    e = ex.extract("Name / DOB / MRN\nKowalski, Anna / 07/30/1962 / 5550123\n")
    p = e.patient
    assert (p.family, p.given, p.birth_date, p.mrn) == ("Kowalski", "Anna", date(1962, 7, 30),
                                                        "5550123")


def test_values_below_labels(ex: MetadataExtractor) -> None:
    text = ("NORTHGATE FAMILY HEALTH CENTER\nPatient Name:\nBECKER, TOMAS\n"
            "Date of Birth:\n11/02/1974\nMRN:\n0044521\n")
    p = ex.extract(text).patient
    assert (p.family, p.given, p.birth_date, p.mrn) == ("Becker", "Tomas", date(1974, 11, 2),
                                                        "0044521")


def test_last_first_name_labels(ex: MetadataExtractor) -> None:
    text = "Last Name: Okafor    First Name: Chidi    Middle: A\nGender: M\nMRN: 7788123\n"
    p = ex.extract(text).patient
    assert (p.family, p.given, p.sex, p.mrn) == ("Okafor", "Chidi", "M", "7788123")


def test_letter_layout_and_pronouns(ex: MetadataExtractor) -> None:
    text = ("Hill Orthopedic Associates\n40 Elm Road, Dover, DE 19901\nMarch 3, 2021\n"
            "RE: Dana Whitfield   DOB: 12/01/1970\nDear Dr. Jones:\nI saw Ms. Whitfield today."
            " She reports her knee is better and she is walking.\nSincerely,\nLeo Park, MD\n")
    e = ex.extract(text)
    assert (e.patient.given, e.patient.family) == ("Dana", "Whitfield")
    assert e.patient.sex == "F" and e.document_date == date(2021, 3, 3)
    assert e.service_date == date(2021, 3, 3)  # "saw ... today" in a dated letter
    assert e.author == "Leo Park" and e.facility == "Hill Orthopedic Associates"
    # sex came from pronouns: its confidence is that evidence kind's calibrated precision
    assert e.confidence["patient.sex"] == round(confidence_for("patient.sex", "pronoun",
                                                               "single"), 3)


def test_sex_from_age_phrase(ex: MetadataExtractor) -> None:
    e = ex.extract("Patient: Ruiz, Alex\nHPI: This is a 45-year-old man with cough.\n")
    assert e.patient.sex == "M"


def test_signature_same_line_and_addressee_is_not_author(ex: MetadataExtractor) -> None:
    text = ("Patient: Lund, Greta\nAnne Moss, MD\nCity, State\nDear Dr. Moss:\nThanks.\n"
            "Electronically signed by: Omar Haddad, DO on 05/06/2018 14:02\n")
    e = ex.extract(text)
    assert e.author == "Omar Haddad"


def test_referring_physician_and_account_are_ignored(ex: MetadataExtractor) -> None:
    text = ("Patient: Park, Min\nReferring Physician: Carl Bode, MD\nAccount #: 12345678\n"
            "SSN: 123-45-6789\n")
    e = ex.extract(text)
    assert e.author is None and e.patient.mrn is None


def test_ssn_is_never_the_mrn() -> None:
    assert clean_mrn("123-45-6789") is None


def test_conflicting_mrn_is_flagged(ex: MetadataExtractor) -> None:
    text = "Patient: Doe, Jane\nMRN: 111111\nDOB: 01/01/1990\n\fPatient: Doe, Jane  MRN: 222222\n"
    e = ex.extract(text)
    assert "conflicting_mrn" in e.flags and e.confidence["patient.mrn"] < 0.6


def test_conflicting_name_is_flagged(ex: MetadataExtractor) -> None:
    e = ex.extract("Patient: Doe, Jane\nMRN: 111111\n\fPatient Name: Roe, Jane\n")
    assert "conflicting_name" in e.flags and e.confidence["patient.family"] < 0.6


def test_birth_after_service_and_future_dates(ex: MetadataExtractor) -> None:
    e = ex.extract("Patient: Roe, Sam\nDOB: 05/05/2020\nDate of Service: 05/05/2010\n"
                   "Report Date: 01/01/2099\n")
    assert "birth_after_service" in e.flags and "future_date" in e.flags
    assert e.confidence["patient.birth_date"] <= 0.3


def test_age_mismatch(ex: MetadataExtractor) -> None:
    e = ex.extract("Patient: Roe, Sam\nDOB: 05/05/1950\nDate of Service: 05/05/2010\n"
                   "Sam is a 23-year-old man.\n")
    assert "age_mismatch" in e.flags and e.patient.birth_date == date(1950, 5, 5)


def test_invalid_npi_is_flagged(ex: MetadataExtractor) -> None:
    e = ex.extract("Patient: Roe, Sam\nSigned by: Ann Lee, MD  NPI: 1234567890\n")
    assert "invalid_npi" in e.flags and e.author_npi is None


def test_ocr_noise_in_identifiers(ex: MetadataExtractor) -> None:
    text = ("Patient Name : HALL , PETER\nD0B: O4/l2/l96S\nMRN: 00S7l23\nSex: MaIe\n"
            "Date ot Service: 1O/O3/2O18\n")
    e = ex.extract(text)
    p = e.patient
    assert (p.family, p.given) == ("Hall", "Peter")
    assert p.birth_date == date(1965, 4, 12) and p.mrn == "0057123" and p.sex == "M"


def test_no_identity_without_name(ex: MetadataExtractor) -> None:
    e = ex.extract("Findings: lungs are clear.\nImpression: normal.\n")
    assert not e.identity_established() and e.patient == e.patient.__class__()


def test_extract_many_matches_extract(ex: MetadataExtractor) -> None:
    texts = ["Patient: Doe, Jane\nMRN: 123456\n", "Name: Roe, Sam\nDOB: 1/2/1960\n", ""]
    assert ex.extract_many(texts) == [ex.extract(t) for t in texts]


@pytest.mark.parametrize(("raw", "want"), [
    ("O3/O4/2O19", date(2019, 3, 4)), ("2019-03-04", date(2019, 3, 4)),
    ("March 4th, 2019", date(2019, 3, 4)), ("04-Mar-2019", date(2019, 3, 4)),
    ("3/4/19", date(2019, 3, 4)), ("l2/3l/1999", date(1999, 12, 31)), ("no date", None),
    ("Sept. 9, 2011", date(2011, 9, 9)), ("9 Sep 2011", date(2011, 9, 9)),
    ("20110909", date(2011, 9, 9)), ("03 / 04 / 2019", date(2019, 3, 4)),
    ("13/31/2019", None), ("31/12/2019", date(2019, 12, 31)),
])
def test_dates_with_ocr_noise(raw: str, want: date | None) -> None:
    assert parse_date(raw) == want


def test_two_digit_birth_years_are_in_the_past() -> None:
    today = date(2026, 1, 1)
    assert parse_date("03/04/28", birth=True, today=today) == date(1928, 3, 4)
    assert parse_date("03/04/19", birth=True, today=today) == date(2019, 3, 4)
    assert parse_date("03/04/27", today=today) == date(2027, 3, 4)
    assert parse_date("03/04/28", today=today) == date(1928, 3, 4)


def test_names() -> None:
    assert parse_person("DOE, JANE A") == ("Jane", "Doe")
    assert parse_person("Dr. John Q. Public, MD, FACP") == ("John", "Public")
    assert parse_person("MCDONALD-SMITH, ANN") == ("Ann", "Mcdonald-Smith")
    assert parse_person("Rey,es, Francisco") == ("Francisco", "Reyes")
    assert parse_person("Smith") == (None, None)
    assert parse_person("Unknown Patient") == (None, None)


def test_mrns() -> None:
    assert clean_mrn("MR-00O12") == "MR00012" and clean_mrn("n/a") is None
    assert clean_mrn("4A0D8938-A64B-41C9") == "4A0D8938A64B41C9"  # letters kept as printed
    assert clean_mrn("01/02/1990") is None and clean_mrn("Female") is None


def test_validators() -> None:
    assert npi_valid("1234567893") and not npi_valid("1234567890")
    assert not npi_valid("123456789")
    assert icd10_valid("E11.9") and icd10_valid("S72.001A") and icd10_valid("I10")
    assert not icd10_valid("E1.9") and not icd10_valid("E11.12345")
    assert cpt_valid("99214") and cpt_valid("0001F") and cpt_valid("0042T")
    assert not cpt_valid("9921") and not cpt_valid("0001X")
    assert sex_from("Female") == "F" and sex_from("M") == "M" and sex_from("?") is None


# --- OCR-robust layout rules (hand-written layouts, none taken from the evaluation set) ---


def test_header_row_with_scan_specks(ex: MetadataExtractor) -> None:
    text = ("Pinecrest Cardiology Group\n"
            "PATIENT NAME  MRN  :  DATE OF BIRTH  3  SEX  ,\n"
            "Novak, Irena  44-0912  02/14/1971  ‘F\n"
            "VISIT DATE  :  AUTHOR\n"
            ".  03/01/2022  .  Omar Reyes, MD\n")
    e = ex.extract(text)
    p = e.patient
    assert (p.family, p.given, p.mrn, p.sex) == ("Novak", "Irena", "440912", "F")
    assert p.birth_date == date(1971, 2, 14) and e.service_date == date(2022, 3, 1)


def test_header_row_with_one_unreadable_label(ex: MetadataExtractor) -> None:
    # "DOB" read as "00B": its column is skipped; "#" in the row ends no inline label
    text = ("PATIENT.  MEDICAL RECORD #  00B  SEX\n"
            "Tran, Bao  5521907  .  Mar 3, 1980  Male\n")
    p = ex.extract(text).patient
    assert (p.family, p.given, p.mrn, p.sex) == ("Tran", "Bao", "5521907", "M")


def test_header_labels_with_ocr_slips(ex: MetadataExtractor) -> None:
    text = ("| PANIENT  DOB  SEX  ENCOUNTER DATE\n"
            "Ortiz, Lena  May 2, 1990  Female  Jun 5, 2021\n"
            "DATE OL SERVICI  AUTHOR  REPORT DATI\n"
            "Jun 6, 2021  Ruth Kim, DO  Jun 7, 2021\n")
    e = ex.extract(text)
    assert (e.patient.family, e.patient.given, e.patient.sex) == ("Ortiz", "Lena", "F")
    assert e.service_date == date(2021, 6, 5) and e.document_date == date(2021, 6, 7)


def test_inline_labels_with_slips_and_leading_specks(ex: MetadataExtractor) -> None:
    text = ("Patient Name: VOSS, KARL  ;  DOB: Jan 9, 1961\n"
            "‘sex: M  ,  \"  -MRN: Q7781230\n"
            "pate of Visit: Apr 2, 2019  Author: Mia Lund, MD\n")
    e = ex.extract(text)
    assert (e.patient.sex, e.patient.mrn) == ("M", "Q7781230")
    assert e.service_date == date(2019, 4, 2)


def test_fuzzy_labels_need_length_and_no_ambiguity() -> None:
    from extractors.metadata.labels import label_field
    assert label_field("pate of Visit", fuzzy=True) == "service"
    assert label_field("pate of Visit") is None  # exact lookup unless asked
    assert label_field("eax", fuzzy=True) is None  # short labels never fuzzy
    assert label_field("Medications", fuzzy=True) is None


def test_column_read_header_table(ex: MetadataExtractor) -> None:
    # a header table read column by column: label, value, label, value
    text = ("Lakeview Pediatrics\nPATIENT\nMaya Cole\nDATE OF BIRTH\nOct 1, 2015\nSEX\nF\n"
            "MRN\nLV-22817\nVISIT DATE\nNov 2, 2021\n")
    e = ex.extract(text)
    p = e.patient
    assert (p.family, p.given, p.sex, p.mrn) == ("Cole", "Maya", "F", "LV22817")
    assert p.birth_date == date(2015, 10, 1) and e.service_date == date(2021, 11, 2)


def test_lone_column_heading_takes_no_value(ex: MetadataExtractor) -> None:
    text = ("Harbor Family Clinic\nPatient: Lee, Ann  MRN: 123456\nEncounters\nFacility\n"
            "Office Visit  01/02/2020\n")
    assert ex.extract(text).facility == "Harbor Family Clinic"


def test_age_sex_label(ex: MetadataExtractor) -> None:
    assert ex.extract("Patient: Ford, Eli\nAge/Sex: 45/M\n").patient.sex == "M"


@pytest.mark.parametrize("label", ["MR#", "Med Rec No", "Chart #", "Patient ID", "Chart No."])
def test_mrn_label_variants(ex: MetadataExtractor, label: str) -> None:
    assert ex.extract(f"Patient: Ford, Eli\n{label}: 0099812\n").patient.mrn == "0099812"


@pytest.mark.parametrize("label", ["Sex", "Gender", "M/F", "Sex at birth"])
def test_sex_label_variants(ex: MetadataExtractor, label: str) -> None:
    assert ex.extract(f"Patient: Ford, Eli\n{label}: F\n").patient.sex == "F"


def test_sex_values_with_ocr_slips() -> None:
    assert sex_from("l’emale") == "F" and sex_from("I'emale") == "F"
    assert sex_from(".Female") == "F" and sex_from("‘M") == "M" and sex_from("Maie") == "M"
    assert sex_from("emale") is None  # one slip from both words: no guess


def test_dates_with_specks_in_them() -> None:
    assert parse_date("Aug: 08, 2022") == date(2022, 8, 8)
    assert parse_date("Dec 14, ‘2020") == date(2020, 12, 14)


@pytest.mark.parametrize(("head", "want"), [
    ("Get  Well  Clinic\n", "Get Well Clinic"),  # wide letterhead type
    ("North  Ridge  Medical  Center  PROGRESS NOTE\n", "North Ridge Medical Center"),
    ("Oak Valley Health Partners Oak Valley Health Partners: Health Summary\n",
     "Oak Valley Health Partners"),  # two cells run together
    ("12 Elm St, Dover, DE 19901\nTel (302) 555-0100\nSunrise Health Partners  Consult Note\n",
     "Sunrise Health Partners"),
])
def test_letterhead_variants(ex: MetadataExtractor, head: str, want: str) -> None:
    assert ex.extract(head + "Patient: Ford, Eli\nMRN: 0099812\n").facility == want


def test_service_date_repeating_the_birth_date_is_dropped(ex: MetadataExtractor) -> None:
    text = ("Patient: Ford, Eli  DOB: Apr 7, 1950\nAdmit Date: Aug 15, 2019\n"
            "\fPatient: Ford, Eli  Dos: Apr 7, 1950\n")
    assert ex.extract(text).service_date == date(2019, 8, 15)
    newborn = "Patient: Ford, Baby  DOB: Apr 7, 2020\nDate of Service: Apr 7, 2020\n"
    assert ex.extract(newborn).service_date == date(2020, 4, 7)
