"""Holds, sweep, two-person approval, destruction with a canary, certificate.

Runs on a copy of the session's archive so the other e2e tests keep theirs.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from chartvault.catalog import Catalog, SearchCriteria
from chartvault.catalog.schema import documents
from chartvault.disposition import DispositionError, approve, execute, sweep
from chartvault.holds import add_hold, release_hold
from chartvault.settings import Settings
from storage.factory import open_store
from storage.local import LocalObjectStore
from tests.e2e.conftest import CANARY, Archive

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

# the object store's clock in tests that stand after every Object Lock retain-until; the
# catalog's retain-until is moved into the past, plans are made as of today
LATER = datetime(2100, 1, 2, tzinfo=UTC)


@pytest.fixture
def copy(archive: Archive, tmp_path: Path) -> Settings:
    dest = tmp_path / "data"
    shutil.copytree(archive.data_dir, dest, symlinks=True)
    return Settings(data_dir=dest, user="records.manager")


def _expire(catalog: Catalog, doc_ids: list[str]) -> None:
    with catalog.transaction() as conn:
        conn.execute(update(documents).where(documents.c.doc_id.in_(doc_ids))
                     .values(retain_until=date(2000, 1, 1), disposition="destroy"))


def test_destroy_leaves_no_trace_of_the_canary(copy: Settings) -> None:
    catalog = Catalog(copy.sqlalchemy_url)
    # the store's clock stands after every retain-until (Object Lock would refuse before)
    store = LocalObjectStore(copy.objects_dir, clock=lambda: LATER)
    hits = catalog.search(SearchCriteria(name=CANARY))
    assert hits, "canary must be archived first"
    canary_id = hits[0].row["doc_id"]
    others = [h.row["doc_id"] for h in catalog.search(SearchCriteria(text="patient"))
              if h.row["doc_id"] != canary_id][:1]
    _expire(catalog, [canary_id])
    held = others[0] if others else None
    if held:
        _expire(catalog, [held])
        add_hold(catalog, store, actor="counsel", case_name="Case 1", reason="litigation",
                 doc_id=held)
    plan = sweep(catalog, date.today(), "svc:scheduler")
    with pytest.raises(DispositionError):
        approve(catalog, plan, "svc:scheduler")
    approve(catalog, plan, "records.manager")
    report = execute(catalog, store, plan, "svc:retention-execute", copy.data_dir, now=LATER)
    assert canary_id in report.done
    assert held not in report.done
    catalog.close()

    needles = [CANARY.encode(), CANARY.upper().encode(), CANARY.lower().encode()]
    from chartvault.catalog.disposition import scrub

    scrub(Catalog(copy.sqlalchemy_url))
    offenders = []
    for path in copy.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                offenders.append(str(path.relative_to(copy.data_dir)))
    assert offenders == []
    with sqlite3.connect(copy.data_dir / "catalog.db") as db:
        row = db.execute("SELECT status, patient_family, mrn FROM documents WHERE doc_id=?",
                         (canary_id,)).fetchone()
    assert row == ("destroyed", None, None)  # the tombstone, without patient data


def test_hold_blocks_then_release_allows(copy: Settings) -> None:
    catalog = Catalog(copy.sqlalchemy_url)
    store = open_store(copy)
    doc_id = catalog.search(SearchCriteria(name=CANARY))[0].row["doc_id"]
    h = add_hold(catalog, store, actor="counsel", case_name="C", reason="r", doc_id=doc_id)
    _expire(catalog, [doc_id])
    assert sweep(catalog, date.today()) and _planned(catalog, doc_id) is False
    release_hold(catalog, store, h.hold_id, "counsel")
    plan = sweep(catalog, date.today())
    with catalog.engine.connect() as conn:
        from chartvault.catalog.schema import disposition_items

        ids = [r[0] for r in conn.execute(select(disposition_items.c.doc_id).where(
            disposition_items.c.plan_id == plan))]
    assert doc_id in ids


def _planned(catalog: Catalog, doc_id: str) -> bool:
    from chartvault.catalog.schema import disposition_items

    with catalog.engine.connect() as conn:
        return conn.execute(select(disposition_items).where(
            disposition_items.c.doc_id == doc_id)).first() is not None


class _CrashingStore:
    """The real store, but the process "dies" at the n-th delete (a fault we cannot
    provoke for real in a test: power loss in the middle of a destruction run)."""

    def __init__(self, inner: LocalObjectStore, crash_at: int) -> None:
        self.inner, self.left = inner, crash_at
        self.name = inner.name

    def __getattr__(self, item: str) -> object:
        return getattr(self.inner, item)

    def delete(self, key: str) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt("simulated crash")
        self.inner.delete(key)


def test_destruction_resumes_after_a_crash(copy: Settings) -> None:
    catalog = Catalog(copy.sqlalchemy_url)
    later = LocalObjectStore(copy.objects_dir, clock=lambda: LATER)
    with catalog.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(documents.c.doc_id)
                                          .where(documents.c.status == "archived"))][:3]
    _expire(catalog, ids)
    plan = sweep(catalog, date.today(), "svc:scheduler")
    approve(catalog, plan, "records.manager")
    with pytest.raises(KeyboardInterrupt):
        execute(catalog, _CrashingStore(later, crash_at=6), plan,  # type: ignore[arg-type]
                "svc:retention-execute", copy.data_dir, now=LATER)
    report = execute(catalog, later, plan, "svc:retention-execute", copy.data_dir, now=LATER)
    assert set(ids) <= set(report.done)
    for doc_id in report.done + report.purged:  # every planned record ends disposed of
        row = catalog.get(doc_id)
        assert row is not None and row["status"] in ("destroyed", "purged")
    for doc_id in ids:
        assert list(later.list(f"records/{doc_id}/")) == []
        assert later.head(f"tombstones/{doc_id}.json") is not None
        row = catalog.get(doc_id)
        assert row is not None and row["status"] == "destroyed" and row["mrn"] is None


def test_patient_hold_covers_a_document_ingested_later(
        copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.ingest
    from chartvault.holds import is_held
    from chartvault.synth.content import make_document
    from chartvault.synth.render import render

    catalog = Catalog(copy.sqlalchemy_url)
    store = open_store(copy)
    patient = catalog.search(SearchCriteria(name=CANARY))[0].row
    held = add_hold(catalog, store, actor="counsel", case_name="Case 2", reason="litigation",
                    mrn=patient["mrn"], facility=patient["facility"])
    assert held.doc_ids
    # a new chart for the same patient arrives after the hold was placed
    doc = make_document(4245, "discharge_summary", overrides={"patient": {
        "family": CANARY, "given": patient["patient_given"], "mrn": patient["mrn"],
        "birth_date": patient["birth_date"].isoformat()}})
    intake = copy.data_dir / "intake" / "default"
    render(doc, "pdf_text", intake / "later.pdf", seed=77)
    monkeypatch.setenv("CHARTVAULT_DATA_DIR", str(copy.data_dir))
    flows.ingest.ingest()
    ids = {h.row["doc_id"] for h in catalog.search(SearchCriteria(mrn=patient["mrn"]))}
    new = ids - set(held.doc_ids)
    assert len(new) == 1, "the later chart must be filed under the same patient"
    new_id = new.pop()
    assert is_held(catalog, new_id) and catalog.get(new_id)["legal_hold"]
    row = catalog.get(new_id)
    for key in (row["original_key"], row["manifest_key"]):
        info = store.head(key)
        assert info is not None and info.legal_hold
    # released, the hold lets go of the later document too
    release_hold(catalog, store, held.hold_id, "counsel")
    assert not is_held(catalog, new_id) and not catalog.get(new_id)["legal_hold"]


# --- plans through the real CLI, on records genuinely past retention (real clock) -------

from tests.e2e.expired import (  # noqa: E402  (fixtures used by name)
    PATIENT,
    Cli,
    expired_fixture,  # noqa: F401
    old_fixture,  # noqa: F401
    one_line,
)


def _audit(catalog: Catalog, action: str) -> list[dict[str, object]]:
    from chartvault.catalog.schema import audit_events

    with catalog.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(audit_events).where(
            audit_events.c.action == action).order_by(audit_events.c.seq)).mappings()]


def _plan_status(catalog: Catalog, plan_id: str) -> str:
    plan = catalog.plan(plan_id)
    assert plan is not None
    return str(plan["status"])


def _items(catalog: Catalog, plan_id: str) -> dict[str, str]:
    return {i["doc_id"]: i["status"] for i in catalog.plan_items(plan_id)}


def _sweep(old: Cli, *extra: str) -> str:
    code, out, err = old("records.manager", "retention", "sweep", *extra)
    assert code == 0, err
    return out.split("disposition plan ", 1)[1].split()[0]


def _ids(catalog: Catalog) -> tuple[str, list[str]]:
    """The imaging report (purge) and the patient's two notes (destroy)."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(documents.c.doc_id, documents.c.doc_type, documents.c.mrn)
                            ).all()
    imaging = [r[0] for r in rows if r[1] == "imaging_report"]
    notes = sorted(r[0] for r in rows if r[2] == PATIENT["mrn"])
    assert len(imaging) == 1 and len(notes) == 2, rows
    return imaging[0], notes


