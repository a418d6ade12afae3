from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from chartvault.catalog import Catalog, SearchCriteria, name_key
from chartvault.catalog.schema import audit_events
from chartvault.model import (
    Classification,
    Extraction,
    Manifest,
    ObjectRef,
    Patient,
    Provenance,
    Routing,
)


def _catalog(url: str) -> Catalog:
    c = Catalog(url)
    c.create()
    return c


def _manifest(doc_id: str, family: str, mrn: str, body_date: date) -> Manifest:
    ref = ObjectRef(key=f"records/{doc_id}/original.pdf", sha256="0" * 64, size=1,
                    content_type="application/pdf")
    return Manifest(
        doc_id=doc_id,
        sha256=doc_id.ljust(64, "0"),
        routing=Routing(intake="default", facility="F1", jurisdiction="US"),
        provenance=Provenance(intake="default", batch_id="b1", captured_at=datetime.now(UTC),
                              source_format="pdf_scan", page_count=1, size_bytes=1),
        classification=Classification(doc_type="progress_note", loinc="11506-3", confidence=0.9),
        extraction=Extraction(patient=Patient(family=family, given="Ann", mrn=mrn,
                                              birth_date=date(1970, 1, 2)),
                              service_date=body_date),
        needs_review=False,
        objects={"original": ref},
        pages=1,
        models={},
        ingested_at=datetime.now(UTC),
        ingested_by="t",
    )


def test_audit_chain_detects_tampering(catalog_url: str) -> None:
    c = _catalog(catalog_url)
    for i in range(5):
        c.audit("alice", "search", [f"d{i}"], detail={"criteria": ["mrn"]})
    assert c.verify_audit().ok and c.verify_audit().events == 5
    with pytest.raises(DBAPIError):
        with c.transaction() as conn:
            conn.execute(audit_events.update().values(actor="mallory"))
    # a privileged user drops the trigger and edits a row: the chain breaks there
    with c.transaction() as conn:
        drop = ("DROP TRIGGER audit_no_update" if c.engine.dialect.name == "sqlite"
                else "DROP TRIGGER audit_no_change ON audit_events")
        conn.execute(text(drop))
        conn.execute(audit_events.update().where(audit_events.c.seq == 3).values(actor="mallory"))
    report = c.verify_audit()
    assert not report.ok and report.first_bad_seq == 3


def test_search_by_mrn_name_dob_type_dates_and_text(catalog_url: str) -> None:
    c = _catalog(catalog_url)
    with c.transaction() as conn:
        c.record_document(conn, _manifest("a" * 24, "O'Brien", "MR-001", date(2020, 5, 1)),
                          "k", "chest pain resolved with nitroglycerin")
        c.record_document(conn, _manifest("b" * 24, "Smith", "002", date(2021, 6, 1)),
                          "k", "knee arthroscopy uneventful")
    ids = lambda crit: [h.row["doc_id"][0] for h in c.search(crit)]  # noqa: E731
    assert ids(SearchCriteria(mrn="mr 001")) == ["a"]
    assert ids(SearchCriteria(name="obrien")) == ["a"]
    assert ids(SearchCriteria(name="Ann Smith")) == ["b"]
    assert ids(SearchCriteria(name="Smith, Ann")) == ["b"]
    assert sorted(ids(SearchCriteria(dob=date(1970, 1, 2)))) == ["a", "b"]
    assert ids(SearchCriteria(date_from=date(2021, 1, 1))) == ["b"]
    assert ids(SearchCriteria(date_to=date(2020, 12, 31))) == ["a"]
    assert ids(SearchCriteria(text="nitroglycerin")) == ["a"]
    assert ids(SearchCriteria(text="arthroscopies")) == ["b"]  # porter stemming
    assert ids(SearchCriteria(text="knee", mrn="001")) == []
    assert ids(SearchCriteria(text="knee", mrn="002")) == ["b"]
    assert ids(SearchCriteria(doc_type="discharge_summary")) == []


def test_name_key_folds_case_accents_and_punctuation() -> None:
    assert name_key("Núñez-O'Neil", "José") == "nunez oneil jose"
    assert name_key(None, "x") is None


