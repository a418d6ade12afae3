"""Holds, sweep, two-person approval, destruction with a canary, certificate.

Runs on a copy of the session's archive so the other e2e tests keep theirs.
"""

from __future__ import annotations

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
    from chartvault.disposition import scrub

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
