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
    counts = rebuild(fresh, open_store(settings))
    assert counts["documents"] == len(_rows(original)) > 0
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
