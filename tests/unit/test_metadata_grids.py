"""Label grids beside the letterhead, joined labels, unknown name labels, logos, misreads.

Invented examples of how OCR hands over a header whose label grid shares its lines with
the letterhead and address column, and of names that OCR may have misread.
"""

from __future__ import annotations

from datetime import date

import pytest

from chartvault.model import Classification
from chartvault.pipeline.understand import review_reasons
from extractors.metadata import MetadataExtractor
from extractors.metadata.given_names import misread_given_name

BODY = "\nHISTORY: The patient returns for a routine check of her knee.\n"


@pytest.fixture(scope="module")
def ex() -> MetadataExtractor:
    return MetadataExtractor()


def test_label_with_value_in_one_cell_is_no_header_row(ex: MetadataExtractor) -> None:
    # the line below has its own label: it is no value row of the line above
    e = ex.extract("Birchwood Clinic\n3/2/2021\nDate Born 6/16/2010    Age/Sex 11/M    "
                   "Hosp # 7302945\nDate Seen 2/28/2021\nDear Dr. Y:" + BODY)
    assert e.patient.birth_date == date(2010, 6, 16)
    assert e.patient.mrn == "7302945"
    assert e.service_date == date(2021, 2, 28)


def test_joined_label_over_its_one_value(ex: MetadataExtractor) -> None:
    e = ex.extract("Harbor Memorial Hospital\nEMPI  Date Born\n5301265  25OCT1958\n"
                   "Age / Sex  Family Name\n51/F  QUINLAN\nForename  Surgery Dt\n"
                   "MARGARET  30MAY2010" + BODY)
    assert (e.patient.family, e.patient.given) == ("Quinlan", "Margaret")
    assert e.patient.sex == "F"
    assert e.patient.mrn == "5301265"


def test_name_after_a_label_no_lexicon_knows(ex: MetadataExtractor) -> None:
    e = ex.extract("Birchwood Clinic\n10/16/2009\nConcerning: HOLLAND, PETER\n"
                   "Dt. of Birth 5/15/1968    Age/Sex 41 yo M    HRN: 00187061\n" + BODY)
    assert (e.patient.family, e.patient.given) == ("Holland", "Peter")


def test_name_after_unknown_label_needs_an_identity_line_beside_it(
        ex: MetadataExtractor) -> None:
    e = ex.extract("Birchwood Clinic\nConcerning: HOLLAND, PETER\n\n\n\nThe plan is rest.")
    assert e.patient.family is None


def test_grid_sharing_lines_with_the_letterhead(ex: MetadataExtractor) -> None:
    e = ex.extract(
        "Eastbrook Regional Medical Center  Full Name  Age/Sex\n"
        "PAUL H WHITLOCK  17M\n"
        "983 Samuel Avenue Apt. 066, Arroyo, NJ 05853  EMPI  Birth Dt\n"
        "Tel (232) 307-1966 Fax (232) 701-4799  MR858801  12 December 1997\n"
        "ED Provider Note" + BODY)
    assert (e.patient.family, e.patient.given) == ("Whitlock", "Paul")
    assert e.patient.mrn == "MR858801"
    assert e.patient.birth_date == date(1997, 12, 12)
    assert e.facility == "Eastbrook Regional Medical Center"


def test_grid_values_must_have_their_labels_shape(ex: MetadataExtractor) -> None:
    e = ex.extract("Eastbrook Regional Medical Center  EMPI  Birth Dt\n"
                   "983 Samuel Avenue, Arroyo, NJ  Pending  unknown\nClinic Note" + BODY)
    assert e.patient.mrn is None and e.patient.birth_date is None


