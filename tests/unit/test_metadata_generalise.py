"""Header fields on layouts no rule was written for: each rule with hand-made examples.

The examples are invented (names, numbers, facilities) and printed the way forms vary:
labels without colons, labels above values, unlabelled names, record-number wordings,
numbers that are not the MRN, dates and sexes in many formats.
"""

from __future__ import annotations

from datetime import date

import pytest

from chartvault.model import Extraction
from extractors.metadata import MetadataExtractor
from extractors.metadata.labels import label_field
from extractors.metadata.normalise import date_order, parse_date, parse_person

HEAD = "Lakeview Community Hospital\n12 Harbor Road, Duluth, MN 55802\nCLINIC NOTE\n"
BODY = "\nHISTORY: The patient returns for a routine check.\n"


@pytest.fixture(scope="module")
def ex() -> MetadataExtractor:
    return MetadataExtractor()


def run(ex: MetadataExtractor, header: str) -> Extraction:
    return ex.extract(HEAD + header + BODY)


def test_labels_without_colons_beside_their_values(ex: MetadataExtractor) -> None:
    e = run(ex, "NAME  Orla Brennan    DOB  04/22/1971    SEX  F    HOSPITAL NO  4471902")
    assert (e.patient.given, e.patient.family) == ("Orla", "Brennan")
    assert e.patient.birth_date == date(1971, 4, 22)
    assert (e.patient.sex, e.patient.mrn) == ("F", "4471902")
    e2 = run(ex, "Patient Name Tomas Ruiz   Birth Date 11 Feb 1950   Unit Number 88120345")
    assert (e2.patient.family, e2.patient.birth_date, e2.patient.mrn) == (
        "Ruiz", date(1950, 2, 11), "88120345")


def test_separators_other_than_colons(ex: MetadataExtractor) -> None:
    e = run(ex, "Patient - Ines Varga   D.O.B. - 1966/09/03   EMPI - 55019273")
    assert (e.patient.family, e.patient.birth_date, e.patient.mrn) == (
        "Varga", date(1966, 9, 3), "55019273")


def test_label_above_value(ex: MetadataExtractor) -> None:
    e = run(ex, "Surname  Given Name  Birth Dt  UR Number\nKOWALCZYK  Marta  "
                "07/30/1988  U6610442\nDATE SIGNED\n08/02/2021")
    assert (e.patient.family.lower(), e.patient.given) == ("kowalczyk", "Marta")
    assert e.patient.birth_date == date(1988, 7, 30) and e.patient.mrn == "U6610442"
    assert e.document_date == date(2021, 8, 2)


def test_stacked_label_and_value_lines(ex: MetadataExtractor) -> None:
    e = run(ex, "Last Name:\nOKAFOR\nFirst Name:\nChidi\nDate of Birth:\n02/14/1979\n"
                "Medical Record No.:\n73300125")
    assert (e.patient.family.lower(), e.patient.given) == ("okafor", "Chidi")
    assert e.patient.birth_date == date(1979, 2, 14) and e.patient.mrn == "73300125"
    assert e.document_date is None  # the DOB under its label is no letter date


def test_upper_case_family_first_without_comma() -> None:
    assert parse_person("HALVORSEN Ingrid") == ("Ingrid", "Halvorsen")
    assert parse_person("DE LA CRUZ Maria") == ("Maria", "De la cruz")
    assert parse_person("Ingrid HALVORSEN") == ("Ingrid", "Halvorsen")


def test_middle_initials_and_suffixes() -> None:
    assert parse_person("Desmond P. Achterberg Jr.") == ("Desmond", "Achterberg")
    assert parse_person("ACHTERBERG, DESMOND P") == ("Desmond", "Achterberg")
    assert parse_person("Desmond AchterbergIII") == ("Desmond", "Achterberg")  # lost blank


def test_unlabelled_name_in_a_sticker(ex: MetadataExtractor) -> None:
    e = run(ex, "WEXLER, HANNAH\nDOB 12/01/1990  F\nMRN 20077431  ACCT 99120045")
    assert (e.patient.given, e.patient.family) == ("Hannah", "Wexler")
    assert e.patient.mrn == "20077431"  # the account number beside it is not the MRN
    assert e.patient.sex == "F"


def test_a_title_shaped_like_a_name_is_not_taken(ex: MetadataExtractor) -> None:
    e = ex.extract("Lakeview Community Hospital\nFINANCIAL AGREEMENT\nDOB 12/01/1990  F\n"
                   "MRN 20077431\nI agree to pay for services.\n")
    assert e.patient.family is None and not e.identity_established()


@pytest.mark.parametrize("label", ["Hospital Number", "Unit No.", "EMPI", "UR Number",
                                   "Patient Identifier", "Chart No.", "MR #", "Person ID"])
def test_record_number_wordings(ex: MetadataExtractor, label: str) -> None:
    e = run(ex, f"Patient: Brennan, Orla    {label}: 60311827    Encounter #: 7700019")
    assert e.patient.mrn == "60311827"


@pytest.mark.parametrize("other", ["Encounter Number", "Visit ID", "Account No.", "FIN #",
                                   "Billing #", "Episode #", "Admission #"])
def test_numbers_that_are_not_the_mrn(ex: MetadataExtractor, other: str) -> None:
    e = run(ex, f"Patient: Brennan, Orla    {other}: 60311827")
    assert e.patient.mrn is None


