"""Release of information end to end on a real archive (SQLite catalog, local store).

Records are born-digital PDFs filed without OCR. Packages are checked with the libraries
the recipients would use: ``bagit`` validates the bag, ``fhir.resources`` parses every
resource, pdfplumber reads the combined PDF's pages and stamps, pyzipper opens the zip.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import bagit
import pdfplumber
import pytest
import pyzipper
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.patient import Patient

from chartvault.auth.errors import Forbidden
from chartvault.auth.roles import Role
from chartvault.catalog import release as rq
from chartvault.errors import IntegrityError, NotFound
from chartvault.release.model import OutOfScope, ReleaseError, Status
from chartvault.release.paper import stamp_text
from tests.support.records import file_record
from tests.support.world import World, build_world, file_doc


@dataclass
class Ctx:
    world: World
    rm: str  # records manager (TOTP session)
    arch: str
    auditor: str
    scanner: str
    auth_doc: str  # the scanned authorisation
    inside: list[str]  # patient MRN500, discharge summaries and progress notes of 2019-2021
    other_type: str  # MRN500, imaging report of 2020
    too_old: str  # MRN500, progress note of 2015
    other_patient: str  # MRN600, progress note of 2020
    out: Path


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    tmp = tmp_path_factory.mktemp("release")
    w = build_world(tmp)
    inside = [file_record(w, 1, doc_type="discharge_summary", served=date(2019, 3, 4)),
              file_record(w, 2, doc_type="progress_note", served=date(2020, 6, 1)),
              file_record(w, 3, doc_type="progress_note", served=date(2021, 12, 31))]
    c = Ctx(world=w, rm=w.person("rm1", Role.RECORDS_MANAGER),
            arch=w.person("arch1", Role.ARCHIVIST), auditor=w.person("aud1", Role.AUDITOR),
            scanner=w.person("scan1", Role.SCANNER),
            auth_doc=file_doc(w, 28, retain_until=date(2090, 1, 1)), inside=inside,
            other_type=file_record(w, 4, doc_type="imaging_report", served=date(2020, 2, 2)),
            too_old=file_record(w, 5, doc_type="progress_note", served=date(2015, 1, 1)),
            other_patient=file_record(w, 6, served=date(2020, 3, 3), mrn="MRN600",
                                      family="Otherperson"),
            out=tmp / "out")
    yield c
    w.catalog.close()


def _request(c: Ctx, **kw: object) -> str:
    args: dict[str, object] = dict(
        requester_kind="attorney", requester_name="Dana Counsel LLP", purpose="litigation",
        mrn="MRN500", date_from=date(2019, 1, 1), date_to=date(2021, 12, 31),
        doc_types=["discharge_summary", "progress_note"], authorization_doc_id=c.auth_doc)
    args.update(kw)
    req = c.world.service.release_request(c.arch, **args)  # type: ignore[arg-type]
    c.world.service.release_review(c.arch, req.request_id)
    return req.request_id


def test_fulfil_writes_a_valid_bag_a_fhir_bundle_a_stamped_pdf_and_a_zip(ctx: Ctx) -> None:
    w, rid = ctx.world, _request(ctx)
    got = w.service.release_fulfil(ctx.rm, rid, ctx.out / "full", encrypt_zip=True)
    pkg = got.package
    assert sorted(pkg.doc_ids) == sorted(ctx.inside)

    # the bag: bagit validates it, and only the scope's documents are in it
    bag = bagit.Bag(str(pkg.bag))
    bag.validate()
    assert bag.algorithms == ["sha256"]
    payload = set(bag.payload_entries())
    for doc_id in ctx.inside:
        row = w.catalog.get(doc_id)
        assert row is not None
        for name in ("original.pdf", "searchable.pdf", "metadata.json"):
            assert f"data/documents/{doc_id}/{name}" in payload
        original = (pkg.bag / "data" / "documents" / doc_id / "original.pdf").read_bytes()
        assert hashlib.sha256(original).hexdigest() == row["sha256"]
        meta = json.loads((pkg.bag / "data" / "documents" / doc_id / "metadata.json").read_text())
        assert meta["doc_id"] == doc_id and meta["mrn"] == "MRN500"
    assert "data/bundle.json" in payload
    listed = {p.split("/")[2] for p in payload if p.startswith("data/documents/")}
    assert listed == set(ctx.inside)  # nothing outside the scope

    # the FHIR bundle: every resource parses; one DocumentReference per document
    raw = json.loads((pkg.bag / "data" / "bundle.json").read_text())
    Bundle.model_validate(raw)
    kinds = [e["resource"]["resourceType"] for e in raw["entry"]]
    assert kinds == ["Patient"] + ["DocumentReference"] * 3
    patient = Patient.model_validate(raw["entry"][0]["resource"])
    assert patient.identifier[0].value == "MRN500"
    assert patient.name[0].family == "Testperson"
    loinc = {"discharge_summary": "18842-5", "progress_note": "11506-3"}
    for entry in raw["entry"][1:]:
        ref = DocumentReference.model_validate(entry["resource"])
        row = w.catalog.get(ref.id)
        assert row is not None
        assert ref.subject.reference == raw["entry"][0]["fullUrl"]
        codes = {(c.system, c.code) for c in ref.type.coding}
        assert ("http://loinc.org", loinc[row["doc_type"]]) in codes
        assert ref.custodian.display == "Main Facility"
        assert ref.author[0].display == "Alex Carter"
        assert ref.context.period.start.isoformat() == row["service_date"].isoformat()
        for content, as_json in zip(ref.content, entry["resource"]["content"], strict=True):
            att = content.attachment
            data = (pkg.bag / "data" / att.url).read_bytes()  # relative to the bundle
            assert att.size == len(data)
            digest = hashlib.sha1(data).digest()
            assert as_json["attachment"]["hash"] == base64.b64encode(digest).decode()
            assert att.hash == digest  # fhir.resources decodes base64Binary
            assert att.contentType == "application/pdf"

    # the combined PDF: cover + every page, each stamped with the request and its number
    assert pkg.pdf is not None
    sources = sum(len(pdfplumber.open(pkg.bag / "data" / "documents" / d / "original.pdf")
                      .pages) for d in ctx.inside)
    with pdfplumber.open(pkg.pdf) as pdf:
        total = len(pdf.pages)
        assert total == sources + 1 == pkg.pages
        texts = [p.extract_text() or "" for p in pdf.pages]
    for n, text in enumerate(texts, start=1):
        assert stamp_text(rid, n, total) in text
    assert "Dana Counsel LLP" in texts[0] and "litigation" in texts[0]
    assert f"{sources} record page(s)" in texts[0]

    # the encrypted zip opens with the passphrase only
    assert pkg.zip is not None and got.passphrase
    with pyzipper.AESZipFile(pkg.zip) as zf:
        name = f"{pkg.bag.name}/data/bundle.json"
        with pytest.raises(RuntimeError):
            zf.read(name, pwd=b"wrong passphrase")
        assert zf.read(name, pwd=got.passphrase.encode()) == (
            pkg.bag / "data" / "bundle.json").read_bytes()

    # audited, the request closed, the disclosure recorded
    ev = [e for e in w.events() if e["action"] == "release_fulfil" and e["outcome"] == "ok"
          and e["detail"].get("request_id") == rid]
    assert len(ev) == 1 and sorted(ev[0]["doc_ids"]) == sorted(ctx.inside)
    assert w.service.release_show(ctx.rm, rid).request.status == Status.FULFILLED


def test_a_tampered_bag_fails_validation(ctx: Ctx) -> None:
    rid = _request(ctx, doc_types=["discharge_summary"])
    pkg = ctx.world.service.release_fulfil(ctx.rm, rid, ctx.out / "tamper",
                                           paper_copy=False).package
    bagit.Bag(str(pkg.bag)).validate()
    victim = pkg.bag / "data" / "documents" / ctx.inside[0] / "metadata.json"
    victim.write_text(victim.read_text().replace("MRN500", "MRN501"))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(pkg.bag)).validate()


def test_a_document_outside_the_scope_cannot_be_released(ctx: Ctx) -> None:
    w = ctx.world
    rid = _request(ctx)
    for outside in (ctx.other_type, ctx.too_old, ctx.other_patient):
        before = w.last_seq()
        with pytest.raises(OutOfScope):
            w.service.release_fulfil(ctx.rm, rid, ctx.out / "refused",
                                     doc_ids=[ctx.inside[0], outside])
        refused = w.events(before)
        assert [(e["action"], e["outcome"], e["detail"]["why"]) for e in refused] == [
            ("release_fulfil", "refused", "out_of_scope")]
        assert refused[0]["detail"]["outside"] == [outside]
    assert not (ctx.out / "refused").exists()
    shown = w.service.release_show(ctx.rm, rid)
    assert shown.request.status == Status.IN_REVIEW and not shown.disclosures
    assert sorted(shown.in_scope) == sorted(ctx.inside)
    # the part of the scope asked for is what goes out
    got = w.service.release_fulfil(ctx.rm, rid, ctx.out / "part", doc_ids=[ctx.inside[1]],
                                   paper_copy=False)
    assert got.package.doc_ids == (ctx.inside[1],)


def test_the_accounting_lists_exactly_the_releases_made(ctx: Ctx, tmp_path: Path) -> None:
    w = ctx.world
    # a fresh patient, so the other tests' releases do not count here
    mine = [file_record(w, 20 + i, mrn="MRN700", served=date(2022, 1, 1 + i)) for i in range(3)]
    other = file_record(w, 30, mrn="MRN701", served=date(2022, 2, 2))
    made = []
    for kind, docs in (("patient", mine[:1]), ("payer", mine[1:])):
        rid = _request(ctx, mrn="MRN700", requester_kind=kind, requester_name=f"{kind} A",
                       purpose=f"{kind} purpose", date_from=None, date_to=None, doc_types=[],
                       authorization_doc_id=None if kind == "patient" else ctx.auth_doc)
        got = w.service.release_fulfil(ctx.rm, rid, tmp_path / rid, doc_ids=docs,
                                       paper_copy=False)
        made.append((got.disclosure_id, f"{kind} A", kind, sorted(docs)))
    denied = _request(ctx, mrn="MRN700", doc_types=[], date_from=None, date_to=None)
    w.service.release_deny(ctx.rm, denied, "authorisation expired")
    rid = _request(ctx, mrn="MRN701", doc_types=[], date_from=None, date_to=None)
    w.service.release_fulfil(ctx.rm, rid, tmp_path / rid, paper_copy=False)
    with w.catalog.transaction() as conn:  # seven years ago: outside the accounting
        rq.add_disclosure(conn, {
            "disclosure_id": "ds-old", "request_id": "rq-old",
            "disclosed_at": datetime.now(UTC) - timedelta(days=7 * 365), "disclosed_by": "x",
            "recipient": "Old Recipient", "recipient_kind": "payer", "facility": "Main Facility",
            "mrn": "MRN700", "purpose": "old", "description": "1 document(s)",
            "doc_ids": [mine[0]], "packages": {}})

    report = w.service.disclosure_accounting(ctx.auditor, "MRN700")
    rows = list(csv.DictReader(io.StringIO(report.csv())))
    assert [(r["disclosure_id"], r["recipient"], r["recipient_kind"],
             sorted(r["documents"].split())) for r in rows] == made
    assert [r["purpose"] for r in rows] == ["patient purpose", "payer purpose"]
    assert rows[1]["description"] == "2 document(s): progress_note, 2022-01-02 to 2022-01-03"
    assert other not in report.csv()
    with pdfplumber.open(io.BytesIO(report.pdf())) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert all(m[0] in text for m in made) and "ds-old" not in text
    assert w.last_event()["action"] == "disclosure_accounting"
    assert "MRN700" not in json.dumps(w.last_event()["detail"])  # ids and hashes only


def test_the_access_report_lists_every_read_of_the_patients_documents(ctx: Ctx) -> None:
    w = ctx.world
    doc = file_record(w, 50, mrn="MRN800", served=date(2023, 5, 5))
    stranger = file_record(w, 51, mrn="MRN801", served=date(2023, 5, 5))
    w.service.show(ctx.auditor, doc)
    w.service.retrieve(ctx.auditor, doc, ctx.out / "a.pdf")
    w.service.show(ctx.auditor, stranger)
    report = w.service.access_report(ctx.rm, "MRN800")
    rows = list(csv.DictReader(io.StringIO(report.csv())))
    assert [(r["actor"], r["action"], r["documents"]) for r in rows] == [
        ("aud1", "view_manifest", doc), ("aud1", "retrieve", doc)]


def test_requests_list_due_soon_first_and_deny_needs_a_reason(ctx: Ctx) -> None:
    w = ctx.world
    today = w.service.clock().date()
    late = w.service.release_request(ctx.arch, requester_kind="patient", requester_name="P",
                                     purpose="own copy", mrn="MRN500",
                                     due_date=today + timedelta(days=20))
    soon = w.service.release_request(ctx.arch, requester_kind="patient", requester_name="P",
                                     purpose="own copy", mrn="MRN500",
                                     due_date=today + timedelta(days=2))
    default = w.service.release_request(ctx.arch, requester_kind="patient",
                                        requester_name="P", purpose="own copy", mrn="MRN500")
    assert default.due_date == today + timedelta(days=30)  # HIPAA 164.524 by default
    with pytest.raises(ReleaseError):
        w.service.release_deny(ctx.rm, late.request_id, "  ")
    w.service.release_deny(ctx.rm, late.request_id, "not the patient's signature")
    listed = [r.request_id for r in w.service.release_requests(ctx.arch)]
    open_ids = [r.request_id for r in w.service.release_requests(ctx.arch)
                if r.status.value in ("received", "in_review")]
    assert listed[:len(open_ids)] == open_ids  # open ones first
    assert open_ids.index(soon.request_id) < open_ids.index(default.request_id)
    assert listed.index(late.request_id) >= len(open_ids)
    denied = w.service.release_show(ctx.arch, late.request_id).request
    assert denied.status == Status.DENIED and denied.status_reason == \
        "not the patient's signature"
    with pytest.raises(ReleaseError):  # closed: no second decision
        w.service.release_deny(ctx.rm, late.request_id, "again")


def test_requests_are_checked_as_they_come_in(ctx: Ctx) -> None:
    svc = ctx.world.service
    base = dict(requester_name="X", purpose="p", mrn="MRN500")
    with pytest.raises(ReleaseError, match="authorisation"):
        svc.release_request(ctx.arch, requester_kind="attorney", **base)  # type: ignore[arg-type]
    with pytest.raises(ReleaseError, match="not an archived document"):
        svc.release_request(ctx.arch, requester_kind="court", authorization_doc_id="nope",
                            **base)  # type: ignore[arg-type]
    with pytest.raises(ReleaseError, match="unknown document type"):
        svc.release_request(ctx.arch, requester_kind="patient", doc_types=["recipe"],
                            **base)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        svc.release_request(ctx.arch, requester_kind="patient", requester_name="X",
                            purpose="p", mrn="NOSUCH")
    rid = svc.release_request(ctx.arch, requester_kind="patient", **base).request_id  # type: ignore[arg-type]
    with pytest.raises(ReleaseError, match="only a request in review"):
        svc.release_fulfil(ctx.rm, rid, ctx.out / "early")


@pytest.mark.parametrize("who", ["arch", "auditor", "scanner"])
def test_only_a_records_manager_fulfils_and_refusals_are_audited(ctx: Ctx, who: str) -> None:
    w = ctx.world
    rid = _request(ctx)
    bearer = getattr(ctx, who)
    user = {"arch": "arch1", "auditor": "aud1", "scanner": "scan1"}[who]
    before = w.last_seq()
    with pytest.raises(Forbidden):
        w.service.release_fulfil(bearer, rid, ctx.out / f"no-{who}")
    with pytest.raises(Forbidden):
        w.service.release_deny(bearer, rid, "no")
    events = [(e["actor"], e["action"], e["outcome"], e["detail"]["why"],
               e["detail"].get("request_id")) for e in w.events(before)]
    assert events == [(user, "release_fulfil", "refused", "role", rid)] * 2
    assert not (ctx.out / f"no-{who}").exists()
    assert w.service.release_show(ctx.rm, rid).request.status == Status.IN_REVIEW


def test_a_damaged_original_stops_the_release_and_leaves_no_package(ctx: Ctx) -> None:
    w = ctx.world
    good = file_record(w, 60, mrn="MRN950", served=date(2024, 1, 1))
    bad = file_record(w, 61, mrn="MRN950", served=date(2024, 1, 2))
    row = w.catalog.get(bad)
    assert row is not None
    stored = w.store.root / row["original_key"]  # the local store's file, damaged on disk
    stored.chmod(0o600)
    stored.write_bytes(stored.read_bytes().replace(b"%%EOF", b"%%EOX"))
    rid = _request(ctx, mrn="MRN950", doc_types=[], date_from=None, date_to=None)
    with pytest.raises(IntegrityError):
        w.service.release_fulfil(ctx.rm, rid, ctx.out / "damaged")
    assert list((ctx.out / "damaged").iterdir()) == []  # nothing half-written left
    shown = w.service.release_show(ctx.rm, rid)
    assert shown.request.status == Status.IN_REVIEW and not shown.disclosures
    assert good in shown.in_scope


def test_a_request_whose_authorisation_is_gone_is_not_fulfilled(ctx: Ctx) -> None:
    from sqlalchemy import update

    from chartvault.catalog.schema import documents

    w = ctx.world
    auth = file_record(w, 70, mrn="MRN960", doc_type="correspondence")
    file_record(w, 71, mrn="MRN960", served=date(2024, 3, 3))
    rid = _request(ctx, mrn="MRN960", doc_types=[], date_from=None, date_to=None,
                   authorization_doc_id=auth)
    with w.catalog.transaction() as conn:  # as a disposition leaves its tombstone row
        conn.execute(update(documents).where(documents.c.doc_id == auth)
                     .values(status="destroyed"))
    before = w.last_seq()
    with pytest.raises(ReleaseError, match="no longer archived"):
        w.service.release_fulfil(ctx.rm, rid, ctx.out / "no-auth")
    [event] = w.events(before)
    assert (event["outcome"], event["detail"]["why"]) == ("refused", "authorization_gone")