@pytest.mark.parametrize(("head", "facility"), [
    ("Nae  West Harbor Medical Center", "West Harbor Medical Center"),
    ("jeg Community General Hospital", "Community General Hospital"),
    ("A} Lakeside University Hospital", "Lakeside University Hospital"),
    ("St  Agnes Medical Center", "St Agnes Medical Center"),
    ("New  Haven Family Clinic", "New Haven Family Clinic"),
])
def test_logo_read_as_letters_is_not_the_facility(ex: MetadataExtractor, head: str,
                                                   facility: str) -> None:
    e = ex.extract(head + "\n12 Harbor Road, Duluth, MN 55802\nPatient: Doe, Jane\n" + BODY)
    assert e.facility == facility


@pytest.mark.parametrize(("word", "misread"), [
    ("Addm", True), ("Jahn", True), ("Theresd", True), ("Arlene", False), ("Jhon", False),
    ("Adam", False), ("Theresa", False), ("Xochitl", False), ("Kyle", False),
])
def test_misread_given_name(word: str, misread: bool) -> None:
    assert misread_given_name(word) is misread


def test_a_misread_given_name_goes_to_review(ex: MetadataExtractor) -> None:
    e = ex.extract("Birchwood Clinic\nPatient: Doe, Addm\nDOB: 01/02/1960\nMRN: 1234567" + BODY)
    assert "doubtful_name" in e.flags
    cls = Classification(doc_type="progress_note", loinc=None, confidence=0.99)
    assert "doubtful_name" in review_reasons(cls, e, 0.5)
    clean = ex.extract("Birchwood Clinic\nPatient: Doe, Adam\nDOB: 01/02/1960\nMRN: 1234567"
                       + BODY)
    assert review_reasons(cls, clean, 0.5) == ()


def test_a_date_is_no_record_number_whatever_its_column(ex: MetadataExtractor) -> None:
    e = ex.extract("Lakeside Medical Center\nRadiology Results\nAge / Sex  Last Name\n"
                   "EMPI  FIN  Date Born\nM1947031  E6684591  14JUL1958  50M  Hartley\n"
                   "Given Name  Exam Dt\nSteven  24FEB2009" + BODY)
    assert e.patient.mrn != "14JUL1958"


def test_whole_label_row_is_not_right_aligned_over_grid_values(ex: MetadataExtractor) -> None:
    # "Admin. Sex" was read on the line above: the five values are the grid's own
    e = ex.extract("Lakeside Medical Center\nAdmin. Sex\nRecord No.  FIN  Birth Dt  Family Name\n"
                   "998911  E3189731  02MAY1989  female  DIXON\nForename  Svc Date\n"
                   "FRANCES  31MAR2010" + BODY)
    assert e.patient.mrn != "E3189731"


def test_title_left_of_grid_values_is_skipped(ex: MetadataExtractor) -> None:
    e = ex.extract("New Katrina Radiology Associates\nRecord No.  Date Born\nMR874031  1965/11/22\n"
                   "42 Green Suite 284, Anthonybury, ID 10451  Age/Sex  Family Name\n"
                   "Tel (816) 944-6276 Fax (816) 728-9728  47/F  WALLACE\nForename  Exam Dt\n"
                   "Radiology Results  AMBER  2013/05/16" + BODY)
    assert (e.patient.family, e.patient.given) == ("Wallace", "Amber")
    assert e.patient.mrn == "MR874031"


def test_head_only_label_opens_a_header_row(ex: MetadataExtractor) -> None:
    # "Forename" is a label only in a form's head, and "Sve Date" is "Svc Date" misread
    e = ex.extract("Lakeside Medical Center\nFamily Name  Birth Dt\nDIXON  02MAY1989\n"
                   "Forename  Sve Date  Attending MD\nFRANCES  31MAR2010  Henry Seven, MD" + BODY)
    assert e.patient.given == "Frances"
    assert e.service_date == date(2010, 3, 31)


@pytest.mark.parametrize("label", ["Date Imaged", "Hospitalized"])
def test_event_labels(ex: MetadataExtractor, label: str) -> None:
    e = ex.extract(f"Lakeside Medical Center\nPatient: Doe, Jane\n{label}: 03/04/2020" + BODY)
    assert e.service_date == date(2020, 3, 4)


