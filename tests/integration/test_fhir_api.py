"""The FHIR read API over a real uvicorn server, read with a real FHIR client (fhirpy).

An EHR's account holds role ``ehr`` only and presents an API token scoped to it. Every
read is audited; a token of a role without ``fhir_read`` gets 403, audited too.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.patient import Patient
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ForbiddenError

from chartvault.auth.roles import Role
from tests.support.records import file_record
from tests.support.web import serving
from tests.support.world import World, build_world


@dataclass
class Api:
    world: World
    base: str
    ehr_token: str
    auditor_token: str
    docs: dict[str, str]  # name -> doc id (patient MRN900)
    stranger: str  # another patient's document


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    w = build_world(tmp_path_factory.mktemp("fhir"))
    docs = {"dc2019": file_record(w, 1, doc_type="discharge_summary", served=date(2019, 4, 1),
                                  mrn="MRN900"),
            "pn2020": file_record(w, 2, doc_type="progress_note", served=date(2020, 5, 6),
                                  mrn="MRN900"),
            "pn2022": file_record(w, 3, doc_type="progress_note", served=date(2022, 7, 8),
                                  mrn="MRN900")}
    stranger = file_record(w, 4, served=date(2020, 5, 6), mrn="MRN901", family="Otherperson")
    ehr = w.person("ehr.system", Role.EHR)
    aud = w.person("aud1", Role.AUDITOR)
    ehr_token = w.service.create_token(ehr, Role.EHR, days=1, label="EHR").bearer
    auditor_token = w.service.create_token(aud, Role.AUDITOR, days=1).bearer
    with serving(w) as url:
        yield Api(w, url, ehr_token, auditor_token, docs, stranger)
    w.catalog.close()


def _client(api: Api, token: str) -> SyncFHIRClient:
    return SyncFHIRClient(f"{api.base}/fhir", authorization=f"Bearer {token}")


def _patient_id(api: Api) -> str:
    found = _client(api, api.ehr_token).resources("Patient").search(
        identifier="MRN900").fetch()
    assert len(found) == 1
    return str(found[0].id)


def test_patient_by_identifier(api: Api) -> None:
    client = _client(api, api.ehr_token)
    before = api.world.last_seq()
    found = client.resources("Patient").search(identifier="MRN900").fetch()
    assert len(found) == 1
    pat = Patient.model_validate(found[0].serialize())
    assert pat.name[0].family == "Testperson" and str(pat.birthDate) == "1970-01-02"
    assert pat.identifier[0].value == "MRN900"
    assert "MRN900" not in str(pat.id)  # no MRN in URLs
    system = pat.identifier[0].system
    assert len(client.resources("Patient").search(identifier=f"{system}|MRN900").fetch()) == 1
    assert client.resources("Patient").search(identifier="urn:other|MRN900").fetch() == []
    assert client.resources("Patient").search(identifier="MRN999").fetch() == []
    reads = [e for e in api.world.events(before) if e["action"] == "fhir_read"]
    assert [(e["actor"], e["detail"]["resource"], e["detail"]["hits"]) for e in reads] == [
        ("ehr.system", "Patient", 1), ("ehr.system", "Patient", 1),
        ("ehr.system", "Patient", 0), ("ehr.system", "Patient", 0)]


def test_document_reference_search_by_patient_type_and_date(api: Api) -> None:
    client = _client(api, api.ehr_token)
    pid = _patient_id(api)
    docs = client.resources("DocumentReference").search(patient=pid).fetch()
    assert {d.id for d in docs} == set(api.docs.values())  # not the other patient's
    for d in docs:
        ref = DocumentReference.model_validate(d.serialize())
        assert ref.subject.reference == f"Patient/{pid}"
    notes = client.resources("DocumentReference").search(
        patient=pid, type="http://loinc.org|11506-3").fetch()
    assert {d.id for d in notes} == {api.docs["pn2020"], api.docs["pn2022"]}
    in_2020 = client.resources("DocumentReference").search(
        patient=pid, type="11506-3", date="2020").fetch()
    assert [d.id for d in in_2020] == [api.docs["pn2020"]]
    since = client.resources("DocumentReference").search(
        patient=f"Patient/{pid}", date=["ge2019-06-01", "lt2022-07-08"]).fetch()
    assert [d.id for d in since] == [api.docs["pn2020"]]
    before = api.world.last_seq()
    raw = httpx.get(f"{api.base}/fhir/DocumentReference", params={"patient": pid},
                    headers={"Authorization": f"Bearer {api.ehr_token}"})
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/fhir+json"
    Bundle.model_validate(raw.json())
    [read] = [e for e in api.world.events(before) if e["action"] == "fhir_read"]
    assert sorted(read["doc_ids"]) == sorted(api.docs.values())


def test_binary_is_the_original_with_the_attachments_hash(api: Api) -> None:
    client = _client(api, api.ehr_token)
    pid = _patient_id(api)
    [ref] = client.resources("DocumentReference").search(patient=pid, date="2019").fetch()
    att = ref["content"][0]["attachment"]
    assert att["url"] == f"Binary/{ref.id}"
    binary = client.reference("Binary", ref.id).to_resource()
    data = base64.b64decode(binary["data"])
    row = api.world.catalog.get(str(ref.id))
    assert row is not None
    assert hashlib.sha256(data).hexdigest() == row["sha256"]
    assert att["size"] == len(data)
    assert att["hash"] == base64.b64encode(hashlib.sha1(data).digest()).decode()
    raw = httpx.get(f"{api.base}/fhir/Binary/{ref.id}",
                    headers={"Authorization": f"Bearer {api.ehr_token}", "Accept": "*/*"})
    assert raw.headers["content-type"] == "application/pdf" and raw.content == data
    missing = httpx.get(f"{api.base}/fhir/Binary/nosuchdoc",
                        headers={"Authorization": f"Bearer {api.ehr_token}"})
    assert missing.status_code == 404


def test_a_role_without_fhir_read_gets_403_and_the_refusal_is_audited(api: Api) -> None:
    before = api.world.last_seq()
    with pytest.raises(ForbiddenError):
        _client(api, api.auditor_token).resources("Patient").search(
            identifier="MRN900").fetch()
    raw = httpx.get(f"{api.base}/fhir/Binary/{api.stranger}",
                    headers={"Authorization": f"Bearer {api.auditor_token}"})
    assert raw.status_code == 403
    assert httpx.get(f"{api.base}/fhir/Patient", params={"identifier": "MRN900"}
                     ).status_code == 401
    refused = [(e["actor"], e["action"], e["outcome"], e["detail"]["why"])
               for e in api.world.events(before)]
    assert refused == [("aud1", "fhir_read", "refused", "role")] * 2


def test_capability_statement(api: Api) -> None:
    meta = httpx.get(f"{api.base}/fhir/metadata").json()
    assert meta["resourceType"] == "CapabilityStatement"
    kinds = {r["type"] for r in meta["rest"][0]["resource"]}
    assert kinds == {"Patient", "DocumentReference", "Binary"}
