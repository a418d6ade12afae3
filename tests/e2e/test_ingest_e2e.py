"""Generate -> ingest (Prefect flow) -> search -> retrieve -> checksum, on real parts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from chartvault.access import retrieve, search
from chartvault.catalog import Catalog, SearchCriteria
from chartvault.settings import Settings
from storage.factory import open_store
from tests.e2e.conftest import CANARY, Archive

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _settings(archive: Archive) -> Settings:
    return Settings(data_dir=archive.data_dir, user="e2e-tester")


def test_every_good_file_archived_and_bad_ones_quarantined(archive: Archive) -> None:
    (batch,) = archive.batches
    assert batch["archived"] == len(archive.truth)
    assert batch["quarantined"] == len(archive.bad)
    # nothing left behind in intake but our custody folder, holding only its run lock
    left = [p.relative_to(archive.intake) for p in archive.intake.rglob("*") if p.is_file()]
    assert [str(p) for p in left] == [".chartvault/run.lock"]
    q_root = archive.data_dir / "quarantine"
    reasons = sorted(json.loads(p.read_text())["reason"] for p in q_root.glob("*/reason.json"))
    assert reasons == sorted(archive.bad.values())
    for folder in q_root.iterdir():  # the bad file itself is kept, never lost
        assert any(p.name.startswith("original") for p in folder.iterdir())


def test_search_by_mrn_then_retrieve_gives_the_same_bytes(archive: Archive,
                                                          tmp_path: Path) -> None:
    settings = _settings(archive)
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    found = 0
    for row in archive.truth:
        mrn = row["patient"]["mrn"]
        if not mrn:
            continue
        hits = search(catalog, SearchCriteria(mrn=mrn), settings.user)
        if not hits:
            continue
        found += 1
        doc_id = hits[0].row["doc_id"]
        out = tmp_path / f"{doc_id}.bin"
        got = retrieve(catalog, store, doc_id, out, settings.user)
        assert hashlib.sha256(out.read_bytes()).hexdigest() == got.sha256
        assert got.sha256 == hits[0].row["sha256"]
    assert found >= len([r for r in archive.truth if r["patient"]["mrn"]]) - 1
    assert catalog.verify_audit().ok


def test_free_text_search_finds_documents(archive: Archive) -> None:
    settings = _settings(archive)
    catalog = Catalog(settings.sqlalchemy_url)
    hits = search(catalog, SearchCriteria(text=CANARY), settings.user)
    assert [h.row["patient_family"] for h in hits] == [CANARY]


def test_reingest_of_same_bytes_is_a_duplicate(archive: Archive) -> None:
    import flows.ingest

    settings = _settings(archive)
    catalog = Catalog(settings.sqlalchemy_url)
    row = search(catalog, SearchCriteria(text=CANARY), settings.user)[0].row
    store = open_store(settings)
    again = archive.intake / "again.pdf"
    again.write_bytes(store.get(row["original_key"]))
    objects_before = sorted(store.list("records/"))
    (batch,) = flows.ingest.ingest()
    assert batch["duplicates"] == 1 and batch["archived"] == 0
    assert sorted(store.list("records/")) == objects_before
    assert not again.exists()


def test_canary_name_never_reaches_logs_or_prefect(archive: Archive) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter

    settings = _settings(archive)
    catalog = Catalog(settings.sqlalchemy_url)
    hits = catalog.search(SearchCriteria(name=CANARY))
    assert hits, "the canary must have been extracted, or this test proves nothing"
    assert hits[0].row["patient_family"] == CANARY
    mrn = hits[0].row["mrn"]
    secrets = [CANARY, CANARY.upper(), "scan_canary"] + ([mrn] if mrn else [])

    assert archive.capture.lines, "no log records were captured"
    for line in archive.capture.lines:
        for s in secrets:
            assert s not in line, "patient data in a log record"

    async def prefect_texts() -> list[str]:
        async with get_client() as client:
            flows_ = await client.read_flow_runs()
            tasks = await client.read_task_runs()
            logs = await client.read_logs(LogFilter())
        out = [f"{r.name} {r.parameters} {r.state_message if hasattr(r, 'state_message') else ''}"
               for r in flows_]
        out += [f"{t.name} {t.task_inputs} {t.state.message if t.state else ''}" for t in tasks]
        out += [lg.message for lg in logs]
        return out

    texts = asyncio.run(prefect_texts())
    assert texts
    for t in texts:
        for s in secrets:
            assert s not in t, "patient data in Prefect's database"