def test_grid_with_joined_label_beside_the_letterhead(ex: MetadataExtractor) -> None:
    e = ex.extract("Community Health and Hospitals  Full Name  Age / Sex\n:  Heidi Marsh  57F\n"
                   "1002 Healthcare Drive, Portland, OR 99123  Unit No.  Enc #\n"
                   "Tel 555-555-1002  :  998911  E1499081" + BODY)
    assert (e.patient.family, e.patient.given) == ("Marsh", "Heidi")
    assert e.patient.sex == "F"
    assert e.patient.mrn == "998911"


def test_compact_dates_misread_by_ocr() -> None:
    from extractors.metadata.normalise import parse_date

    assert parse_date("220CT1962", birth=True) == date(1962, 10, 22)
    assert parse_date("223UL1970", birth=True) == date(1970, 7, 22)
    assert parse_date("I5APR1971", birth=True) == date(1971, 4, 15)


def test_rn_read_as_m_in_a_label(ex: MetadataExtractor) -> None:
    e = ex.extract("Lakeside Medical Center\nPatient: Doe, Jane\nDate Bom: 03/04/1950" + BODY)
    assert e.patient.birth_date == date(1950, 3, 4)


def test_age_beside_the_letterhead_checks_the_birth_date(ex: MetadataExtractor) -> None:
    e = ex.extract("Lakeside Medical Center  Family Name  Forename\nCarlton  Sharon\n"
                   "99 Sycamore Street, Gainesville, FL 32608  :  Age / Sex  :  Hosp #\n"
                   "Tel +1-916-555-7654  ; 74/F  7730112\nDate Born  Note Dt\n"
                   "Full Chart  | 12DEC1936  25SEP2013" + BODY)
    assert e.patient.sex == "F"
    assert "age_mismatch" in e.flags  # 76 by the date printed, 74 by the age


def test_joined_label_row_over_values_with_a_speck(ex: MetadataExtractor) -> None:
    e = ex.extract("Richland Medical Center\nHOSPITALIZATION SUMMARY\n"
                   "Hosp #  Dt. of Birth  Age / Sex  Surname  First Name\n"
                   "00200721  11/14/1969  50 yoM  Talbot  5  Jeffrey  —" + BODY)
    assert (e.patient.family, e.patient.given) == ("Talbot", "Jeffrey")
    assert e.patient.sex == "M"


def test_clinician_after_an_unknown_label_is_no_patient(ex: MetadataExtractor) -> None:
    e = ex.extract("Get Well Clinic\nIsabella Jonas\nHosp # 110107073916281  Birth Dt: 1 May 1947\n"
                   "Responsible Dr: Dr. Henry Seven" + BODY)
    assert (e.patient.family, e.patient.given) == ("Jonas", "Isabella")


def test_saint_is_no_logo(ex: MetadataExtractor) -> None:
    e = ex.extract("St. Olivia Health System    Brief Operative Report\n12 Harbor Road, Duluth, "
                   "MN 55802\nPatient: Doe, Jane\n" + BODY)
    assert e.facility == "St. Olivia Health System"


def test_clinician_labels_of_grid_rows_are_known(ex: MetadataExtractor) -> None:
    # one unknown label in a two-cell row used to lose the row, and its date with it
    e = ex.extract("Fernhill General Hospital\nED Provider Note\n"
                   "Unit No.  Dt. of Birth  Legal Sex  Full Name  ED Arrival\n"
                   "4402817  3 March 1971  male  Owen T Barlow  9 May 2019\n"
                   "Note Dt  Responsible Dr\n10 May 2019  Ruth Calder, DO" + BODY)
    assert e.document_date == date(2019, 5, 10)
    assert e.author == "Ruth Calder"
    e = ex.extract("Fernhill General Hospital\nOperative Record\nHRN  Birth Dt  Legal Sex\n"
                   "562-1188  1960/02/14  female\nDate Reported  Operating Surgeon\n"
                   "2019/05/09  Ian Morrow, MD" + BODY)
    assert (e.document_date, e.author) == (date(2019, 5, 9), "Ian Morrow")