@pytest.mark.parametrize(("text", "want"), [
    ("Mar-12-1968", date(1968, 3, 12)), ("24/Jun/1921", date(1921, 6, 24)),
    ("1989/07/12", date(1989, 7, 12)), ("September 7th, 1970", date(1970, 9, 7)),
    ("30 December 1990", date(1990, 12, 30)), ("SEP 17 1925", date(1925, 9, 17)),
    ("Mar. 12, 1968", date(1968, 3, 12)), ("12MAR1960", date(1960, 3, 12)),
    ("1960-Mar-12", date(1960, 3, 12)), ("23/04/1960", date(1960, 4, 23)),
])
def test_birth_dates_in_many_formats(text: str, want: date) -> None:
    assert parse_date(text, birth=True, today=date(2026, 1, 1)) == want


def test_day_first_decided_by_the_document() -> None:
    assert date_order("Seen 23/04/2020, next visit 01/05/2020") == "dmy"
    assert date_order("Seen 04/23/2020") == "mdy"
    assert date_order("Seen 04/05/2020") is None  # nothing decides
    assert date_order("04/23/2020 and 23/04/2020") is None  # contradicting evidence
    assert parse_date("01/05/1998", order="dmy") == date(1998, 5, 1)
    assert parse_date("01/05/1998") == date(1998, 1, 5)  # US order by default
    assert parse_date("01.05.1998") == date(1998, 5, 1)  # dotted: day first


def test_day_first_document_end_to_end(ex: MetadataExtractor) -> None:
    e = run(ex, "Patient: Varga, Ines   DOB: 03/08/1961   Seen: 19/02/2013")
    assert e.patient.birth_date == date(1961, 8, 3) and e.service_date == date(2013, 2, 19)


@pytest.mark.parametrize(("header", "sex"), [
    ("Patient: Okafor, Chidi   Age/Sex: 54 M", "M"),
    ("Patient: Okafor, Chidi   Sex/Age: F/61", "F"),
    ("Patient: Okafor, Chidi   Administrative Gender: Male", "M"),
    ("Patient: Okafor, Chidi   GENDER  FEMALE", "F"),
])
def test_sex_as_letter_word_or_with_age(ex: MetadataExtractor, header: str, sex: str) -> None:
    assert run(ex, header).patient.sex == sex


def test_sex_under_a_column_label_never_seen(ex: MetadataExtractor) -> None:
    e = run(ex, "Patient Name  Birth Date  Xyzzy Code\nWexler, Hannah  12/01/1990  F - Female")
    assert e.patient.sex == "F"


def test_joined_labels_split_by_type(ex: MetadataExtractor) -> None:
    e = run(ex, "Name: Hannah Wexler    Age/DOB: 35 / 12/01/1990    Sex & MRN: F 20077431")
    assert e.patient.birth_date == date(1990, 12, 1)
    assert label_field("Age/DOB") == "combo:age+dob"
    assert label_field("Sex & MRN") == "combo:mrn+sex"


def test_label_abbreviations_and_birth_words() -> None:
    assert label_field("Dt of Birth") == "dob" and label_field("Birthdt") == "dob"
    assert label_field("Svc Dt") == "service" and label_field("Admit Dt") == "admission"
    assert label_field("Patient DOB") == "dob" and label_field("Pt. Gender") == "sex"
    assert label_field("Birth Weight") is None and label_field("Place of Birth") is None
    assert label_field("Exam Performed") == "service" and label_field("ED Arrival") == "service"
    assert label_field("Procedure") is None  # an event without a time is no date label


def test_another_persons_birth_date_is_ignored(ex: MetadataExtractor) -> None:
    e = run(ex, "Patient: Okafor, Chidi   Guarantor DOB: 01/02/1950   DOB: 03/04/1990")
    assert e.patient.birth_date == date(1990, 3, 4)


def test_contradicting_identity_evidence_abstains(ex: MetadataExtractor) -> None:
    e = run(ex, "DOB: 03/04/1990\nDOB  05/06/1991")
    assert e.patient.birth_date is None


@pytest.mark.parametrize(("top", "want"), [
    ("LCH Lakeview Community Hospital", "Lakeview Community Hospital"),
    ("UCSF Medical Center", "UCSF Medical Center"),
    ("CONFIDENTIAL\nLakeview Community Hospital", "Lakeview Community Hospital"),
    ("Department of Medicine\nLakeview Community Hospital", "Lakeview Community Hospital"),
    ("PROGRESS NOTE    Lakeview Community Hospital", "Lakeview Community Hospital"),
    ("Lakeview Community Hospital, 12 Harbor Road", "Lakeview Community Hospital"),
])
def test_letterheads(ex: MetadataExtractor, top: str, want: str) -> None:
    assert ex.extract(top + "\nPatient: Okafor, Chidi\n" + BODY).facility == want


def test_letter_patient_line_wordings(ex: MetadataExtractor) -> None:
    e = ex.extract("Lakeview Community Hospital\n\nMarch 3, 2021\n\nRegarding: Chidi Okafor\n"
                   "DOB: 02/14/1979\n\nDear Dr. Lund,\nI saw your patient today.\n")
    assert (e.patient.given, e.patient.family) == ("Chidi", "Okafor")


def test_people_by_type_when_a_table_row_lost_a_cell(ex: MetadataExtractor) -> None:
    e = run(ex, "MRN  DOB  AGE  SEX  PATIENT  SEEN BY\n20077431  12/01/1990  F  "
                "Hannah Wexler  Ravi Lund, MD")
    assert (e.patient.given, e.patient.family) == ("Hannah", "Wexler")
    assert e.author == "Ravi Lund"
