"""Tolerant patient-name search, paging and highlighted snippets, on SQLite and PostgreSQL;
the migration that adds the phonetic keys fills them for rows filed before it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import create_engine, select

from chartvault.catalog import Catalog, SearchCriteria
from chartvault.catalog.dialect import SNIPPET_MARKS
from chartvault.catalog.migrate import alembic_config
from chartvault.catalog.schema import documents

PEOPLE = [  # (doc id letter, family, given, mrn)
    ("a", "Garcia", "Laura", "100"), ("b", "Garcia", "Miguel", "101"),
    ("c", "Smith", "Laura", "102"), ("d", "Gardner", "Paul", "103"),
    ("e", "Karcher", "Lara", "104"), ("f", "O'Brien", "Sean", "105"),
]


def _row(doc_id: str, family: str | None, given: str | None, mrn: str, day: date
         ) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "doc_id": doc_id, "sha256": doc_id.ljust(64, "0"), "status": "archived",
        "doc_type": "progress_note", "loinc": "11506-3", "type_confidence": 0.9,
        "needs_review": False, "review_reasons": [], "facility": "F1", "jurisdiction": "US",
        "intake": "default", "batch_id": "b", "mrn": mrn, "patient_family": family,
        "patient_given": given, "birth_date": date(1964, 4, 30), "sex": "F",
        "service_date": day, "document_date": day, "codes": {}, "pages": 1,
        "source_format": "pdf_scan", "size_bytes": 1, "captured_at": now, "ingested_at": now,
        "ingested_by": "t", "manifest_key": f"records/{doc_id}/m",
        "original_key": f"records/{doc_id}/o", "legal_hold": False}


def _catalog(url: str) -> Catalog:
    c = Catalog(url)
    c.create()
    rows = [_row(k * 24, fam, giv, mrn, date(2020, 1, 1 + i))
            for i, (k, fam, giv, mrn) in enumerate(PEOPLE)]
    c.bulk_insert(rows, [(k * 24, f"visit of patient {i}: chest pain, troponin negative")
                         for i, (k, *_rest) in enumerate(PEOPLE)])
    return c


def _ids(c: Catalog, **kw: Any) -> list[str]:
    return [h.row["doc_id"][0] for h in c.search(SearchCriteria(**kw))]


def test_misspelt_reordered_and_ocr_damaged_names_find_the_patient(catalog_url: str) -> None:
    c = _catalog(catalog_url)
    for typed in ("Garsia, Laura", "Garcia Laura", "Laura Garcia", "garcia, laura",
                  "Laura Garcla", "Garc1a Laura", "Karcia, Laura", "GARCÍA LAURA"):
        assert _ids(c, name=typed)[0] == "a", typed
    assert "c" not in _ids(c, name="Garsia, Laura")  # another Laura, another family
    assert sorted(_ids(c, name="Garsia")) == ["a", "b"]  # one word: the family name
    assert _ids(c, name="obrien") == ["f"] and _ids(c, name="O Brian, Sean") == ["f"]
    assert _ids(c, name="Wolfeschlegel") == []
    hits = c.search(SearchCriteria(name="Garsia, Laura"))
    assert 80 <= hits[0].extra["name_score"] < 100
    # a name criterion combines with the others
    assert _ids(c, name="Garcia", mrn="101") == ["b"]
    assert _ids(c, name="Garcia", dob=date(1964, 4, 30), date_to=date(2020, 1, 1)) == ["a"]


def test_pages_follow_each_other_without_overlap(catalog_url: str) -> None:
    c = _catalog(catalog_url)
    every = _ids(c, dob=date(1964, 4, 30), limit=50)
    assert len(every) == 6
    pages = [_ids(c, dob=date(1964, 4, 30), limit=4, offset=o) for o in (0, 4, 8)]
    assert pages[0] + pages[1] == every and pages[2] == []
    text_pages = [_ids(c, text="troponin", limit=4, offset=o) for o in (0, 4)]
    assert sorted(text_pages[0] + text_pages[1]) == sorted(every)


def test_text_hits_carry_a_snippet_with_the_matches_marked(catalog_url: str) -> None:
    c = _catalog(catalog_url)
    hits = c.search(SearchCriteria(text="troponin", mrn="100"))
    start, stop = SNIPPET_MARKS
    assert len(hits) == 1
    snippet = hits[0].extra["snippet"]
    assert f"{start}troponin{stop}" in snippet and "chest pain" in snippet


def test_the_migration_fills_the_keys_of_rows_filed_before_it(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0004_webwork")
        old = _row("z" * 24, "Garcia", "Laura", "9", date(2019, 5, 5))
        conn.exec_driver_sql(
            "INSERT INTO documents (doc_id, sha256, status, doc_type, type_confidence, "
            "needs_review, review_reasons, facility, jurisdiction, intake, batch_id, mrn, "
            "patient_family, patient_given, name_key, codes, pages, source_format, size_bytes, "
            "captured_at, ingested_at, ingested_by, manifest_key, original_key, legal_hold) "
            "VALUES (?, ?, 'archived', 'progress_note', 0.9, 0, '[]', 'F1', 'US', 'default', "
            "'b', '9', 'Garcia', 'Laura', 'garcia laura', '{}', 1, 'pdf_scan', 1, '2020-01-01', "
            "'2020-01-01', 't', 'm', 'o', 0)", (old["doc_id"], old["sha256"]))
    engine.dispose()
    c = Catalog(url)
    c.create()  # 0004_webwork -> head
    with c.engine.connect() as conn:
        keys = conn.execute(select(documents.c.family_key, documents.c.given_key)).one()
    assert tuple(keys) == ("G620", "L600")
    assert _ids(c, name="Garsia, Laura") == ["z"]