@pytest.mark.parametrize("label", ["OR Date", "Spec. Collected", "Obtained"])
def test_when_it_happened_in_the_words_of_operating_rooms_and_labs(
        ex: MetadataExtractor, label: str) -> None:
    e = ex.extract(f"Fernhill General Hospital\nLast Name  Given Name\nBarlow  Owen\n"
                   f"Dt. of Birth  Finalized\n8/28/1984  9/9/2012\n{label}\n9/7/2012" + BODY)
    assert e.service_date == date(2012, 9, 7)
    assert e.document_date == date(2012, 9, 9)


@pytest.mark.parametrize("printed", ["12FEB2017", "2017/02/12", "12.02.2017", "FEB 12, 2017"])
def test_a_letter_dated_in_any_common_form(ex: MetadataExtractor, printed: str) -> None:
    e = ex.extract(f"Fernhill Medical Group\n14 Mill Lane, Troy, NY 12180\n{printed}\n"
                   "Concerning: Barlow, Owen\nDt. of Birth 12JUN1929    Legal Sex male\n"
                   "Dear Dr. Sample:" + BODY)
    assert e.document_date == date(2017, 2, 12)


def test_a_name_run_into_the_next_cell_beside_the_letterhead(ex: MetadataExtractor) -> None:
    # OCR lost the gap between the name and the age/sex under "Full Name  Age/Sex"
    e = ex.extract("Eastbrook Regional Medical Center  Full Name  Age/Sex\n"
                   "Lori S Hartwell 56/F\n"
                   "63002 Hudson Rue, Erinview, DC 45032  HRN  Visit No.\n"
                   "Tel (774) 809-9685 Fax (774) 306-3451  00880099  23519517\n" + BODY)
    assert (e.patient.family, e.patient.given, e.patient.sex) == ("Hartwell", "Lori", "F")


@pytest.mark.parametrize("labels", ["Family Ni Name  Forename  Birth Dt",
                                    "| Last | Name  Given Name  Birth Dt"])
def test_a_label_cut_by_a_rule_or_a_speck_is_read_whole(
        ex: MetadataExtractor, labels: str) -> None:
    e = ex.extract(f"Fernhill General Hospital\nDischarge Report\n{labels}\n"
                   "Hartwell  Joseph  29 April 1952\n" + BODY)
    assert (e.patient.family, e.patient.given) == ("Hartwell", "Joseph")
    assert e.patient.birth_date == date(1952, 4, 29)


def test_cells_that_agree_in_count_only_by_chance_are_read_by_type(
        ex: MetadataExtractor) -> None:
    # "Birth | Dt" read as two labels, "Rivera, Wanda | Michele" as two values
    e = ex.extract("Fernhill General Hospital\nSOAP Note\n"
                   "HRN  Birth | Dt  Legal Sex  Client  Date Seen\n"
                   "| 00545834  2 January 1972  F - Female  Rivera, Wanda | Michele  3 March 2019\n"
                   + BODY)
    assert (e.patient.family, e.patient.given) == ("Rivera", "Wanda")
    assert e.patient.birth_date == date(1972, 1, 2) and e.patient.mrn == "00545834"


def test_specks_and_merged_cells_around_names_in_a_grid(ex: MetadataExtractor) -> None:
    e = ex.extract("Fernhill General Hospital\nHealth Summary\n"
                   "‘Full Name  Birth Dt  HRN  Age / Sex  Seen by\n"
                   "‘Ramon Stevenson  4/19/1959  998991  54M 7 Henry Seven, MD\n" + BODY)
    assert (e.patient.family, e.patient.given, e.patient.sex) == ("Stevenson", "Ramon", "M")
    assert e.author == "Henry Seven"
    e = ex.extract("Fernhill General Hospital\nHistory and Physical Examination\n"
                   "Full Name  Legal Sex  HRN  Dt. of Birth\n"
                   "REBECCA \\ M WELLS  F - Female  00299411  14JUN1986\n" + BODY)
    assert (e.patient.family, e.patient.given) == ("Wells", "Rebecca")


