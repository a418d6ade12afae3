"""Layout rules added for unseen layouts: name bands, "Re:" segments, letterhead titles,
OCR specks, and the review guards. Real spaCy pipeline, made-up data, no mocks."""

from __future__ import annotations

from datetime import date

import pytest

from chartvault.model import Classification
from chartvault.pipeline.understand import review_reasons
from extractors.metadata import MetadataExtractor
from extractors.metadata.normalise import (
    clean_mrn,
    clean_org,
    mrn_ambiguous,
    parse_date,
    parse_person,
)

HEAD = "Riverbend Community Hospital\n12 Main St, Springfield, IL 62701\n"


@pytest.fixture(scope="module")
def ex() -> MetadataExtractor:
    return MetadataExtractor()


def test_unlabelled_name_band_with_dob_and_mrn(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "DOE, JANE    DOB: 03/04/1951    F    MR#: 55512345\n"
                   "Visit Date: 05/06/2020\n")
    assert (e.patient.family, e.patient.given) == ("Doe", "Jane")
    assert e.patient.sex == "F" and e.patient.mrn == "55512345"
    assert e.patient.birth_date == date(1951, 3, 4) and e.identity_established()


def test_name_band_without_mrn_and_first_last_order(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "Jane Roe    DOB: Mar 4, 1951    Male\n")
    assert (e.patient.family, e.patient.given, e.patient.sex) == ("Roe", "Jane", "M")


def test_name_band_needs_identity_labels_on_its_line(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "DOE, JANE    Room: 12\nDOB: 03/04/1951\n")
    assert e.patient.family is None and not e.identity_established()


def test_labelled_name_beats_band(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "Patient Name: ROE, MARY\nSMITH, ANN    DOB: 03/04/1951\n")
    assert (e.patient.family, e.patient.given) == ("Roe", "Mary")


def test_band_with_leading_scan_speck(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "`HALE, MICHAEL    DOB: 07-May-1946    M    MRN: D5333324\n")
    assert (e.patient.family, e.patient.given) == ("Hale", "Michael")


def test_letter_re_line_with_semicolon_segments(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "June 2, 2020\nRe: Patient Doe, Jane; date of birth 08/27/1941; "
                   "167352008\nDear Dr. Roe:\n")
    assert (e.patient.family, e.patient.given) == ("Doe", "Jane")
    assert e.patient.birth_date == date(1941, 8, 27) and e.patient.mrn == "167352008"


def test_re_line_labelled_mrn_segment(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "RE: Jane Doe; DOB 1/2/1960; MRN A123456\n")
    assert e.patient.mrn == "A123456" and e.patient.birth_date == date(1960, 1, 2)


@pytest.mark.parametrize("first", [
    "Mercy Hospital - LABORATORY REPORT", "Mercy Hospital: Operative Note",
    "Mercy Hospital | H&P", "Mercy Hospital: CYTOLOGY REPORT", "Mercy Hospital"])
def test_letterhead_title_is_split_off(ex: MetadataExtractor, first: str) -> None:
    e = ex.extract(first + "\n12 Main St, Springfield, IL 62701\nPatient: Doe, Jane\n")
    assert e.facility == "Mercy Hospital"


def test_org_noun_before_colon_is_no_label(ex: MetadataExtractor) -> None:
    # "Hospital:" alone is a record-number label; after a name it ends a letterhead
    e = ex.extract("Black Physicians Group: ER NOTE\nPatient: Doe, Jane\nHospital #: 4455667\n")
    assert e.facility == "Black Physicians Group" and e.patient.mrn == "4455667"


def test_facility_ocr_cleanup() -> None:
    assert clean_org("5t. Mary C0mmunity H0spital") == "St. Mary Community Hospital"
    assert clean_org("Hea,lth Partners of Sa'lem") == "Health Partners of Salem"
    assert clean_org("St. Mary's Hospital") == "St. Mary's Hospital"
    assert clean_org("Route 66 Clinic") == "Route 66 Clinic"


def test_new_service_labels(ex: MetadataExtractor) -> None:
    for label in ("Date Received", "Collected", "ED Visit"):
        e = ex.extract(HEAD + f"Patient: Doe, Jane\n{label}: 12/3/2006\n")
        assert e.service_date == date(2006, 12, 3), label


@pytest.mark.parametrize(("raw", "want"), [
    ("Aug 27, 1.938", date(1938, 8, 27)), ("08/15/19.40", date(1940, 8, 15)),
    ("Septembe,r 1, 1992", date(1992, 9, 1)), ("08.19.20", date(2020, 8, 19))])
def test_specks_inside_dates(raw: str, want: date) -> None:
    assert parse_date(raw, birth=True, today=date(2026, 1, 1)) == want


def test_specks_inside_names_and_mrns() -> None:
    assert parse_person("ROLLIN,S, MICHAEL") == ("Michael", "Rollins")
    assert parse_person("KENT, JEFF`REY`") == ("Jeffrey", "Kent")
    assert parse_person("KIM,' DAVID") == ("David", "Kim")
    assert parse_person("Patient Doe, Jane") == ("Jane", "Doe")
    assert clean_mrn("MR3,11564") == "MR311564" and clean_mrn("17757'1196") == "177571196"