def test_plans_listed_shown_rejected_cancelled_and_every_refusal_audited(old: Cli) -> None:
    catalog = Catalog(Settings(data_dir=old.data_dir).sqlalchemy_url)
    imaging, notes = _ids(catalog)
    a = _sweep(old)
    assert set(_items(catalog, a)) == {imaging, *notes}
    code, out, _ = old("auditor", "retention", "list")
    assert code == 0 and f"{a}  planned" in out
    code, out, _ = old("auditor", "retention", "show", a)
    assert code == 0
    for doc_id in (imaging, *notes):
        (line,) = [x for x in out.splitlines() if x.startswith(doc_id)]
        assert "day(s) past" in line and " rule " in line
    assert "rule imaging-purge-10y.v1" in out and "+ 10 y = " in out  # the arithmetic
    code, out, _ = old("auditor", "retention", "show", a, "--doc", imaging, "--brief")
    assert code == 0 and out.count("\n") == 3 and "+ 10 y" not in out
    assert old("auditor", "retention", "show", a, "--doc", "nope")[0] == 3

    # the requester can neither approve nor reject: forbidden, one line, audited
    for verb in ("approve", "reject"):
        before = len(_audit(catalog, f"retention_{verb}"))
        code, _, err = old("records.manager", "retention", verb, a)
        assert code == 7 and "not permitted" in one_line(err)
        refused = _audit(catalog, f"retention_{verb}")[before:]
        assert [(e["outcome"], e["actor"], e["detail"]["why"], e["detail"]["plan_id"])  # type: ignore[index]
                for e in refused] == [("refused", "records.manager", "two_person_rule", a)]
    assert _plan_status(catalog, a) == "planned"
    code, out, _ = old("second.person", "retention", "reject", a)
    assert code == 0 and _plan_status(catalog, a) == "rejected"
    assert _audit(catalog, "retention_reject")[-1]["outcome"] == "rejected"
    code, _, err = old("second.person", "retention", "approve", a)
    assert code == 2 and "rejected" in one_line(err)

    b = _sweep(old)
    code, _, _ = old("records.manager", "retention", "cancel", b)
    assert code == 0 and _plan_status(catalog, b) == "cancelled"
    code, _, err = old("records.manager", "retention", "execute", b)
    assert code == 2 and "cancelled" in one_line(err)
    code, out, _ = old("auditor", "retention", "list", "--status", "cancelled")
    assert out.split() and out.split()[0] == b and a not in out

    # a plan as of a future date is refused before anything is written, and audited
    plans = len(catalog.plans())
    code, _, err = old("records.manager", "retention", "sweep", "--as-of", "2200-01-01")
    assert code == 2 and "later than today" in one_line(err)
    assert len(catalog.plans()) == plans
    assert _audit(catalog, "retention_sweep")[-1]["detail"]["why"] == "as_of_in_future"  # type: ignore[index]
    for record in (imaging, *notes):  # nothing happened to any record
        row = catalog.get(record)
        assert row is not None and row["status"] == "archived"