def test_lone_names_spread_by_ocr_or_spelled_like_a_form_word(ex: MetadataExtractor) -> None:
    for name, want in (("Patricia  T Deleon", ("Deleon", "Patricia")),
                       ("PAGE, LEAH", ("Page", "Leah"))):
        e = ex.extract(f"Walker Health Partners\nTel (686) 440-1885\n{name}\n"
                       "Legal Sex F - Female  EMPI: 6063469  Date Born 26MAR1942\n" + BODY)
        assert (e.patient.family, e.patient.given) == want


def test_labels_and_values_with_ocr_swaps_and_specks(ex: MetadataExtractor) -> None:
    e = ex.extract("Fernhill General Hospital\nRadiology Results\n"
                   "Surname  First Name  Date Born  EMPI  AgelSex\n"
                   "Hartwell  Isabella  2005/05/01  998991  7F\n" + BODY)
    assert (e.patient.sex, e.patient.mrn) == ("F", "998991")
    e = ex.extract("Fernhill General Hospital  Resident  Date Born\n"
                   "Hartwell, Owen  1961/02/03\n"
                   "29210 Rhonda Way Apt. 533, Hintonmouth, WY 63240  é  Legal Sex  EMP!\n"
                   "Tel (440) 917-9375 Fax (440) 583-9225  M-Male _  A9270470\n" + BODY)
    assert (e.patient.sex, e.patient.mrn) == ("M", "A9270470")


@pytest.mark.parametrize(("line", "want"), [
    ("New Michael Radiology Associates _ | Last Name  Given Name",
     "New Michael Radiology Associates"),
    ("NEXTGEN Medical Practice (Horsham) __ | Fanynare  Forename",
     "NEXTGEN Medical Practice (Horsham)")])
def test_a_letterhead_parted_from_the_grid_by_a_rule(
        ex: MetadataExtractor, line: str, want: str) -> None:
    e = ex.extract(f"{line}\nCampbell  Henry\n"
                   "830 Jacobs Glens Suite 565, Nicolehaven, NH 03015  Age / Sex  Hosp #\n" + BODY)
    assert e.facility == want


def test_a_template_birth_date_equal_to_the_visit_gives_way(ex: MetadataExtractor) -> None:
    e = ex.extract("Cox Family Medicine\n2/20/2019\nConcerning: Linda N Hartwell\n"
                   "Date Born 7/28/1982    Age / Sex: 36/F    EMPI: 4589947\n"
                   "Date Seen 2/14/2019\nRE: Linda Hartwell\nDOB: 02/14/2019\nDear Dr. XYZ:"
                   + BODY)
    assert e.patient.birth_date == date(1982, 7, 28)


def test_the_record_number_among_other_numbers_by_its_column(ex: MetadataExtractor) -> None:
    # the row lost a label to the line above: counts differ, the ids keep their order
    e = ex.extract("Fernhill General Hospital\nHealth Summary\n"
                   "Record No.  FIN  Birth Dt  Family Name\n"
                   "998991  E3189739  02MAY1989  female  DIXON\n" + BODY)
    assert e.patient.mrn == "998991"


def test_a_title_run_into_the_clinician_column_is_no_author(ex: MetadataExtractor) -> None:
    e = ex.extract("Morris Family Medicine\nResident  Admin. Sex\nHARTWELL, LAURA  F - Female\n"
                   "Authenticated  Responsible Dr\nINPATIENT CONSULTATION  8/20/2010\n" + BODY
                   + "I will follow her with you as needed.\nRoger Johnson, MD\n")
    assert e.author == "Roger Johnson"


