"""SIGKILL matrix for destruction and hold-flag propagation: a real process killed, then resumed.

A real ingest (born-digital charts dated 2008-2010, so their retain-until dates have
passed on the real clock) builds one archive per module; each case works on a copy. The
destruction cases run ``flows.retention.run_execution`` (the flow's body) in a child
process that sends itself SIGKILL at a named point (``chartvault.pipeline.crash``), then
run it again, as ``chartvault retention resume`` does. After the resume: the plan is
done, every item done, each destroyed record has exactly one tombstone (made while its
manifest existed: its checksums are there), the same tombstone row in the catalog, one
``destroy`` audit event, no object left under its prefix and no local copy; purged
records keep original and manifest; the certificate names exactly the destroyed ids and
``verify`` is clean. The hold cases kill ``hold add`` / ``hold release`` while the flags
go to the records' objects; after the outbox runs, every object's legal-hold flag, the
catalog flag and the hold/release objects agree with the holds table, and a released
patient's records can then be destroyed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INGEST = REPO / "tests" / "e2e" / "ingest_driver.py"
DRIVER = REPO / "tests" / "e2e" / "retention_driver.py"

DESTRUCTION_POINTS = [
    "destroy-after-tombstone",  # tombstone stored; nothing deleted
    "destroy-after-local",  # processed copy removed; objects all there
    "destroy-mid-objects",  # the first object deleted, the others not
    "destroy-before-row",  # every object deleted; the catalog row still "archived"
    "destroy-after-row",  # tombstone row committed; the plan item still open
    "purge-after-event",  # the purged event stored; nothing removed
    "purge-mid-delete",  # the first derived object removed
    "execute-before-certificate",  # every item closed; no certificate
    "certificate-json-only",  # the certificate's JSON stored, not its PDF
    "certificate-before-finish",  # certificate stored; plan still executing
]
HOLD_POINTS = [
    ("add", "hold-after-row"),  # hold row committed; no object flagged
    ("add", "hold-mid-flags"),  # the first object of a record flagged
    ("release", "release-after-row"),  # release committed; flags on, no release object
    ("release", "hold-mid-flags"),  # the first object of a record unflagged
]


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
            "CHARTVAULT_KEEP_PROCESSED": "true", "CHARTVAULT_USER": "crash-matrix",
            "CHARTVAULT_OCR__JOBS": "1", "PREFECT_HOME": str(data / "prefect")}


def _run(script: Path, env: dict[str, str], out: Path, *args: str) -> tuple[int, str, str]:
    """Run a driver; output through files (a killed process's children may keep pipes)."""
    with open(out.with_suffix(".out"), "w") as so, open(out.with_suffix(".err"), "w") as se:
        proc = subprocess.run([sys.executable, str(script), *args], env=env, cwd=REPO,
                              stdout=so, stderr=se, timeout=300, check=False)
    return (proc.returncode, out.with_suffix(".out").read_text(),
            out.with_suffix(".err").read_text())


@contextmanager
def _opened(data: Path) -> Iterator[tuple[Any, Any, Any]]:
    """(settings, catalog, store) of the archive at ``data``, in this process."""
    from chartvault.catalog import Catalog
    from chartvault.settings import Settings
    from storage.factory import open_store

    saved = dict(os.environ)
    os.environ.update(_env(data))
    try:
        settings = Settings()
        catalog = Catalog(settings.sqlalchemy_url)
        yield settings, catalog, open_store(settings)
        catalog.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _rows(data: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "catalog.db") as db:
        return list(db.execute(sql, params))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three expired charts (a purge, two destroys of one patient) and a corrupt file."""
    from tests.e2e.expired import _charts

    base = tmp_path_factory.mktemp("cv-destroy")
    data = base / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    _charts(intake)
    code, _, err = _run(INGEST, _env(data), base / "ingest")
    assert code == 0, err[-3000:]
    return data


@pytest.fixture
def data(archive: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(archive, dest, symlinks=True)
    return dest


def _approved_plan(data: Path) -> str:
    from chartvault.disposition import approve, sweep

    with _opened(data) as (_, catalog, _store):
        plan_id = sweep(catalog, datetime.now(UTC).date(), "records.manager")
        approve(catalog, plan_id, "second.person")
    return plan_id


def _assert_executed(data: Path, plan_id: str, tmp_path: Path) -> dict[str, list[str]]:
    """Everything a finished execution promises, checked in catalog and storage."""
    from chartvault.fixity import verify

    items = _rows(data, "SELECT doc_id, action, status FROM disposition_items WHERE plan_id=?",
                  plan_id)
    assert items and all(s == "done" for _, _, s in items), items
    by_action: dict[str, list[str]] = {}
    for doc_id, action, _ in items:
        by_action.setdefault(action, []).append(doc_id)
    assert by_action.get("destroy") and by_action.get("purge"), by_action
    (status, cert_key), = _rows(data, "SELECT status, certificate_key FROM disposition_plans "
                                      "WHERE plan_id=?", plan_id)
    assert status == "done" and cert_key, (status, cert_key)
    objects = data / "objects"
    for doc_id in by_action["destroy"]:
        (row_status, sha), = _rows(data, "SELECT status, sha256 FROM documents WHERE doc_id=?",
                                   doc_id)
        assert row_status == "destroyed"
        tomb = json.loads((objects / "tombstones" / f"{doc_id}.json").read_text())
        assert tomb["data"]["plan_id"] == plan_id and tomb["data"]["sha256"] == sha
        assert tomb["data"]["checksums"].get("original"), "tombstone made without manifest"
        assert not (objects / "records" / doc_id).exists() or not any(
            p for p in (objects / "records" / doc_id).rglob("*") if p.is_file()), doc_id
        assert not list((data / "processed").glob(f"{doc_id}.*")), doc_id
        assert _rows(data, "SELECT COUNT(*) FROM audit_events WHERE action='destroy' AND "
                           "doc_ids LIKE ?", f"%{doc_id}%") == [(1,)], doc_id
    for doc_id in by_action["purge"]:
        assert _rows(data, "SELECT status FROM documents WHERE doc_id=?", doc_id) == [("purged",)]
        names = {p.name for p in (objects / "records" / doc_id).iterdir()}
        assert "manifest.json" in names and any(n.startswith("original") for n in names)
        assert "text.txt" not in names and "ocr.json" not in names, names
    cert = json.loads((objects / cert_key.replace(".pdf", ".json")).read_text())
    assert sorted(cert["records"]["doc_ids"]) == sorted(by_action["destroy"])
    assert (objects / cert_key).is_file()
    with _opened(data) as (_, catalog, store):
        report = verify(catalog, store, "crash-matrix")
    assert report.ok, (report.missing, report.changed, report.untracked)
    return by_action


@pytest.mark.parametrize("point", DESTRUCTION_POINTS)
def test_a_kill_at_each_step_of_destruction_is_resumed_to_one_consistent_end(
        point: str, data: Path, tmp_path: Path) -> None:
    plan_id = _approved_plan(data)
    env = _env(data)
    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": point}, tmp_path / "crashed",
                        "execute", plan_id)
    assert code == -signal.SIGKILL, (point, err[-2000:])
    assert _rows(data, "SELECT status FROM disposition_plans WHERE plan_id=?",
                 plan_id) == [("executing",)]
    code, out, err = _run(DRIVER, env, tmp_path / "resumed", "execute", plan_id)
    assert code == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "done" and result["failed"] == [], result
    by_action = _assert_executed(data, plan_id, tmp_path)
    assert result["destroyed"] == len(by_action["destroy"])


def _patient_docs(data: Path) -> tuple[str, list[str]]:
    from chartvault.catalog import normalise_mrn
    from tests.e2e.expired import PATIENT

    mrn = normalise_mrn(PATIENT["mrn"])
    docs = [r[0] for r in _rows(data, "SELECT doc_id FROM documents WHERE mrn=?", mrn)]
    assert len(docs) == 2
    return PATIENT["mrn"], docs


def _assert_flags(data: Path, docs: list[str], on: bool) -> None:
    """Every object of each record (manifest included) carries the flag the holds give."""
    from chartvault.model import Manifest

    with _opened(data) as (_, _catalog, store):
        for doc_id in docs:
            (key, flag), = _rows(data, "SELECT manifest_key, legal_hold FROM documents "
                                       "WHERE doc_id=?", doc_id)
            assert bool(flag) is on, doc_id
            manifest = Manifest.model_validate_json(store.get(key))
            keys = [ref.key for ref in manifest.objects.values()] + [key]
            assert [store.head(k).legal_hold for k in keys] == [on] * len(keys), doc_id


@pytest.mark.parametrize(("command", "point"), HOLD_POINTS)
def test_a_kill_during_hold_flag_propagation_is_finished_by_the_outbox(
        command: str, point: str, data: Path, tmp_path: Path) -> None:
    mrn, docs = _patient_docs(data)
    env = _env(data)
    hold_id = None
    if command == "release":
        code, out, err = _run(DRIVER, env, tmp_path / "held", "hold-add", mrn)
        assert code == 0, err[-2000:]
        hold_id = json.loads(out.strip().splitlines()[-1])["hold_id"]
        _assert_flags(data, docs, True)
    args = ("hold-add", mrn) if command == "add" else ("hold-release", str(hold_id))
    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": point}, tmp_path / "crashed",
                        *args)
    assert code == -signal.SIGKILL, (point, err[-2000:])
    assert _rows(data, "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL")[0][0] > 0
    (hold_id, released), = _rows(data, "SELECT hold_id, released_at FROM holds")
    code, out, err = _run(DRIVER, env, tmp_path / "restarted", "outbox")
    assert code == 0, err[-2000:]
    assert _rows(data, "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL") == [(0,)]
    objects = data / "objects" / "holds"
    assert (objects / f"{hold_id}.json").is_file()
    if command == "add":
        assert released is None
        _assert_flags(data, docs, True)
        assert not (objects / f"{hold_id}.released.json").exists()
        return
    assert released is not None
    _assert_flags(data, docs, False)
    assert json.loads((objects / f"{hold_id}.released.json").read_text())["hold_id"] == hold_id
    # released for good: the patient's records can now be destroyed, and verify is clean
    plan_id = _approved_plan(data)
    code, out, err = _run(DRIVER, env, tmp_path / "execute", "execute", plan_id)
    assert code == 0, err[-3000:]
    by_action = _assert_executed(data, plan_id, tmp_path)
    assert sorted(by_action["destroy"]) == sorted(docs)


def test_a_hold_placed_after_a_killed_destruction_withdraws_its_tombstone(
        data: Path, tmp_path: Path) -> None:
    from chartvault.catalog.rebuild import rebuild
    from chartvault.fixity import verify
    from chartvault.holds import add_hold

    plan_id = _approved_plan(data)
    mrn, docs = _patient_docs(data)
    env = _env(data)
    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": "destroy-after-tombstone"},
                        tmp_path / "crashed", "execute", plan_id)
    assert code == -signal.SIGKILL, err[-2000:]
    tombstones = data / "objects" / "tombstones"
    (first,) = [p.stem for p in tombstones.iterdir()]
    assert first in docs  # the proof came first
    with _opened(data) as (settings, catalog, store):  # counsel holds the patient now
        add_hold(catalog, store, actor="counsel", case_name="case", reason="litigation",
                 mrn=mrn, facility=settings.intakes[0].facility)
    code, out, err = _run(DRIVER, env, tmp_path / "resumed", "execute", plan_id)
    assert code == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "done" and sorted(result["skipped_hold"]) == sorted(docs)
    assert not any(tombstones.iterdir()), "a tombstone of a record that was not destroyed"
    assert _rows(data, "SELECT COUNT(*) FROM audit_events WHERE action='tombstone_withdrawn'"
                 ) == [(1,)]
    with _opened(data) as (_, catalog, store):
        assert verify(catalog, store, "crash-matrix").ok
        into = f"sqlite:///{tmp_path / 'rebuilt.db'}"
        from chartvault.catalog import Catalog

        target = Catalog(into)
        target.create()
        rebuild(target, store, data_dir=data)
        target.close()
    rebuilt = sqlite3.connect(tmp_path / "rebuilt.db")
    for doc_id in docs:  # rebuilt from storage: still archived, still held
        assert list(rebuilt.execute("SELECT status, legal_hold FROM documents WHERE doc_id=?",
                                    (doc_id,))) == [("archived", 1)]


def test_a_hold_on_a_half_destroyed_record_keeps_the_rest_until_released(
        data: Path, tmp_path: Path) -> None:
    from chartvault.holds import add_hold, release_hold

    plan_id = _approved_plan(data)
    mrn, docs = _patient_docs(data)
    env = _env(data)
    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": "destroy-mid-objects",
                                 "CHARTVAULT_CRASH_SKIP": "1"}, tmp_path / "crashed",
                        "execute", plan_id)
    assert code == -signal.SIGKILL, err[-2000:]
    (first,) = [p.stem for p in (data / "objects" / "tombstones").iterdir()]
    assert first in docs
    with _opened(data) as (settings, catalog, store):
        hold = add_hold(catalog, store, actor="counsel", case_name="case", reason="litigation",
                        mrn=mrn, facility=settings.intakes[0].facility)
        left = list(store.list(f"records/{first}/"))
        assert left and all(store.head(k).legal_hold for k in left if "/events/" not in k)
    code, out, err = _run(DRIVER, env, tmp_path / "held", "execute", plan_id)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "executing" and result["failed"] == [first], result
    assert _rows(data, "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL") == [(0,)]
    with _opened(data) as (_, catalog, store):
        release_hold(catalog, store, hold.hold_id, "counsel")
    code, out, err = _run(DRIVER, env, tmp_path / "resumed", "execute", plan_id)
    assert code == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "done" and result["failed"] == [], result
    destroyed = {r[0] for r in _rows(data, "SELECT doc_id FROM documents "
                                           "WHERE status='destroyed'")}
    assert destroyed == {first}  # the other was refused (held) and closed as such
    assert (data / "objects" / "tombstones" / f"{first}.json").is_file()
    rest = data / "objects" / "records" / first
    assert not rest.exists() or not [k for k in rest.rglob("*") if k.is_file()]
    from chartvault.fixity import verify

    with _opened(data) as (_, catalog, store):
        assert verify(catalog, store, "crash-matrix").ok


@pytest.fixture(scope="module")
def ceph() -> Iterator[tuple[str, str, str]]:
    from tests.contract.conftest import ceph_rgw

    with ceph_rgw() as server:
        yield server


def test_on_ceph_killed_hold_and_release_flags_end_applied_and_the_plan_resumes(
        ceph: tuple[str, str, str], tmp_path: Path) -> None:
    """The same kills against real S3 Object Lock flags (Ceph RGW), then destruction."""
    import uuid

    from tests.e2e.expired import _charts

    url, ak, sk = ceph
    data = tmp_path / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    _charts(intake)
    env = {**_env(data), "CHARTVAULT_STORE": "s3", "CHARTVAULT_S3__ENDPOINT_URL": url,
           "CHARTVAULT_S3__BUCKET": f"cv-{uuid.uuid4().hex[:12]}",
           "CHARTVAULT_S3__ACCESS_KEY": ak, "CHARTVAULT_S3__SECRET_KEY": sk}
    code, _, err = _run(INGEST, env, tmp_path / "ingest")
    assert code == 0, err[-3000:]
    mrn, docs = _patient_docs(data)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from chartvault.model import Manifest
        from chartvault.settings import Settings
        from storage.factory import open_store

        store = open_store(Settings())
    finally:
        os.environ.clear()
        os.environ.update(saved)

    def flags() -> list[bool]:
        out = []
        for doc_id in docs:
            (key,), = _rows(data, "SELECT manifest_key FROM documents WHERE doc_id=?", doc_id)
            manifest = Manifest.model_validate_json(store.get(key))
            out += [store.head(k).legal_hold for k in
                    [ref.key for ref in manifest.objects.values()] + [key]]
        return out

    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": "hold-mid-flags"},
                        tmp_path / "add", "hold-add", mrn)
    assert code == -signal.SIGKILL, err[-2000:]
    assert flags().count(True) == 1  # killed after its first object
    assert _run(DRIVER, env, tmp_path / "outbox1", "outbox")[0] == 0
    assert all(flags())
    (hold_id,), = _rows(data, "SELECT hold_id FROM holds")
    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": "release-after-row"},
                        tmp_path / "release", "hold-release", hold_id)
    assert code == -signal.SIGKILL, err[-2000:]
    assert all(flags())  # released in the catalog; storage still holds: the safe side
    assert store.head(f"holds/{hold_id}.released.json") is None
    assert _run(DRIVER, env, tmp_path / "outbox2", "outbox")[0] == 0
    assert not any(flags()) and store.head(f"holds/{hold_id}.released.json") is not None
    plan_id = _approved_plan_env(env)
    code, _, err = _run(DRIVER, {**env, "CHARTVAULT_CRASH_AT": "destroy-mid-objects"},
                        tmp_path / "crashed", "execute", plan_id)
    assert code == -signal.SIGKILL, err[-2000:]
    code, out, err = _run(DRIVER, env, tmp_path / "resumed", "execute", plan_id)
    assert code == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "done" and sorted(
        r[0] for r in _rows(data, "SELECT doc_id FROM documents WHERE status='destroyed'")
    ) == sorted(docs), result
    for doc_id in docs:
        assert list(store.list(f"records/{doc_id}/")) == []
        versions = store.client.list_object_versions(Bucket=store.bucket,
                                                     Prefix=f"records/{doc_id}/")
        assert not versions.get("Versions") and not versions.get("DeleteMarkers")
        assert store.head(f"tombstones/{doc_id}.json") is not None


def _approved_plan_env(env: dict[str, str]) -> str:
    from chartvault.catalog import Catalog
    from chartvault.disposition import approve, sweep
    from chartvault.settings import Settings

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        catalog = Catalog(Settings().sqlalchemy_url)
        plan_id = sweep(catalog, datetime.now(UTC).date(), "records.manager")
        approve(catalog, plan_id, "second.person")
        catalog.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return plan_id