def test_execution_rechecks_each_record_before_any_side_effect(old: Cli) -> None:
    from chartvault import events
    from chartvault.catalog.rebuild import apply_event

    settings = Settings(data_dir=old.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    imaging, (extended, locked) = _ids(catalog)
    plan = _sweep(old)
    # after the sweep: one note's retention is extended (catalog, event and Object Lock),
    # the other's objects are locked longer in storage only (a catalog out of step)
    until = datetime(2090, 1, 1, tzinfo=UTC)
    event = events.retention_extended(extended, "clerk", until.date(), "adult-10y.v1",
                                      "later_encounter")
    store.put(event.key(), event.model_dump_json().encode(), content_type="application/json")
    for key in store.list(f"records/{extended}/"):
        if "/events/" not in key:
            store.extend_retention(key, until)
    with catalog.transaction() as conn:
        apply_event(conn, event)
    store.extend_retention(str(catalog.get(locked)["original_key"]), until)  # type: ignore[index]
    keys = {d: sorted(store.list(f"records/{d}/")) for d in (extended, locked)}
    copies = {d: sorted((old.data_dir / "processed").glob(f"{d}.*")) for d in keys}
    assert all(copies.values()), "the intake copies are kept until destruction"

    code, out, err = old("second.person", "retention", "approve", plan)
    assert code == 0, err
    assert '"destroyed": 0' in out and '"purged": 1' in out
    assert _items(catalog, plan) == {imaging: "done", extended: "skipped_retention",
                                     locked: "skipped_retention"}
    for doc_id in keys:  # not a byte written or removed for either
        assert store.head(f"tombstones/{doc_id}.json") is None
        assert sorted(store.list(f"records/{doc_id}/")) == keys[doc_id]
        assert sorted((old.data_dir / "processed").glob(f"{doc_id}.*")) == copies[doc_id]
        row = catalog.get(doc_id)
        assert row is not None and row["status"] == "archived" and row["mrn"]
    refused = [e for e in _audit(catalog, "disposition_item") if e["outcome"] == "refused"]
    assert sorted((e["doc_ids"][0], e["detail"]["why"]) for e in refused) == sorted(  # type: ignore[index]
        [(extended, "skipped_retention"), (locked, "skipped_retention")])
    assert _plan_status(catalog, plan) == "done"


def _break_manifest(settings: Settings, catalog: Catalog, doc_id: str) -> tuple[Path, bytes]:
    """Bit rot in one stored manifest: a real fault that makes its destruction fail."""
    path = settings.objects_dir / str(catalog.get(doc_id)["manifest_key"])  # type: ignore[index]
    data = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(b"{not json")
    return path, data


def test_failed_execution_is_resumed(old: Cli) -> None:
    settings = Settings(data_dir=old.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    imaging, (first, second) = _ids(catalog)
    plan = _sweep(old)
    path, data = _break_manifest(settings, catalog, first)
    code, _, err = old("second.person", "retention", "approve", plan)
    assert code == 5 and "resume" in one_line(err)
    assert _plan_status(catalog, plan) == "executing"
    assert _items(catalog, plan) == {imaging: "done", first: "failed", second: "done"}
    assert store.head(f"tombstones/{first}.json") is None  # failed before any write
    assert store.head(f"compliance/certificates/{plan}.pdf") is None
    code, _, err = old("second.person", "retention", "approve", plan)
    assert code == 2 and "executing" in one_line(err)
    path.write_bytes(data)  # repaired
    code, _out, err = old("records.manager", "retention", "resume", plan)
    assert code == 0, err
    assert _plan_status(catalog, plan) == "done"
    assert set(_items(catalog, plan).values()) == {"done"}
    assert store.head(f"compliance/certificates/{plan}.pdf") is not None
    cert = json.loads(store.get(f"compliance/certificates/{plan}.json"))
    assert sorted(cert["records"]["doc_ids"]) == sorted([first, second])
    dates = cert["records"]["inclusive_dates"]  # the first run's record counts too
    assert dates["from"] and dates["to"] and "2008" <= dates["from"] < dates["to"] < "2011"
    assert [e["outcome"] for e in _audit(catalog, "retention_resume")] == ["resumed"]
    # each item is audited as the person whose command ran it, not the flow's identity
    items = [e for a in ("destroy", "purge", "disposition_item") for e in _audit(catalog, a)
             if e["detail"]["plan_id"] == plan]  # type: ignore[index]
    assert sorted((e["action"], e["doc_ids"][0], e["actor"]) for e in items) == sorted([  # type: ignore[index]
        ("purge", imaging, "second.person"), ("destroy", second, "second.person"),
        ("disposition_item", first, "second.person"), ("destroy", first, "records.manager")])
    code, _, err = old("records.manager", "retention", "resume", plan)
    assert code == 2 and "done" in one_line(err)


def test_failed_execution_is_abandoned(old: Cli) -> None:
    settings = Settings(data_dir=old.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    imaging, (first, second) = _ids(catalog)
    plan = _sweep(old)
    _break_manifest(settings, catalog, first)
    assert old("second.person", "retention", "approve", plan)[0] == 5
    code, _, err = old("svc:scheduler", "retention", "abandon", plan)  # a name, no credential
    assert code == 6 and "not signed in" in one_line(err)
    code, _, err = old("auditor", "retention", "abandon", plan)  # signed in, not permitted
    assert code == 7 and "not permitted" in one_line(err)
    code, _out, err = old("records.manager", "retention", "abandon", plan)
    assert code == 0, err
    assert _plan_status(catalog, plan) == "abandoned"
    assert _items(catalog, plan) == {imaging: "done", first: "abandoned", second: "done"}
    row = catalog.get(first)
    assert row is not None and row["status"] == "archived"  # untouched, still archived
    cert = json.loads(store.get(f"compliance/certificates/{plan}.json"))
    assert cert["records"]["doc_ids"] == [second]  # what was destroyed is certified
    assert catalog.plan(plan)["certificate_key"] == f"compliance/certificates/{plan}.pdf"  # type: ignore[index]
    dates = cert["records"]["inclusive_dates"]
    assert dates["from"] and dates["from"] == dates["to"] and "2008" <= dates["from"] < "2011"
    audits = _audit(catalog, "retention_abandon")
    # (the refusals above were no credential, and a role: audited as retention_execute)
    assert [e["outcome"] for e in audits] == ["abandoned"]
    for verb in ("resume", "abandon", "execute"):
        code, _, err = old("records.manager", "retention", verb, plan)
        assert code == 2 and "abandoned" in one_line(err)