def test_a_label_cut_by_a_rule_beside_the_letterhead(ex: MetadataExtractor) -> None:
    e = ex.extract("Sandratown Regional Medical Center  | Last | Name  \"Given Name\n"
                   "Hartwell  Vanessa\n"
                   "17397 Alejandro Prairie, Kelseyberg, SC 56923  Legal Sex  HRN\n"
                   "Tel (778) 932-7733 Fax (778) 267-5486  F - Female  8534420\n" + BODY)
    assert (e.patient.family, e.patient.given) == ("Hartwell", "Vanessa")


def test_no_record_number_by_order_when_a_year_stands_among_the_ids(
        ex: MetadataExtractor) -> None:
    e = ex.extract("Davenportbury Imaging Center\nRODRIGUEZ, LAURA\n"
                   "AGE/GENDER:   DOB:   VISIT NUMBER:  CHART NO.:\n"
                   "78y / F   JUN 29 1934   517283104   46759.5644\n" + BODY)
    assert e.patient.mrn != "517283104"  # the visit number is nobody's record number


def test_a_label_row_whose_right_end_ocr_read_a_line_higher(ex: MetadataExtractor) -> None:
    # a table printed askew: its last two labels come out as a line above the rest
    e = ex.extract("Lakeside Regional Hospital\nImaging Report\nAge / Sex  Family Name\n"
                   "Unit No.  Acct  Date Born\nK2204918  A7731002  03MAR1961  62F  Okafor\n"
                   "Forename  Exam Dt\nGrace  12JAN2024" + BODY)
    assert (e.patient.family, e.patient.given, e.patient.sex) == ("Okafor", "Grace", "F")
    assert e.patient.mrn == "K2204918"
    assert e.patient.birth_date == date(1961, 3, 3)


def test_a_label_read_two_lines_up_joins_where_the_values_fit(ex: MetadataExtractor) -> None:
    # "Sex" sits above the row, a speck line between: it goes where "male" stands
    e = ex.extract("Pinecrest Health\nClinic Summary\n\u201cSex\n. 4-1\n"
                   "Hosp No.  Account  Birth Dt  Surname\n"
                   "5501873  F2201934  14AUG1977  male  BRENNAN\nForename  Visit Dt\n"
                   "THOMAS  02FEB2022" + BODY)
    assert (e.patient.family, e.patient.given, e.patient.sex) == ("Brennan", "Thomas", "M")


def test_names_of_a_column_read_into_long_letterhead_lines(ex: MetadataExtractor) -> None:
    # the right-hand column's labels share the letterhead's lines: surname and first name
    # end up some 250 characters apart, still one identity
    e = ex.extract("Eastbrook General Hospital and Regional Cancer Institute  Surname\nMorrow\n"
                   "1800 Old Quarry Lane, Building C, Eastbrook Heights, OH 44101  Birth Dt\n"
                   "Tel (216) 555-0142 Fax (216) 555-0199 www.eastbrook-general.org  "
                   "2 February 1966\nAge Sex\nCytology and Fine Needle Aspiration Report  53F\n"
                   "Collected\n9 May 2019\nFirst Name\nDelia\nUnit No\nW4410273" + BODY)
    assert (e.patient.family, e.patient.given) == ("Morrow", "Delia")
    assert e.patient.birth_date == date(1966, 2, 2)


@pytest.mark.parametrize(("head", "facility"), [
    # a logo read as a letter or two on a line of its own, then more letters before the name
    ("re\nmya Harbor View Medical Center\n12 Pier Rd, Harbor View, ME 04101",
     "Harbor View Medical Center"),
    # the identity grid's labels on the letterhead's line
    ("Pine Ridge Community Hospital  HRN  Enc #\n7628991  40773822",
     "Pine Ridge Community Hospital"),
    ("Oakmont Medical Group  Resident  Legal Sex\nLAMBERT, KYLE A  male", "Oakmont Medical Group"),
    # the logo's initials with specks OCR read beside them
    ("OVH I ~Orchard Valley Hospital\n5 Elm St, Orchard, VT 05401", "Orchard Valley Hospital"),
    # large type lost a word gap; the address line prints the name again
    ("Bay WellClinic\nBay Well Clinic, 12 Shore Rd., Portland, OR 97005", "Bay Well Clinic"),
])
def test_letterheads_as_ocr_reads_them(ex: MetadataExtractor, head: str, facility: str) -> None:
    assert ex.extract(head + "\nProgress Note" + BODY).facility == facility