def test_ambiguous_comma_name_is_not_read() -> None:
    # "DOE,JANE MARIE" and OCR's "JEF,FREY BURNETT" cannot be told apart
    assert parse_person("JEF,FREY BURNETT") == (None, None)
    assert parse_person("DOE,JANE") == ("Jane", "Doe")


def test_section_words_are_never_names(ex: MetadataExtractor) -> None:
    assert parse_person("Reaction Notes") == (None, None)
    e = ex.extract(HEAD + "Allergies\nName  :  Reaction Notes\nDOB: 10/20/2000\nMRN: 26776\n")
    assert e.patient.family is None and not e.identity_established()


def test_mrn_with_digit_like_check_letter_goes_to_review(ex: MetadataExtractor) -> None:
    assert mrn_ambiguous("22823979B") and not mrn_ambiguous("228239798")
    assert not mrn_ambiguous("A1234567")
    e = ex.extract(HEAD + "Patient: Doe, Jane\nMRN: 22823979B\n")
    assert "conflicting_mrn" in e.flags


def test_name_of_something_else_is_no_patient_name(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "BROWN, ANGELA    DOB: 10/19/1973    F    MRN: MR942485\n"
                   "PROCEDURE NAME: Transesophageal echocardiogram (CPT 93312).\n")
    assert (e.patient.family, e.patient.given) == ("Brown", "Angela")
    assert parse_person("Transesophageal echocardiogram") == (None, None)


def test_speck_comma_splitting_a_family_name_is_not_read() -> None:
    assert parse_person("SHA,FFER, JOSHUA") == (None, None)
    assert parse_person("Smith,John, MD") == ("John", "Smith")


@pytest.mark.parametrize(("raw", "want"), [
    ("192.2-07-08", date(1922, 7, 8)), ("0,2/18/2019", date(2019, 2, 18))])
def test_specks_inside_iso_years_and_months(raw: str, want: date) -> None:
    assert parse_date(raw, birth=True, today=date(2026, 1, 1)) == want


def test_age_that_contradicts_birth_date_goes_to_review(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "Patient: Doe, Jane    MRN: 4455667\nDOB: 2008-02-07 (92 y)\n"
                   "DOS: 2014-11-19\n")
    assert "age_mismatch" in e.flags
    cls = Classification(doc_type="progress_note", loinc=None, confidence=0.99,
                         candidates=(("progress_note", 0.99),))
    assert "age_mismatch" in review_reasons(cls, e, 0.5)


def test_mrn_with_digit_like_prefix_letter_is_ambiguous() -> None:
    assert mrn_ambiguous("S25777740") and mrn_ambiguous("B1234567")
    assert not mrn_ambiguous("MR942485") and not mrn_ambiguous("K1234567")


@pytest.mark.parametrize(("raw", "want"), [
    ("9/.2/1998", date(1998, 9, 2)), ("Aug 02, 193,5", date(1935, 8, 2)),
    ("1984-.04-04", date(1984, 4, 4)), ("1/16,/2008", date(2008, 1, 16))])
def test_specks_next_to_date_separators(raw: str, want: date) -> None:
    assert parse_date(raw, birth=True, today=date(2026, 1, 1)) == want


def test_apostrophe_speck_inside_a_lower_case_run() -> None:
    assert parse_person("Deanna Sm'ith, MD") == ("Deanna", "Smith")
    assert parse_person("O'Brien, Mary") == ("Mary", "O'Brien")


@pytest.mark.parametrize("raw", ["WILSON, TAYLO,R", "KNIGHT, C,INDY", "ROGER POWE,LL"])
def test_speck_comma_inside_a_name_part_is_not_read(raw: str) -> None:
    assert parse_person(raw) == (None, None)


def test_credentials_after_tight_commas_still_read() -> None:
    assert parse_person("Smith,John, MD") == ("John", "Smith")
    assert parse_person("Smith,John,MD, PhD") == ("John", "Smith")


def test_age_printed_on_the_day_of_the_chart_fits(ex: MetadataExtractor) -> None:
    # a summary printed in 2014 of a 2010 visit gives the age of 2014
    e = ex.extract(HEAD + "Patient: Doe, Jane    MRN: 4455667\nDOB: 1953-07-28\n"
                   "Age/Sex 60 F\nDOS: 2010-04-09\nPrinted: 2014-04-16\n")
    assert "age_mismatch" not in e.flags
    e = ex.extract(HEAD + "Patient: Doe, Jane    MRN: 4455667\nDOB: 1953-07-28\n"
                   "Age/Sex 66 F\nDOS: 2010-04-09\nPrinted: 2014-04-16\n")
    assert "age_mismatch" in e.flags


def test_an_infant_in_weeks_is_no_age_mismatch(ex: MetadataExtractor) -> None:
    e = ex.extract(HEAD + "Patient: Doe, John    MRN: 4455667\nDOB: 2021-04-27\n"
                   "DOS: 2021-05-19\nHISTORY: This is a 3-week-old baby boy; his 4-year-old "
                   "brother is well.\n")
    assert "age_mismatch" not in e.flags
