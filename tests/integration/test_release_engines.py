"""Release of information on both catalog engines (SQLite and a real PostgreSQL server):
the upserts of FHIR patient ids and SHA-1s, the request states and the accounting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import bagit

from chartvault.auth.roles import Role
from chartvault.release.model import Status
from tests.support.records import file_record
from tests.support.world import build_world


def test_release_and_fhir_reads_on_each_engine(tmp_path: Path, catalog_url: str) -> None:
    w = build_world(tmp_path, catalog_url)
    try:
        docs = [file_record(w, i, served=date(2021, 1, i), mrn="MRN31") for i in (1, 2)]
        rm = w.person("rm1", Role.RECORDS_MANAGER)
        ehr = w.person("ehr1", Role.EHR)
        req = w.service.release_request(rm, requester_kind="patient", requester_name="P",
                                        purpose="own copy", mrn="mrn-31")
        assert req.scope.mrn == "MRN31"
        w.service.release_review(rm, req.request_id)
        got = w.service.release_fulfil(rm, req.request_id, tmp_path / "out", paper_copy=False)
        bagit.Bag(str(got.package.bag)).validate()
        assert w.service.release_show(rm, req.request_id).request.status == Status.FULFILLED
        [row] = w.service.disclosure_accounting(rm, "MRN31").rows
        assert sorted(row[5].split()) == sorted(docs)
        for _ in range(2):  # first read remembers the id and the SHA-1s, the second reuses
            pats = w.service.fhir_patients(ehr, "MRN31", "http://h/fhir")
            pid = pats["entry"][0]["resource"]["id"]
            refs = w.service.fhir_document_references(ehr, "http://h/fhir", patient=pid)
            assert {e["resource"]["id"] for e in refs["entry"]} == set(docs)
        hashes = {e["resource"]["content"][0]["attachment"]["hash"] for e in refs["entry"]}
        assert len(hashes) == 2
    finally:
        w.catalog.close()