def test_a_label_row_at_the_top_names_no_facility(ex: MetadataExtractor) -> None:
    e = ex.extract("2014/06/08 18:02 FAX 8544279148  JOB 4910 P1/1\nPatient Care Summary\n"
                   "Resident  Ot. of Birth  Record No,  Legal Sex  Authenticated\n"
                   "MILLER, JOEY  1947/10/10  28366080  male  2014/05/31" + BODY)
    assert e.facility is None


def test_an_age_sex_label_run_into_the_birth_date(ex: MetadataExtractor) -> None:
    # OCR lost the gap before a colon-less "Age/Sex": both values are kept apart
    e = ex.extract("Mercy Hospital\nHOLT, VERNON\nRecord No, 998991  Birth Dt: 28 September 1942 "
                   "Age/Sex 67 M\nDate Seen: 28 February 2010" + BODY)
    assert e.patient.birth_date == date(1942, 9, 28)
    assert e.patient.sex == "M"
    assert "age_mismatch" not in e.flags


def test_a_title_read_between_a_label_row_and_its_values(ex: MetadataExtractor) -> None:
    e = ex.extract("Community Health and Hospitals\nFamily Name  Forename\nTerry  Jeffrey\n"
                   "Age/Sex  Attending MD\nCommunity Health and Hospitals: Health Summary\n"
                   "58 M  Henry Seven, MD" + BODY)
    assert e.patient.sex == "M"
    assert e.author == "Henry Seven"


def test_a_colon_less_label_misread_is_not_taken_for_a_bare_date(ex: MetadataExtractor) -> None:
    # "Date Bom" is "Date Born" with OCR's m for rn, not the label "Date" with a stray word
    e = ex.extract("Downs Clinic\nAllen, David\nUnit No. 00623279  Date Bom 6/21/1942  "
                   "Age / Sex: 78M  Date Seen 10/12/2020\nFinalized: 10/13/2020" + BODY)
    assert e.patient.birth_date == date(1942, 6, 21)
    assert e.service_date == date(2020, 10, 12)


def test_a_label_with_an_ocr_slip_is_no_bare_date_label(ex: MetadataExtractor) -> None:
    # "Svc" read "Sve": the label is the service date's, not the bare "Date:"
    e = ex.extract("Harbor Clinic\nPAGE, LEAH\nDate Born 12/11/1935  Unit No, 998991  "
                   "Responsible Dr: Henry Seven, MD  Sve Date: 12/18/2009" + BODY)
    assert e.service_date == date(2009, 12, 18)


def test_dt_read_as_ot_in_a_label_row(ex: MetadataExtractor) -> None:
    e = ex.extract("Ramirez Medical Group\nOffice Note\nFull Name  Unit No.  Ot. of Birth\n"
                   "PARKER, SABRINA  00794334  1935/04/21\nAttending MD  visit ot\n"
                   "Amy Williams, MD  :  2021/02/11" + BODY)
    assert e.patient.birth_date == date(1935, 4, 21)
    assert e.service_date == date(2021, 2, 11)


def test_a_letter_date_after_a_dash_speck(ex: MetadataExtractor) -> None:
    e = ex.extract("Hicks Clinic\n2086 Ashley Common Suite 420, Ellenside, CO 19243\n"
                   "- 7 August 2021\nConcerning: Theresa K Marsh\nDate Born 4 July 1940\n"
                   "Dear Theresa," + BODY)
    assert e.document_date == date(2021, 8, 7)
