"""Outages with real servers: Ceph RGW stopped mid-batch, PostgreSQL restarted mid-batch.

A real ingest process files born-digital charts (quick: OCR is not the point) and pauses
once, just after its first document is catalogued (``CHARTVAULT_PAUSE_AT``, the crash
points' sibling); the test stops the real server there and lets the run go on. Either
the server comes back while the run is backing off (every document filed by this run,
the report counts the retries), or it stays away until the run ends (the rest deferred:
still in custody, not quarantined, their attempts not counted; the next run files
them). Either way: nothing lost, no second copy of anything, the one bad file
quarantined as bad, and the report says what happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from chartvault.synth.batch import generate_batch
from tests.contract.conftest import ceph_rgw_controlled, rgw
from tests.support.pg import Cluster, postgres_cluster

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "e2e" / "ingest_driver.py"
GOOD = 5
# quick backoff: 0.5 1 2 2 2 2 2 s (about 11 s) before a document is deferred
RETRY = {"CHARTVAULT_RETRY__ATTEMPTS": "8", "CHARTVAULT_RETRY__BASE_DELAY_S": "0.5",
         "CHARTVAULT_RETRY__MAX_DELAY_S": "2"}
SHORT = {"CHARTVAULT_RETRY__ATTEMPTS": "2", "CHARTVAULT_RETRY__BASE_DELAY_S": "0.2",
         "CHARTVAULT_RETRY__MAX_DELAY_S": "0.2"}


@pytest.fixture(scope="module")
def ceph() -> Iterator[tuple[str, str, str, dict[str, str]]]:
    with ceph_rgw_controlled() as server:
        yield server


@pytest.fixture(scope="module")
def pg() -> Iterator[Cluster]:
    try:
        cm = postgres_cluster()
        cluster = cm.__enter__()
    except (FileNotFoundError, OSError) as err:
        pytest.skip(f"PostgreSQL server not available: {err}")
    yield cluster
    cm.__exit__(None, None, None)


def _batch(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Data dir, intake and the good files' SHA-256 -> name; plus one empty (bad) file."""
    data = tmp_path / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    (intake / "00_empty.pdf").write_bytes(b"")  # first: quarantined before the outage
    rows = generate_batch(intake, GOOD, seed=77, formats=["pdf_text"])
    goods = {hashlib.sha256((intake / r["file"]).read_bytes()).hexdigest(): r["file"]
             for r in rows}
    return data, intake, goods


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
            "CHARTVAULT_USER": "outage-test", "CHARTVAULT_OCR__JOBS": "1",
            "CHARTVAULT_SCRATCH_ROOT": str(data.parent / "scratch"),
            "PREFECT_HOME": str(data / "prefect"), **extra}


def _ingest_with_outage(env: dict[str, str], tmp: Path, stop: Callable[[], None],
                        start: Callable[[], None] | None, down_s: float) -> dict[str, Any]:
    """Run the driver; once the first document is catalogued, ``stop`` the server, let the
    run go on, and ``start`` it again after ``down_s`` (None: after the run has ended)."""
    pause = tmp / "paused"
    with open(tmp / "run.out", "w") as so, open(tmp / "run.err", "w") as se:
        proc = subprocess.Popen(
            [sys.executable, str(DRIVER)], cwd=REPO, stdout=so, stderr=se,
            env={**env, "CHARTVAULT_PAUSE_AT": "before-release",
                 "CHARTVAULT_PAUSE_FILE": str(pause)})
        deadline = time.monotonic() + 240
        while not pause.exists():
            assert proc.poll() is None, (tmp / "run.err").read_text()[-3000:]
            assert time.monotonic() < deadline, "the run never reached its first release"
            time.sleep(0.1)
        stop()
        pause.unlink()  # the run goes on, into the outage
        if start is not None:
            time.sleep(down_s)
            start()
        code = proc.wait(timeout=300)
    err = (tmp / "run.err").read_text()
    assert code == 0, err[-3000:]
    summary: dict[str, Any] = json.loads((tmp / "run.out").read_text().strip()
                                         .splitlines()[-1])[0]
    return summary


def _again(env: dict[str, str], tmp: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(DRIVER)], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    summary: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])[0]
    return summary