def test_migrations_build_exactly_the_model_and_are_idempotent(catalog_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from chartvault.catalog.migrate import alembic_config
    from chartvault.catalog.schema import metadata

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    c = _catalog(catalog_url)
    c.create()  # second run: nothing to do
    with c.engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert ctx.get_current_revision() == head  # the newest of the chained revisions
        diff = [d for d in compare_metadata(ctx, metadata)
                if not any(t in str(d) for t in ("document_fts", "document_text"))]  # dialect FTS
    assert diff == []


@pytest.mark.postgres
@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_postgres_app_role_writes_the_trail_but_cannot_rewrite_it(catalog_url: str) -> None:
    """The services' login (a member of chartvault_app): DML only; no DDL, no TRUNCATE."""
    owner = _catalog(catalog_url)
    login = "cv_app_" + catalog_url.rsplit("/", 1)[1]
    with owner.transaction() as conn:
        conn.execute(text(f"CREATE ROLE {login} LOGIN IN ROLE chartvault_app"))
    app = Catalog(catalog_url.replace("//chartvault@", f"//{login}@", 1))
    app.create()  # at head already: nothing to do, and nothing it may not do
    with app.transaction() as conn:
        app.record_document(conn, _manifest("c" * 24, "Roe", "77", date(2022, 1, 1)), "k", "x")
        app.audit("svc", "ingest", ["c" * 24], conn=conn)
    app.audit("alice", "search")
    assert app.verify_audit().ok and app.verify_audit().events == 2
    refused = [
        "TRUNCATE audit_events", "TRUNCATE audit_head", "DELETE FROM audit_events",
        "UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_head",
        "DROP TRIGGER audit_no_truncate ON audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL", "DROP TABLE audit_events",
        "CREATE TABLE scratch (x int)", "ALTER TABLE documents ADD COLUMN x int",
        "UPDATE alembic_version SET version_num = '0001'",
    ]
    for sql in refused:
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            with app.transaction() as conn:
                conn.execute(text(sql))
    # the owner holds the privileges, but the triggers refuse it too
    for sql in ("TRUNCATE audit_events", "TRUNCATE audit_head", "DELETE FROM audit_head",
                "UPDATE audit_head SET seq = 1"):
        with pytest.raises(DBAPIError, match=r"refused|append-only|only moves forward"):
            with owner.transaction() as conn:
                conn.execute(text(sql))
    assert app.verify_audit().ok and app.verify_audit().events == 2
    app.close()
    owner.close()


def test_patient_reads_normalise_the_mrn_and_keep_to_the_facility(catalog_url: str) -> None:
    c = _catalog(catalog_url)
    with c.transaction() as conn:
        c.record_document(conn, _manifest("a" * 24, "Lee", "MR-001", date(2020, 5, 1)), "ka", "")
        c.record_document(conn, _manifest("b" * 24, "Lee", "MR-001", date(2022, 7, 3)), "kb", "")
        c.record_document(conn, _manifest("c" * 24, "Roe", "MR-002", date(2024, 1, 1)), "kc", "")
    assert c.last_service_date("F1", "mr 001") == date(2022, 7, 3)
    assert c.last_service_date("F2", "mr 001") is None
    assert sorted(r["doc_id"][0] for r in c.patient_archived("F1", "mr-001")) == ["a", "b"]
    assert sorted((r[0][0], r[1]) for r in c.fixity_rows()) == [("a", "ka"), ("b", "kb"),
                                                                ("c", "kc")]


def test_plan_rows_list_due_records_and_move_only_from_the_given_states(
        catalog_url: str) -> None:
    from chartvault.catalog import disposition as plan_rows
    from chartvault.catalog.repository import document_row

    c = _catalog(catalog_url)
    rows = []
    for doc_id, until, held in (("a", date(2020, 1, 1), False), ("b", date(2020, 1, 1), True),
                                ("c", date(2030, 1, 1), False)):
        row = document_row(_manifest(doc_id * 24, "Lee", "MR-001", date(2010, 1, 1)), "k")
        rows.append({**row, "retain_until": until, "disposition": "destroy",
                     "legal_hold": held, "policy_id": "p"})
    c.bulk_insert(rows)
    with c.transaction() as conn:
        plan_rows.insert_plan(conn, "p1", date(2025, 1, 1), "svc:scheduler")
        assert plan_rows.due_groups(conn, date(2025, 1, 1)) == [
            ("destroy", "progress_note", "p", 1)]
    assert [(i["doc_id"][0], i["status"]) for i in c.plan_items("p1")] == [("a", "planned")]
    with c.transaction() as conn:
        assert not plan_rows.move_plan(conn, "p1", ("approved",), status="executing")
        assert plan_rows.move_plan(conn, "p1", ("planned",), status="approved")
        plan_rows.close_items(conn, "p1", ("failed",), "abandoned")
    assert (c.plan("p1") or {})["status"] == "approved"
    assert [i["status"] for i in c.plan_items("p1")] == ["planned"]
    with c.transaction() as conn:
        plan_rows.set_item(conn, "p1", "a" * 24, "done")
    assert [(i["status"], i["done_at"] is not None) for i in c.plan_items("p1")] == [
        ("done", True)]
    plan_rows.scrub(c)  # both dialects' vacuum runs outside a transaction
    assert c.search_count() == 3
