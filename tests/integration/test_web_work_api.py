"""The work side's JSON routes over a real HTTP server: intake status, quarantine release
and purge, the review queue with corrections, a plan's items. Each works for its role
and is refused (403, audited) for the others; corrections are event objects that
``catalog rebuild`` replays and labelled examples that ``train`` reads."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from chartvault.auth.roles import Action, Role
from chartvault.catalog import Catalog, worklists
from chartvault.errors import ObjectExists
from chartvault.events import RecordEvent
from chartvault.labels import labels_path
from chartvault.pipeline.batch import IngestRun
from chartvault.settings import RegistrySettings
from classifiers.doctype import labelled_pairs
from tests.support.quarantine import intake, quarantine_file
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc, password_of


@dataclass
class Api:
    world: World
    url: str
    bearers: dict[str, str]
    flagged: list[str]
    filed: str

    def call(self, method: str, path: str, who: str | None = None,
             **kw: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.bearers[who]}"} if who else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=60,
                             **kw)  # type: ignore[arg-type]

    def refused(self, method: str, path: str, who: str, **kw: object) -> None:
        """403 with nothing said, and a refused audit event naming the caller."""
        before = self.world.last_seq()
        r = self.call(method, path, who, **kw)
        assert r.status_code == 403, r.text
        assert r.json() == {"error": "forbidden", "message": "not permitted"}
        refusals = [e for e in self.world.events(before) if e["outcome"] == "refused"]
        assert refusals and refusals[-1]["actor"] == self.bearers_name(who)
        assert any(a.value == refusals[-1]["action"] for a in Action)

    @staticmethod
    def bearers_name(who: str) -> str:
        return who if who == "admin" else who + "1"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    w = build_world(tmp_path_factory.mktemp("workapi"))
    filed = file_doc(w, 1, retain_until=date(2090, 1, 1))
    flagged = [file_doc(w, n, retain_until=date(2090, 1, 1), review=True) for n in (2, 3, 4)]
    bearers = {r.value: w.person(r.value + "1", r, intakes=("default",)) for r in Role
               if r is not Role.ADMIN}
    bearers["admin"] = w.admin
    with serving(w) as url:
        yield Api(w, url, bearers, flagged, filed)


# --- intake status ---------------------------------------------------------------------


def test_intake_status_counts_waiting_files_and_batches_with_speed(api: Api) -> None:
    quarantine_file(api.world, "status/Doe John.pdf")
    (api.world.settings.intake_path(intake(api.world, "default")) / "waiting.pdf").write_bytes(
        b"%PDF-1.4\n")
    r = api.call("GET", "/api/v1/intake/status", "scanner")
    assert r.status_code == 200, r.text
    body = r.json()
    line = next(i for i in body["intakes"] if i["name"] == "default")
    assert line["yours"] is True
    assert line["settling"] + line["waiting"] == 1  # the new file, not yet settled
    assert line["quarantined_open"] >= 1
    assert body["review_backlog"] >= 1
    batch = body["batches"][0]
    assert batch["counts"]["quarantined"] == 1 and batch["seconds"] is not None
    assert "Doe" not in r.text  # counts only: no file names on the status
    (api.world.settings.intake_path(intake(api.world, "default")) / "waiting.pdf").unlink()
    api.refused("GET", "/api/v1/intake/status", "legal")
    api.refused("GET", "/api/v1/intake/status", "admin")


# --- quarantine ------------------------------------------------------------------------


def test_quarantine_entries_show_reason_and_name_to_their_own_scanner_only(api: Api) -> None:
    mine = quarantine_file(api.world, "Garcia Laura scan.pdf")
    theirs = quarantine_file(api.world, "Other Ward Patient.pdf", intake_name="ward")
    everything = api.call("GET", "/api/v1/quarantine/entries", "archivist").json()
    ids = {e["quarantine_id"] for e in everything["entries"]}
    assert {mine, theirs} <= ids and everything["own_only"] is False
    own = api.call("GET", "/api/v1/quarantine/entries", "scanner").json()
    assert own["own_only"] is True
    got = {e["quarantine_id"]: e for e in own["entries"]}
    assert mine in got and theirs not in got
    entry = got[mine]["entry"]
    assert entry["original_name"] == "Garcia Laura scan.pdf"
    assert entry["explanation"] == "the file looks half-written (truncated)"
    ev = api.world.last_event()
    assert ev["action"] == "quarantine_list" and "Garcia" not in json.dumps(ev, default=str)
    api.refused("GET", "/api/v1/quarantine/entries", "legal")
    api.refused("GET", "/api/v1/quarantine/entries", "auditor")


def test_release_puts_the_file_back_and_the_next_run_takes_it(api: Api) -> None:
    qid = quarantine_file(api.world, "retry/Smith Anna.pdf")
    api.refused("POST", f"/api/v1/quarantine/{qid}/release", "scanner", json={})
    r = api.call("POST", f"/api/v1/quarantine/{qid}/release", "archivist",
                 json={"note": "rescanned page 2"})
    assert r.status_code == 200, r.text
    folder = api.world.settings.intake_path(intake(api.world, "default"))
    assert (folder / "retry" / "Smith Anna.pdf").read_bytes() == b"%PDF-1.4\n% damaged\n"
    ev = api.world.last_event()
    assert (ev["action"], ev["actor"], ev["detail"]["quarantine_id"]) == (
        "quarantine_release", "archivist1", qid)
    assert "Smith" not in json.dumps(ev, default=str)
    open_ids = {e["quarantine_id"] for e in api.call(
        "GET", "/api/v1/quarantine/entries", "archivist").json()["entries"]}
    assert qid not in open_ids
    done = api.call("GET", "/api/v1/quarantine/entries", "archivist",
                    params={"resolved": "true"}).json()["entries"]
    assert next(e for e in done if e["quarantine_id"] == qid)["entry"]["resolution"][
        "action"] == "released"
    again = api.call("POST", f"/api/v1/quarantine/{qid}/release", "archivist", json={})
    assert again.status_code == 400 and "handled already" in again.json()["message"]
    run = IngestRun(api.world.settings, intake(api.world, "default"), api.world.store,
                    api.world.catalog)
    claims = run.claim_all()
    assert [c.info()["original_name"] for c in claims] == ["retry/Smith Anna.pdf"]
    for c in claims:
        run.inspect(c)  # quarantined again (the bytes are still damaged): a new entry


def test_release_refuses_an_unknown_entry_with_404(api: Api) -> None:
    r = api.call("POST", "/api/v1/quarantine/q-nothing/release", "archivist", json={})
    assert r.status_code == 404


def test_purge_needs_a_listed_reason_and_deletes_the_copy(api: Api) -> None:
    qid = quarantine_file(api.world, "Purge Me.pdf")
    with api.world.catalog.engine.connect() as conn:
        row = worklists.quarantine_entry(conn, qid)
    assert row is not None
    kept = api.world.settings.data_dir / row["folder"] / "original"
    assert kept.exists()
    bad = api.call("POST", f"/api/v1/quarantine/{qid}/purge", "archivist",
                   json={"reason": "because"})
    assert bad.status_code == 400 and kept.exists()
    api.refused("POST", f"/api/v1/quarantine/{qid}/purge", "auditor",
                json={"reason": "rescanned"})
    ok = api.call("POST", f"/api/v1/quarantine/{qid}/purge", "archivist",
                  json={"reason": "rescanned", "note": "new scan filed"})
    assert ok.status_code == 200, ok.text
    assert not kept.exists() and (kept.parent / "reason.json").exists()
    ev = api.world.last_event()
    assert (ev["action"], ev["detail"]["purge_reason"], ev["detail"]["quarantine_id"]) == (
        "quarantine_purge", "rescanned", qid)
    resolution = json.loads((kept.parent / "resolved.json").read_text())
    assert resolution["action"] == "purged" and resolution["by"] == "archivist1"


# --- review ----------------------------------------------------------------------------


def test_review_queue_pages_and_is_refused_to_others(api: Api) -> None:
    r = api.call("GET", "/api/v1/review/queue", "archivist", params={"limit": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= 1 and len(body["documents"]) == 1 and body["limit"] == 1
    assert "patient_family" not in body["documents"][0]
    assert body["batches"][0]["flagged"] >= 1
    api.refused("GET", "/api/v1/review/queue", "scanner")
    api.refused("GET", "/api/v1/review/queue", "auditor")


def test_review_item_shows_fields_and_registry_matches(api: Api, tmp_path: Path) -> None:
    doc = api.flagged[0]
    registry = tmp_path / "patients.ndjson"
    registry.write_text(json.dumps({
        "resourceType": "Patient", "id": "p1",
        "identifier": [{"system": "urn:main", "value": "MRN1002",
                        "type": {"coding": [{"code": "MR"}]}}],
        "name": [{"family": "Testperson", "given": ["Ann2"]}], "birthDate": "1970-01-02",
        "gender": "female"}) + "\n")
    api.world.settings.registry = RegistrySettings(path=registry)
    try:
        r = api.call("GET", f"/api/v1/review/{doc}", "archivist")
    finally:
        api.world.settings.registry = RegistrySettings()
    assert r.status_code == 200, r.text
    item = r.json()
    assert item["reasons"] == ["identity_not_established"]
    assert item["row"]["patient_given"] == "Ann2" and item["registry"] is True
    assert [m["mrn"] for m in item["matches"]] == ["MRN1002"]
    ev = api.world.last_event()
    assert ev["action"] == "review_open" and ev["doc_ids"] == [doc]
    # a record not under review does not open here (its patient data is an auditor's)
    assert api.call("GET", f"/api/v1/review/{api.filed}", "archivist").status_code == 403
    api.refused("GET", f"/api/v1/review/{doc}", "scanner")


def test_correction_is_an_event_that_rebuild_replays_and_train_reads(
        api: Api, tmp_path: Path) -> None:
    doc = api.flagged[1]
    api.refused("POST", f"/api/v1/review/{doc}/correct", "auditor",
                json={"patient_family": "Garcia"})
    bad = api.call("POST", f"/api/v1/review/{doc}/correct", "archivist",
                   json={"birth_date": "30/04/1964"})
    assert bad.status_code == 400 and "not a date" in bad.json()["message"]
    assert api.call("POST", f"/api/v1/review/{doc}/correct", "archivist",
                    json={"doc_type": "memo"}).status_code == 400
    r = api.call("POST", f"/api/v1/review/{doc}/correct", "archivist", json={
        "patient_family": "García", "patient_given": "Laura", "birth_date": "1964-04-30",
        "doc_type": "discharge_summary", "note": "name from the wristband label"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["kind"] == "corrected"
    assert got["changed"] == ["birth_date", "doc_type", "patient_family", "patient_given"]
    event = RecordEvent.model_validate_json(api.world.store.get(got["event_key"]))
    assert event.kind == "correction" and event.actor == "archivist1"
    assert event.data["fields"]["patient_family"] == "García"
    with pytest.raises(ObjectExists):  # write-once
        api.world.store.put(got["event_key"], b"{}", content_type="application/json")
    row = api.world.catalog.get(doc)
    assert row is not None and not row["needs_review"] and row["name_key"] == "garcia laura"
    assert row["loinc"] == "18842-5"
    ev = api.world.last_event()
    assert ev["action"] == "correct_metadata" and ev["outcome"] == "corrected"
    assert "Garc" not in json.dumps(ev, default=str)  # field names, never values
    hits = api.call("GET", "/api/v1/documents", "auditor", params={"name": "Garcia, Laura"})
    assert [d["doc_id"] for d in hits.json()["documents"]] == [doc]
    # labelled data for `chartvault train --labeled`
    pairs = labelled_pairs(labels_path(api.world.settings.data_dir))
    assert ("discharge_summary" in [t for _, t in pairs]) and all(text for text, _ in pairs)
    # storage is the source of truth: a rebuilt catalog has the correction
    target = f"sqlite:///{tmp_path / 'rebuilt.db'}"
    api.world.service.catalog_rebuild(target, api.world.settings.data_dir)
    rebuilt = Catalog(target)
    try:
        again = rebuilt.get(doc)
        assert again is not None and again["name_key"] == "garcia laura"
        assert not again["needs_review"] and again["doc_type"] == "discharge_summary"
        # handled quarantine entries (released, purged: resolved.json) stay handled
        with rebuilt.engine.connect() as conn:
            handled = {r["quarantine_id"] for r in
                       worklists.quarantine_page(conn, None, True, 0, 1000).rows}
        folders = api.world.settings.data_dir / "quarantine"
        assert handled and handled == {f.name for f in folders.iterdir()
                                       if (f / "resolved.json").exists()}
    finally:
        rebuilt.close()


def test_a_second_review_of_a_record_replaces_its_label(api: Api) -> None:
    doc = api.flagged[2]
    first = api.call("POST", f"/api/v1/review/{doc}/correct", "archivist",
                     json={"doc_type": "lab_report"})
    assert first.status_code == 200
    second = api.call("POST", f"/api/v1/review/{doc}/correct", "archivist",
                      json={"doc_type": "pathology_report"})
    assert second.status_code == 200 and second.json()["changed"] == ["doc_type"]
    lines = [json.loads(line) for line in
             labels_path(api.world.settings.data_dir).read_text().splitlines()]
    assert [x["doc_type"] for x in lines if x["doc_id"] == doc] == ["lab_report",
                                                                   "pathology_report"]
    text = (labels_path(api.world.settings.data_dir).parent / f"text/{doc}.txt").read_text()
    pairs = labelled_pairs(labels_path(api.world.settings.data_dir))
    assert [t for x, t in pairs if x == text] == ["pathology_report"]


def test_confirm_and_bulk_confirm_clear_the_flag(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    docs = [file_doc(w, n, retain_until=date(2090, 1, 1), review=True) for n in (5, 6, 7)]
    arch = w.person("arch1", Role.ARCHIVIST)
    scan = w.person("scan1", Role.SCANNER)
    with serving(w) as url:
        def call(path: str, bearer: str) -> httpx.Response:
            return httpx.post(url + path, headers={"Authorization": f"Bearer {bearer}"},
                              timeout=60)

        one = call(f"/api/v1/review/{docs[0]}/confirm", arch)
        assert one.status_code == 200 and one.json()["kind"] == "confirmed"
        assert call("/api/v1/review/batches/b-default/confirm", scan).status_code == 403
        bulk = call("/api/v1/review/batches/b-default/confirm", arch)
        assert bulk.status_code == 200, bulk.text
        assert sorted(bulk.json()["confirmed"]) == sorted(docs[1:])
        assert all(not (w.catalog.get(d) or {"needs_review": True})["needs_review"]
                   for d in docs)
        assert w.last_event()["action"] == "confirm_batch"
        empty = call("/api/v1/review/batches/b-default/confirm", arch)
        assert empty.status_code == 404


def test_correcting_the_patient_brings_the_record_under_the_patients_hold(
        tmp_path: Path) -> None:
    w = build_world(tmp_path)
    held = file_doc(w, 8, retain_until=date(2090, 1, 1), mrn="MRN777")
    doc = file_doc(w, 9, retain_until=date(2090, 1, 1), review=True)
    legal = w.person("legal1", Role.LEGAL)
    arch = w.person("arch1", Role.ARCHIVIST)
    w.service.hold_add(legal, case_name="Case 1", reason="litigation", mrn="MRN777")
    assert (w.catalog.get(held) or {})["legal_hold"] and not (w.catalog.get(doc) or {})[
        "legal_hold"]
    w.service.correct(arch, doc, {"mrn": "mrn-777"})
    row = w.catalog.get(doc)
    assert row is not None and row["mrn"] == "MRN777" and row["legal_hold"]


# --- plans -----------------------------------------------------------------------------


def test_plan_items_show_rule_and_arithmetic(api: Api) -> None:
    w = api.world
    file_doc(w, 10, retain_until=date(2001, 3, 4))
    plan_id = w.service.sweep(api.bearers["archivist"])
    r = api.call("GET", f"/api/v1/plans/{plan_id}/items", "records_manager",
                 params={"limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan"]["status"] == "planned" and body["statuses"] == {"planned": 1}
    item = body["items"][0]
    assert item["rule"] == "chartvault-default@1 rule adult-10y.v1"
    assert item["arithmetic"].startswith("retain until 2001-03-04 < as of")
    assert item["explanation"]
    assert api.call("GET", "/api/v1/plans/p-none/items", "records_manager").status_code == 404
    api.refused("GET", f"/api/v1/plans/{plan_id}/items", "legal")
    api.refused("GET", f"/api/v1/plans/{plan_id}/items", "scanner")
    w.service.cancel_plan(api.bearers["archivist"], plan_id)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/intake/status"), ("GET", "/api/v1/quarantine/entries"),
    ("POST", "/api/v1/quarantine/q-x/release"), ("POST", "/api/v1/quarantine/q-x/purge"),
    ("GET", "/api/v1/review/queue"), ("GET", "/api/v1/review/abc"),
    ("POST", "/api/v1/review/abc/correct"), ("POST", "/api/v1/review/abc/confirm"),
    ("POST", "/api/v1/review/batches/b/confirm"), ("GET", "/api/v1/plans/p/items")])
def test_every_new_route_wants_a_bearer(api: Api, method: str, path: str) -> None:
    r = api.call(method, path, json={"reason": "rescanned"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"



def test_approval_with_both_proofs_needs_both_right(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    file_doc(w, 20, retain_until=date(2001, 1, 1))
    arch = w.person("arch1", Role.ARCHIVIST)
    rm = w.person("rm1", Role.RECORDS_MANAGER)
    plan_id = w.service.sweep(arch)
    with serving(w) as url:
        def approve(body: dict[str, str]) -> httpx.Response:
            return httpx.post(url + f"/api/v1/plans/{plan_id}/approve", json=body,
                              headers={"Authorization": f"Bearer {rm}"}, timeout=60)

        wrong = approve({"password": "not my password at all", "code": w.code("rm1")})
        assert wrong.status_code == 401
        assert (w.catalog.plan(plan_id) or {})["status"] == "planned"
        refusal = [e for e in w.events() if e["outcome"] == "refused"][-1]
        assert (refusal["actor"], refusal["detail"]["why"]) == ("rm1", "bad_credentials")
    # the session survives a failed re-authentication; with both right, the plan runs
    code = None
    while code is None:  # one code per 30 s step, and the refused try used one: wait
        try:
            code = w.code("rm1")
        except AssertionError:
            time.sleep(1)
    w.service.approve_plan(rm, plan_id, password=password_of("rm1"), code=code)
    assert (w.catalog.plan(plan_id) or {})["status"] == "approved"
