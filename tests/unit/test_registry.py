"""Patient registry: FHIR/HL7 import, index, and linking among look-alikes.

Every registry here is a hand-made file written to a temporary directory; the document
texts are made up the way a chart header prints (no shared data).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chartvault.model import Extraction, Patient
from chartvault.pipeline.understand import apply_link
from extractors.registry import Registry, link, load
from extractors.registry.fhir import RegistryFormatError
from extractors.registry.normalise import dates_in, identifier_tokens

MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def patient(rid: str, mrn: str, family: str, given: str, born: str, gender: str,
            org: str = "Harbor Clinic") -> dict[str, Any]:
    """One FHIR Patient resource as a Bulk Data export writes it."""
    system = "urn:chartvault:mrn:" + org.lower().replace(" ", "-")
    return {"resourceType": "Patient", "id": rid,
            "identifier": [{"type": MR, "system": system, "value": mrn}],
            "name": [{"family": family, "given": [given]}], "birthDate": born,
            "gender": gender, "managingOrganization": {"display": org}}


# The patient of the test documents (Quillon Marta, 1961-04-09, MRN 4471203) among people
# built to be confused with her.
LOOKALIKES = [
    patient("p-true", "4471203", "Quillon", "Marta", "1961-04-09", "female"),
    patient("p-other-dob", "5580921", "Quillon", "Marta", "1961-09-04", "female"),  # D/M swap
    patient("p-next-mrn", "4471208", "Ferrante", "Olga", "1948-02-11", "female"),  # 1 digit
    patient("p-same-dob", "3320017", "Brack", "Ines", "1961-04-09", "female"),
    patient("p-sister", "4471230", "Quillon", "Rosa", "1961-04-09", "female"),  # twin
    patient("p-same-mrn-elsewhere", "4471203", "Ostrow", "Ben", "1977-12-01", "male",
            org="Valley Hospital"),
    patient("p-shared-1", "998991", "Tamsin", "Hugo", "1950-01-02", "male"),
    patient("p-shared-2", "998991", "Vell", "Arno", "1950-01-02", "male"),
    patient("p-shared-3", "998991", "Tamsin", "Hugo", "1951-01-02", "male"),
]


def write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return load(write_ndjson(tmp_path / "patients.ndjson", LOOKALIKES))


def header(name: str, mrn: str, dob: str, sex: str = "Female",
           clinic: str = "Harbor Clinic") -> str:
    return (f"{clinic}\n12 Pier Road\nPROGRESS NOTE\nPatient: {name}\nMRN: {mrn}\n"
            f"DOB: {dob}   Sex: {sex}\nVisit date: 03/02/2024\n\nSUBJECTIVE: Doing well.\f"
            "Page 2\nPLAN: Follow up in 3 months.\n")


def read(family: str | None = None, given: str | None = None, born: date | None = None,
         sex: str | None = None, mrn: str | None = None,
         facility: str | None = "Harbor Clinic") -> Extraction:
    return Extraction(patient=Patient(family=family, given=given, birth_date=born,
                                      sex=sex, mrn=mrn),  # type: ignore[arg-type]
                      facility=facility)


# --- import and index -----------------------------------------------------------------


def test_fhir_import_keeps_issuer_names_birth_sex_and_organisation(registry: Registry) -> None:
    rec = next(r for r in registry.records if r.id == "p-true")
    assert rec.family == "Quillon" and rec.given == ("Marta",)
    assert rec.birth_date == date(1961, 4, 9) and rec.sex == "F"
    assert rec.identifiers[0].system == "urn:chartvault:mrn:harbor-clinic"
    assert rec.mrn == "4471203" and rec.organization == "Harbor Clinic"


def test_index_finds_by_identifier_family_and_birth(registry: Registry) -> None:
    assert {r.id for r in registry.by_identifier("4471203")} == {"p-true",
                                                                  "p-same-mrn-elsewhere"}
    assert len(registry.by_identifier("998991")) == 3
    assert {r.id for r in registry.by_family("QUILLON")} == {"p-true", "p-other-dob",
                                                             "p-sister"}
    assert {r.id for r in registry.by_birth_date(date(1961, 4, 9))} == {
        "p-true", "p-same-dob", "p-sister"}
    assert registry.by_identifier("no-such") == ()


def test_identifiers_compare_as_letters_and_digits(tmp_path: Path) -> None:
    reg = load(write_ndjson(tmp_path / "p.ndjson",
                            [patient("a", "571-9854", "Lark", "Ada", "1970-01-01", "female")]))
    assert [r.id for r in reg.by_identifier("5719854")] == ["a"]
    assert [r.id for r in reg.by_identifier("571 9854")] == ["a"]


def test_bad_line_is_reported_by_number_without_content(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text(json.dumps(LOOKALIKES[0]) + "\n{Quillon Marta 4471203\n")
    with pytest.raises(RegistryFormatError) as err:
        load(path)
    assert "line 2" in str(err.value) and "Quillon" not in str(err.value)


def test_other_resource_types_are_skipped(tmp_path: Path) -> None:
    other = {"resourceType": "Organization", "id": "o1", "name": "Harbor Clinic"}
    reg = load(write_ndjson(tmp_path / "p.ndjson", [other, LOOKALIKES[0]]))
    assert len(reg) == 1


def test_hl7_adt_registration_then_update(tmp_path: Path) -> None:
    msgs = [
        "MSH|^~\\&|ADT|HARBOR CLINIC|CV|CV|202401020830||ADT^A04|1|P|2.5\r"
        "PID|1||4471203^^^HARBOR&1.2.3&ISO^MR||QUILLON^MARTA^J||19610409|F\r",
        "MSH|^~\\&|ADT|HARBOR CLINIC|CV|CV|202401030830||ADT^A08|2|P|2.5\r"
        "PID|1||4471203^^^HARBOR&1.2.3&ISO^MR||QUILLON-BAYE^MARTA||19610409|F\r",
        "MSH|^~\\&|LAB|HARBOR CLINIC|CV|CV|202401030830||ORU^R01|3|P|2.5\r"
        "PID|1||5550000^^^HARBOR^MR||NOBODY^NEVER||19000101|M\r",
    ]
    path = tmp_path / "feed.txt"  # recognised by its content, not its name
    path.write_text("\n".join(msgs))
    reg = load(path)
    assert len(reg) == 1  # the ORU is not a registration
    rec = reg.records[0]
    assert rec.family == "QUILLON-BAYE"  # the A08 update won
    assert rec.given == ("MARTA",) and rec.birth_date == date(1961, 4, 9) and rec.sex == "F"
    assert rec.identifiers[0].system == "HARBOR" and rec.organization == "HARBOR CLINIC"


def test_dates_are_read_in_every_common_format() -> None:
    born = date(1961, 4, 9)
    for printed in ("04/09/1961", "4/9/61", "09.04.1961", "1961-04-09", "Apr 9, 1961",
                    "9 April 1961", "09-APR-1961", "19610409", "April 9th, 1961"):
        assert born in dates_in(f"DOB {printed} seen"), printed
    assert born not in dates_in("DOB 04/19/1961")


def test_identifier_tokens_survive_labels_and_ocr_splits() -> None:
    keys = identifier_tokens("MRN-4471203\nMR 667212  Acct#: 0O12345\n")
    assert {"4471203", "MR667212", "0012345"} <= keys


# --- linking ---------------------------------------------------------------------------


def test_links_the_patient_among_lookalikes(registry: Registry) -> None:
    text = header("Quillon, Marta", "4471203", "04/09/1961")
    found = link(text, read("Quillon", "Marta", date(1961, 4, 9), "F", "4471203"), registry)
    assert found.status == "linked" and found.record is not None
    assert found.record.id == "p-true"  # not the same MRN at Valley Hospital, not the twin
    assert found.conflicts == ()


def test_links_on_an_identifier_extraction_did_not_call_the_mrn(registry: Registry) -> None:
    text = header("Quillon, Marta", "4471203", "April 9, 1961")
    found = link(text, read("Quillon", "Marta", None, "F", None), registry)
    assert found.record is not None and found.record.id == "p-true"


def test_ocr_slip_in_a_name_still_links(registry: Registry) -> None:
    text = header("Quil1on, Marta", "4471203", "04/09/1961")
    found = link(text, read("Quil1on", "Marta", date(1961, 4, 9), "F", "4471203"), registry)
    assert found.record is not None and found.record.id == "p-true"


def test_twin_is_told_apart_by_given_name_and_mrn(registry: Registry) -> None:
    text = header("Quillon, Rosa", "4471230", "04/09/1961")
    found = link(text, read("Quillon", "Rosa", date(1961, 4, 9), "F", "4471230"), registry)
    assert found.record is not None and found.record.id == "p-sister"


def test_twin_name_under_her_sisters_mrn_is_not_linked(registry: Registry) -> None:
    # Rosa's document with Marta's MRN: neither record is confirmed by the whole header
    text = header("Quillon, Rosa", "4471203", "04/09/1961")
    found = link(text, read("Quillon", "Rosa", date(1961, 4, 9), "F", "4471203"), registry)
    assert found.record is None


def test_shared_placeholder_mrn_is_resolved_by_name_and_birth(registry: Registry) -> None:
    text = header("Tamsin, Hugo", "998991", "01/02/1951", sex="Male")
    found = link(text, read("Tamsin", "Hugo", date(1951, 1, 2), "M", "998991"), registry)
    assert found.record is not None and found.record.id == "p-shared-3"


def test_shared_mrn_with_an_unregistered_name_is_no_match(registry: Registry) -> None:
    text = header("Dorne, Felix", "998991", "01/02/1950", sex="Male")
    found = link(text, read("Dorne", "Felix", date(1950, 1, 2), "M", "998991"), registry)
    assert found.status == "no_match" and found.candidates == 3


def test_mrn_one_digit_off_is_not_linked_to_its_owner(registry: Registry) -> None:
    # OCR read 4471203 as 4471208, which belongs to someone else entirely
    text = header("Quillon, Marta", "4471208", "04/09/1961")
    found = link(text, read("Quillon", "Marta", date(1961, 4, 9), "F", "4471208"), registry)
    assert found.record is None
    assert found.status == "conflict"  # someone else's MRN beside her name: review


def test_mrn_misread_by_one_character_is_corrected_from_the_registry(
        registry: Registry) -> None:
    # "4471203" printed, OCR read "4471293" (nobody's): names and birth date are exact
    text = header("Quillon, Marta", "4471293", "04/09/1961")
    ex = read("Quillon", "Marta", date(1961, 4, 9), "F", "4471293")
    found = link(text, ex, registry)
    assert found.record is not None and found.record.id == "p-true"
    assert found.corrected_identifier
    linked, _ = apply_link(found, ex, ())
    assert linked.patient.mrn == "4471203" and "registry_mrn_corrected" in linked.flags


def test_misread_mrn_with_two_near_lookalikes_is_not_linked(tmp_path: Path) -> None:
    # a duplicate registration: same name and birth date, MRNs one digit apart
    twins = [patient("a", "5230017", "Lark", "Ada", "1970-01-01", "female"),
             patient("b", "5230019", "Lark", "Ada", "1970-01-01", "female")]
    reg = load(write_ndjson(tmp_path / "p.ndjson", twins))
    ex = read("Lark", "Ada", date(1970, 1, 1), "F", "5230018")
    assert link(header("Lark, Ada", "5230018", "01/01/1970"), ex, reg).record is None


def test_short_mrn_is_never_corrected(tmp_path: Path) -> None:
    reg = load(write_ndjson(tmp_path / "p.ndjson",
                            [patient("a", "123", "Lark", "Ada", "1970-01-01", "female")]))
    ex = read("Lark", "Ada", date(1970, 1, 1), "F", "124")
    assert link(header("Lark, Ada", "124", "01/01/1970"), ex, reg).record is None


def test_same_name_other_birth_date_is_a_conflict_not_a_link(registry: Registry) -> None:
    # the printed MRN and name are Marta's, the birth date is not hers
    text = header("Quillon, Marta", "4471203", "11/30/1961")
    ex = read("Quillon", "Marta", date(1961, 11, 30), "F", "4471203")
    found = link(text, ex, registry)
    assert found.status == "conflict" and found.record is None
    _, reasons = apply_link(found, ex, ())
    assert reasons == ("registry_conflict",)


def test_missing_patient_keeps_plain_extraction(registry: Registry) -> None:
    text = header("Penhale, Iris", "7012345", "05/06/1980")
    ex = read("Penhale", "Iris", date(1980, 5, 6), "F", "7012345")
    found = link(text, ex, registry)
    assert found.status == "no_match" and found.candidates == 0
    assert apply_link(found, ex, ("low_type_confidence",)) == (ex, ("low_type_confidence",))


def test_same_birth_date_and_sex_alone_never_link(registry: Registry) -> None:
    text = header("Penhale, Iris", "", "04/09/1961")
    assert link(text, read("Penhale", "Iris", date(1961, 4, 9), "F"), registry).record is None


def test_duplicate_records_are_ambiguous(tmp_path: Path) -> None:
    dup = [patient("a", "123456", "Lark", "Ada", "1970-01-01", "female"),
           patient("b", "123456", "Lark", "Ada", "1970-01-01", "female")]
    reg = load(write_ndjson(tmp_path / "dup.ndjson", dup))
    ex = read("Lark", "Ada", date(1970, 1, 1), "F", "123456")
    found = link(header("Lark, Ada", "123456", "01/01/1970"), ex, reg)
    assert found.status == "ambiguous"
    assert apply_link(found, ex, ())[1] == ("registry_ambiguous",)


# --- what a link does to the record ------------------------------------------------------


def test_link_fills_and_corrects_fields_and_settles_identity(registry: Registry) -> None:
    text = header("QUILLON MARTA", "4471203", "9 Apr 1961")
    ex = read("Marta", "Quillon", None, None, "7777", facility=None)  # order misread
    found = link(text, ex, registry)
    linked, reasons = apply_link(found, ex, ("identity_not_established",))
    p = linked.patient
    assert (p.family, p.given, p.birth_date, p.sex, p.mrn) == (
        "Quillon", "Marta", date(1961, 4, 9), "F", "4471203")
    assert linked.facility == "Harbor Clinic"
    assert linked.confidence["patient.mrn"] >= 0.99
    assert reasons == ()


def test_sex_contradicting_the_record_goes_to_review(registry: Registry) -> None:
    text = header("Quillon, Marta", "4471203", "04/09/1961", sex="M")
    ex = read("Quillon", "Marta", date(1961, 4, 9), "M", "4471203")
    found = link(text, ex, registry)
    assert found.record is not None and found.record.id == "p-true"
    assert apply_link(found, ex, ())[1] == ("registry_conflict_sex",)


def test_sex_misread_but_stated_in_the_text_is_corrected(registry: Registry) -> None:
    text = header("Quillon, Marta", "4471203", "04/09/1961") + "A 62-year-old female.\n"
    ex = read("Quillon", "Marta", date(1961, 4, 9), "M", "4471203")
    linked, reasons = apply_link(link(text, ex, registry), ex, ())
    assert linked.patient.sex == "F" and reasons == ()


def test_other_known_facility_on_the_page_goes_to_review(registry: Registry) -> None:
    text = header("Quillon, Marta", "4471203", "04/09/1961", clinic="Valley Hospital")
    ex = read("Quillon", "Marta", date(1961, 4, 9), "F", "4471203", facility="Valley Hospital")
    found = link(text, ex, registry)
    assert found.record is not None and found.record.id == "p-true"
    linked, reasons = apply_link(found, ex, ())
    assert reasons == ("registry_conflict_facility",)
    assert linked.facility == "Valley Hospital"  # what the page says is kept


def test_unknown_facility_reading_gives_way_to_the_mrn_issuer(registry: Registry) -> None:
    # a garbled letterhead read as a word that is no organisation of the registry
    text = header("Quillon, Marta", "4471203", "04/09/1961", clinic="Hqrb0r C1in1c")
    ex = read("Quillon", "Marta", date(1961, 4, 9), "F", "4471203", facility="Hqrb0r")
    linked, reasons = apply_link(link(text, ex, registry), ex, ())
    assert reasons == () and linked.facility == "Harbor Clinic"


# --- where the registry comes from -------------------------------------------------------


def test_registry_flag_beats_settings_for_analyze_and_ingest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chartvault.cli import _with_registry, build_parser
    from chartvault.pipeline.understand import default_registry
    from chartvault.settings import Settings

    path = write_ndjson(tmp_path / "mpi.ndjson", LOOKALIKES)
    monkeypatch.setenv("CHARTVAULT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CHARTVAULT_REGISTRY__PATH", raising=False)
    assert Settings().registry.path is None and default_registry(None) is None
    for argv in (["analyze", "scans", "--registry", str(path)],
                 ["ingest", "--registry", str(path)]):
        monkeypatch.delenv("CHARTVAULT_REGISTRY__PATH", raising=False)
        _with_registry(build_parser().parse_args(argv))
        chosen = Settings().registry.path
        assert chosen == path.resolve()
        loaded = default_registry(chosen)
        assert loaded is not None and len(loaded) == len(LOOKALIKES)


def test_registry_is_read_again_when_the_export_changes(tmp_path: Path) -> None:
    from chartvault.pipeline.understand import default_registry

    path = write_ndjson(tmp_path / "mpi.ndjson", LOOKALIKES[:2])
    first = default_registry(path)
    assert first is default_registry(path) and first is not None and len(first) == 2
    write_ndjson(path, LOOKALIKES)
    again = default_registry(path)
    assert again is not None and len(again) == len(LOOKALIKES)
