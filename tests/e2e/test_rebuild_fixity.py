"""Storage is the source of truth: the catalog rebuilt from it equals the original;
fixity finds a changed object."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from chartvault.catalog import Catalog
from chartvault.catalog.rebuild import rebuild
from chartvault.catalog.schema import documents
from chartvault.fixity import verify
from chartvault.settings import Settings
from storage.factory import open_store
from tests.e2e.conftest import Archive

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

_VOLATILE = {"legal_hold"}


def _rows(catalog: Catalog) -> list[dict[str, object]]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(documents).order_by(documents.c.doc_id)).mappings().all()
    return [{k: v for k, v in r.items() if k not in _VOLATILE} for r in rows]


def test_rebuilt_catalog_equals_the_original(archive: Archive, tmp_path: Path) -> None:
    settings = Settings(data_dir=archive.data_dir)
    original = Catalog(settings.sqlalchemy_url)
    fresh = Catalog(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    fresh.create()
    report = rebuild(fresh, open_store(settings), settings.data_dir)
    assert report.complete, report.lost
    assert report.counts["documents"] == len(_rows(original)) > 0
    assert _rows(fresh) == _rows(original)
    word = "patient"
    from chartvault.catalog import SearchCriteria

    a = [h.row["doc_id"] for h in original.search(SearchCriteria(text=word))]
    b = [h.row["doc_id"] for h in fresh.search(SearchCriteria(text=word))]
    assert sorted(a) == sorted(b)


def test_fixity_passes_then_detects_a_changed_object(archive: Archive) -> None:
    settings = Settings(data_dir=archive.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    report = verify(catalog, store, "auditor")
    assert report.ok and report.documents == len(archive.truth)
    # flip one byte of one stored text object behind the store's back
    key = next(k for k in store.list("records/") if k.endswith("/text.txt"))
    path = settings.objects_dir / key
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    report = verify(catalog, store, "auditor")
    assert report.changed == [key]
    path.write_bytes(bytes(b ^ 0xFF if i == 0 else b for i, b in enumerate(data)))
    assert verify(catalog, store, "auditor").ok


def test_searchable_rendition_from_stored_words(archive: Archive) -> None:
    import io
    import json

    import pdfplumber

    from chartvault.renditions import build

    settings = Settings(data_dir=archive.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    rows = [r for r in _rows(catalog) if r["source_format"] == "pdf_scan"]
    assert rows, "the batch has scanned PDFs"
    row = rows[0]
    manifest = json.loads(store.get(str(row["manifest_key"])))
    words = [w["text"] for p in json.loads(store.get(manifest["objects"]["ocr"]["key"]))["pages"]
             for w in p["words"] if len(w["text"]) >= 6 and w["text"].isalpha()]
    key = build(catalog, store, str(row["doc_id"]), "clerk")
    with pdfplumber.open(io.BytesIO(store.get(key))) as pdf:
        assert len(pdf.pages) == row["pages"]
        text = " ".join(p.extract_text() or "" for p in pdf.pages)
    assert words and sum(w in text for w in words) >= 0.9 * len(words)  # searchable layer
    assert build(catalog, store, str(row["doc_id"]), "clerk") == key  # built once
    assert verify(catalog, store, "auditor").ok


def test_rebuild_replays_holds_extensions_and_corrections(archive: Archive,
                                                          tmp_path: Path) -> None:
    import shutil
    from datetime import date

    from chartvault import events
    from chartvault.catalog.rebuild import apply_event
    from chartvault.holds import add_hold

    data = tmp_path / "data"
    shutil.copytree(archive.data_dir, data, symlinks=True)
    settings = Settings(data_dir=data)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    ids = [r["doc_id"] for r in _rows(catalog)][:3]
    add_hold(catalog, store, actor="counsel", case_name="C-1", reason="litigation",
             doc_id=ids[0])
    for event in (events.retention_extended(ids[1], "clerk", date(2090, 1, 1), "adult-10y.v1",
                                            "later_encounter"),
                  events.correction(ids[2], "clerk", {"doc_type": "lab_report",
                                                      "patient_given": "Corrected"},
                                    "misread given name")):
        store.put(event.key(), event.model_dump_json().encode(),
                  content_type="application/json")
        with catalog.transaction() as conn:
            apply_event(conn, event)
    fresh = Catalog(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    fresh.create()
    rebuild(fresh, store)
    with catalog.engine.connect() as a, fresh.engine.connect() as b:
        q = select(documents).order_by(documents.c.doc_id)
        assert [dict(r) for r in a.execute(q).mappings()] == \
            [dict(r) for r in b.execute(q).mappings()]
    row = fresh.get(ids[0])
    assert row is not None and row["legal_hold"] is True


# --- after purges, with holds and quarantine: the real CLI on records past retention ---

from tests.e2e.expired import (  # noqa: E402  (fixtures used by name)
    PATIENT,
    Cli,
    expired_fixture,  # noqa: F401
    old_fixture,  # noqa: F401
    one_line,
)


def _doc(catalog: Catalog, doc_type: str) -> str:
    with catalog.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(documents.c.doc_id).where(
            documents.c.doc_type == doc_type))]
    assert ids, f"the expired archive must hold a {doc_type}"
    return str(ids[0])


def _table(catalog: Catalog, table: object, order: object) -> list[dict[str, object]]:
    with catalog.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(order)).mappings()]  # type: ignore[call-overload]


def _plan_of(out: str) -> str:
    return out.split("disposition plan ", 1)[1].split()[0]


def test_purge_then_verify_passes_and_rebuild_restores_holds_and_quarantine(
        old: Cli, tmp_path: Path) -> None:
    from chartvault.catalog.schema import disposition_plans, holds, quarantine

    settings = Settings(data_dir=old.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    imaging = _doc(catalog, "imaging_report")
    assert catalog.get(imaging)["disposition"] == "purge"  # type: ignore[index]
    assert old("clerk", "rendition", imaging)[0] == 0
    code, out, _ = old("clerk", "verify")
    assert code == 0 and "1 rendition(s) checked" in out, out
    # a patient hold (the patient's two notes) and a document hold set, then released
    code, out, _ = old("counsel", "hold", "add", "--patient", PATIENT["mrn"], "--case", "Case 9",
                       "--reason", "litigation")
    assert code == 0 and "on 2 document(s)" in out, out
    code, out, _ = old("counsel", "hold", "add", "--document", imaging, "--case", "Case 10",
                       "--reason", "query")
    assert code == 0
    assert old("counsel", "hold", "release", out.split()[1])[0] == 0
    assert len(catalog.quarantined()) == 1  # the corrupt file
    # an ordinary retention purge through sweep and second-person approval
    code, out, _ = old("records.manager", "retention", "sweep")
    assert code == 0
    plan = _plan_of(out)
    code, out, err = old("second.person", "retention", "approve", plan)
    assert code == 0, err
    assert '"purged": 1' in out and '"destroyed": 0' in out
    assert catalog.get(imaging)["status"] == "purged"  # type: ignore[index]
    # verify knows what the purge removed, renditions included
    code, out, _ = old("clerk", "verify", "--list-purged")
    assert code == 0, out
    purged = {line.split("purged: ", 1)[1] for line in out.splitlines() if "  purged: " in line}
    assert {f"records/{imaging}/text.txt", f"records/{imaging}/ocr.json",
            f"records/{imaging}/rendition.pdf"} <= purged
    assert "all objects intact" in out
    # a purged record's original is still checked: a changed byte is found
    original = settings.objects_dir / str(catalog.get(imaging)["original_key"])  # type: ignore[index]
    data = original.read_bytes()
    original.chmod(0o644)
    original.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])
    code, out, _ = old("clerk", "verify")
    assert code == 1 and f"changed: records/{imaging}/original" in out
    original.write_bytes(data)

    # rebuild into a new database: documents, holds, quarantine, the executed plan
    url = f"sqlite:///{tmp_path / 'rebuilt.db'}"
    code, out, err = old("admin", "catalog", "rebuild", "--into", url)
    assert code == 0, out + err
    assert "not in storage, not recovered: audit history" in out
    fresh = Catalog(url)
    assert _table(fresh, documents, documents.c.doc_id) == \
        _table(catalog, documents, documents.c.doc_id)
    assert _table(fresh, holds, holds.c.hold_id) == _table(catalog, holds, holds.c.hold_id)
    keep = ("quarantine_id", "sha256", "reason", "detail", "folder", "batch_id", "intake")
    assert [{k: r[k] for k in keep} for r in _table(fresh, quarantine, quarantine.c.at)] == \
        [{k: r[k] for k in keep} for r in _table(catalog, quarantine, quarantine.c.at)]
    assert [p["plan_id"] for p in _table(fresh, disposition_plans, disposition_plans.c.plan_id)
            if p["status"] == "done"] == [plan]
    patient_hold = [h for h in _table(fresh, holds, holds.c.hold_id) if h["kind"] == "patient"]
    facility = catalog.get(_doc(catalog, "progress_note"))["facility"]  # type: ignore[index]
    assert [(h["mrn"], h["facility"], h["released_at"]) for h in patient_hold] == \
        [(PATIENT["mrn"], facility, None)]
    # the rebuilt catalog passes fixity too, and a second rebuild into it is refused
    assert verify(fresh, open_store(settings), "auditor").ok
    code, _, err = old("admin", "catalog", "rebuild", "--into", url)
    assert code == 2 and "not empty" in one_line(err)
    code, _, err = old("admin", "catalog", "rebuild")
    assert code == 2 and "not empty" in one_line(err)


def test_rebuild_names_exactly_what_it_cannot_recover(old: Cli, tmp_path: Path) -> None:
    settings = Settings(data_dir=old.data_dir)
    catalog = Catalog(settings.sqlalchemy_url)
    note = _doc(catalog, "progress_note")
    text = settings.objects_dir / "records" / note / "text.txt"
    text.chmod(0o644)
    text.unlink()  # lost behind the store's back: no purge recorded
    (folder,) = [p for p in (old.data_dir / "quarantine").iterdir() if p.is_dir()]
    (folder / "reason.json").unlink()
    url = f"sqlite:///{tmp_path / 'rebuilt.db'}"
    code, out, err = old("admin", "catalog", "rebuild", "--into", url)
    assert code == 4, out + err
    lost = [line.split("COULD NOT RECOVER: ", 1)[1] for line in out.splitlines()
            if "COULD NOT RECOVER: " in line]
    assert len(lost) == 2, out
    assert lost[0].startswith(f"records/{note}/text.txt: missing")
    assert lost[1].startswith(f"quarantine/{folder.name}: no readable reason.json")
    assert "2 item(s) could not be recovered" in one_line(err)
    fresh = Catalog(url)
    assert fresh.get(note) is not None  # catalogued all the same, without its text
    assert verify(fresh, open_store(settings), "auditor").missing == [
        f"records/{note}/text.txt"]