def _documents(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [(r[0], r[1]) for r in conn.execute(text("SELECT doc_id, sha256 FROM documents"))]
        quarantined = [r[0] for r in conn.execute(text("SELECT reason FROM quarantine"))]
    engine.dispose()
    assert quarantined == ["empty"], quarantined  # no good file quarantined for an outage
    return rows


def _custody(intake: Path) -> list[Path]:
    claims = intake / ".chartvault" / "claims"
    return sorted(p for p in claims.iterdir()) if claims.exists() else []


def _assert_all_filed_once(rows: list[tuple[str, str]], goods: dict[str, str],
                           intake: Path) -> None:
    assert sorted(sha for _, sha in rows) == sorted(goods), "lost or duplicated"
    assert len({d for d, _ in rows}) == len(rows) == GOOD
    assert _custody(intake) == []
    assert not [p for p in intake.iterdir() if not p.name.startswith(".")]


def _s3_env(ceph: tuple[str, str, str, dict[str, str]], data: Path,
            **extra: str) -> tuple[dict[str, str], Any]:
    from storage.s3 import S3ObjectStore

    url, ak, sk, _ = ceph
    bucket = f"cv-{uuid.uuid4().hex[:12]}"
    env = _env(data, CHARTVAULT_STORE="s3", CHARTVAULT_S3__ENDPOINT_URL=url,
               CHARTVAULT_S3__BUCKET=bucket, CHARTVAULT_S3__ACCESS_KEY=ak,
               CHARTVAULT_S3__SECRET_KEY=sk, **extra)
    return env, S3ObjectStore(bucket, endpoint_url=url, access_key=ak, secret_key=sk)


def _assert_one_version_each(store: Any, rows: list[tuple[str, str]]) -> None:
    """Each record: one original and one manifest, each a single object version."""
    for doc_id, _ in rows:
        keys = list(store.list(f"records/{doc_id}/"))
        originals = [k for k in keys if k.split("/")[-1].startswith("original")]
        assert len(originals) == 1 and f"records/{doc_id}/manifest.json" in keys, keys
        for key in (originals[0], f"records/{doc_id}/manifest.json"):
            versions = store.client.list_object_versions(Bucket=store.bucket, Prefix=key)
            assert len(versions.get("Versions", [])) == 1, key


def test_rgw_stopped_mid_batch_and_back_during_the_backoff(
        ceph: tuple[str, str, str, dict[str, str]], tmp_path: Path) -> None:
    data, intake, goods = _batch(tmp_path)
    env, store = _s3_env(ceph, data, **RETRY)
    summary = _ingest_with_outage(env, tmp_path, lambda: rgw(ceph[3], "rgw-stop"),
                                  lambda: rgw(ceph[3], "rgw-start"), down_s=4)
    assert summary["archived"] == GOOD and summary["failed"] == 0, summary
    assert summary["retried"] >= 1, summary  # the report says what happened
    assert summary["deferred_storage"] == 0 and summary["quarantined"] == 1, summary
    rows = _documents(f"sqlite:///{data / 'catalog.db'}")
    _assert_all_filed_once(rows, goods, intake)
    _assert_one_version_each(store, rows)


def test_rgw_down_for_the_rest_of_the_batch_defers_and_the_next_run_files(
        ceph: tuple[str, str, str, dict[str, str]], tmp_path: Path) -> None:
    data, intake, goods = _batch(tmp_path)
    env, store = _s3_env(ceph, data, **SHORT)
    try:
        summary = _ingest_with_outage(env, tmp_path, lambda: rgw(ceph[3], "rgw-stop"), None, 0)
        assert summary["archived"] == 1 and summary["failed"] == 0, summary
        assert summary["deferred_storage"] == GOOD - 1, summary
        held = _custody(intake)
        assert len(held) == GOOD - 1  # intake copies kept in custody, none released
        assert all(int((c / "attempts").read_text()) == 0 for c in held), "counted as bad"
    finally:
        rgw(ceph[3], "rgw-start")
    again = _again(env, tmp_path)
    assert again["archived"] == GOOD - 1 and again["duplicates"] == 0, again
    assert again["deferred_storage"] == 0 and again["failed"] == 0, again
    rows = _documents(f"sqlite:///{data / 'catalog.db'}")
    _assert_all_filed_once(rows, goods, intake)
    _assert_one_version_each(store, rows)


def _pg_env(pg: Cluster, data: Path, **extra: str) -> dict[str, str]:
    name = f"o{uuid.uuid4().hex[:10]}"
    engine = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return _env(data, CHARTVAULT_CATALOG_URL=pg.url.rsplit("/", 1)[0] + "/" + name, **extra)


def _assert_local_once(data: Path, rows: list[tuple[str, str]]) -> None:
    for doc_id, _ in rows:
        names = [p.name for p in (data / "objects" / "records" / doc_id).iterdir()]
        assert len([n for n in names if n.startswith("original")]) == 1, names


def test_postgresql_restarted_mid_batch(pg: Cluster, tmp_path: Path) -> None:
    data, intake, goods = _batch(tmp_path)
    env = _pg_env(pg, data, **RETRY)
    summary = _ingest_with_outage(env, tmp_path, pg.stop, pg.start, down_s=3)
    assert summary["archived"] == GOOD and summary["failed"] == 0, summary
    assert summary["retried"] >= 1 and summary["deferred_catalog"] == 0, summary
    assert summary["duplicates"] == 0, summary  # a retry did not see its own commit
    rows = _documents(env["CHARTVAULT_CATALOG_URL"])
    _assert_all_filed_once(rows, goods, intake)
    _assert_local_once(data, rows)


def test_postgresql_down_for_the_rest_of_the_batch_defers(pg: Cluster, tmp_path: Path) -> None:
    data, intake, goods = _batch(tmp_path)
    env = _pg_env(pg, data, **SHORT)
    try:
        summary = _ingest_with_outage(env, tmp_path, pg.stop, None, 0)
        assert summary["archived"] == 1 and summary["failed"] == 0, summary
        assert summary["deferred_catalog"] == GOOD - 1, summary
        assert len(_custody(intake)) == GOOD - 1
    finally:
        pg.start()
    again = _again(env, tmp_path)
    assert again["archived"] == GOOD - 1 and again["duplicates"] == 0, again
    rows = _documents(env["CHARTVAULT_CATALOG_URL"])
    _assert_all_filed_once(rows, goods, intake)
    _assert_local_once(data, rows)
