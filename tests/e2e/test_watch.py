"""The intake watcher: one warm process ingests scans as they arrive, leaves a folder
alone while another run holds it, and keeps its OCR workers between runs."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chartvault.pipeline.intake import exclusive_run
from chartvault.synth.batch import generate_batch

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

SCANS = (".png", ".pdf", ".tif", ".tiff", ".jpg")


def _wait(cond: Any, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _drop(stage: Path, intake: Path) -> list[str]:
    names = sorted(p.name for p in stage.iterdir() if p.suffix in SCANS)
    for name in names:
        (stage / name).rename(intake / name)
    return names


def test_watcher_ingests_arrivals_in_one_warm_process(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chartvault.settings import Settings
    from chartvault.watch import IntakeWatcher
    from extractors.pool import _prestarted

    data = tmp_path / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    monkeypatch.setenv("CHARTVAULT_DATA_DIR", str(data))
    monkeypatch.setenv("CHARTVAULT_SETTLE_SECONDS", "0")
    monkeypatch.setenv("CHARTVAULT_OCR__JOBS", "2")
    reports: list[dict[str, Any]] = []
    watcher = IntakeWatcher(Settings(), lambda batch, _s: reports.append(batch), poll_s=0.1)
    watcher.warm()
    stop = threading.Event()
    thread = threading.Thread(target=watcher.serve_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        _wait(lambda: len(reports) == 1)  # the first pass: nothing left in custody
        workers = _prestarted[2].executor
        first = tmp_path / "first"
        generate_batch(first, 2, seed=41, formats=["png", "pdf_scan"])
        with exclusive_run(intake) as held:  # another run holds the folder
            assert held
            dropped = _drop(first, intake)
            time.sleep(1.0)
            assert len(reports) == 1  # not even tried
            assert sorted(p.name for p in intake.iterdir() if p.suffix in SCANS) == dropped
        _wait(lambda: sum(r["archived"] for r in reports) == 2)
        assert _prestarted[2].executor is workers  # the same OCR workers served it
        second = tmp_path / "second"
        generate_batch(second, 1, seed=42, formats=["tiff"])
        _drop(second, intake)
        _wait(lambda: sum(r["archived"] for r in reports) == 3)
    finally:
        stop.set()
        thread.join(timeout=60)
        watcher.close()
    assert not thread.is_alive() and 2 not in _prestarted
    assert not [p for p in intake.iterdir() if p.suffix in SCANS]  # all released
    with sqlite3.connect(data / "catalog.db") as db:
        docs = db.execute("SELECT count(*), count(mrn) FROM documents").fetchone()
        batches = db.execute("SELECT count(*) FROM batches").fetchone()[0]
    assert docs[0] == 3 and docs[1] >= 2
    assert batches == len(reports) >= 3  # every run is a batch in the catalog
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    from chartvault.orphans import run_tags

    with get_client(sync_client=True) as client:  # each run carries this process's tag
        ours = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=run_tags())))
    assert len(ours) >= batches and {r.state_type.value for r in ours} == {"COMPLETED"}


def test_an_ingest_finds_its_folder_held_and_claims_nothing(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.ingest

    data = tmp_path / "data"
    intake = data / "intake" / "default"
    generate_batch(intake, 1, seed=43, formats=["png"])
    monkeypatch.setenv("CHARTVAULT_DATA_DIR", str(data))
    monkeypatch.setenv("CHARTVAULT_SETTLE_SECONDS", "0")
    with exclusive_run(intake):
        (batch,) = flows.ingest.ingest()
    assert batch["busy"] and batch["archived"] == 0
    assert [p.suffix for p in intake.iterdir() if p.suffix in SCANS] == [".png"]


def test_models_are_reloaded_once_their_vocabulary_outgrows_the_limit(tmp_path: Path) -> None:
    from chartvault.pipeline.understand import default_models
    from chartvault.settings import Settings
    from chartvault.watch import IntakeWatcher

    settings = Settings(data_dir=tmp_path)
    watcher = IntakeWatcher(settings, lambda *_: None)
    default_models.cache_clear()  # growth counts from loading: not other tests' documents
    assert not watcher.recycle_models()  # just loaded
    classifier, extractor = default_models(settings.classifier_model)
    watcher.model_strings_limit = 300
    extractor.extract("Patient: Zqxwv, Yzzy  MRN 99887766")
    assert not watcher.recycle_models()  # a few strings more: below the limit
    # a chart full of names and numbers never seen before: the extractor's strings grow
    extractor.extract(" ".join(f"Zq{i}xw MRN {9_000_000 + i}" for i in range(400)))
    assert watcher.recycle_models()
    fresh = default_models(settings.classifier_model)
    assert fresh[0] is not classifier and fresh[1] is not extractor
    assert not watcher.recycle_models()  # counted afresh from the reload


def test_chartvault_watch_reports_json_and_stops_cleanly_on_sigterm(
    prefect_server: None, tmp_path: Path
) -> None:
    import json
    import os
    import signal
    import subprocess
    import sys

    from prefect.settings import get_current_settings

    from benchmarks.proctree import _children

    data = tmp_path / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    env = {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
           "CHARTVAULT_OCR__JOBS": "2", "PREFECT_API_URL": str(get_current_settings().api.url),
           "PYTHONFAULTHANDLER": "1"}
    exe = Path(sys.executable).parent / "chartvault"
    # stderr to a file: a pipe nobody reads would block the service once it filled up
    with (tmp_path / "stderr.txt").open("w") as err:
        proc = subprocess.Popen([str(exe), "watch", "--json"], env=env, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # the first pass, before "watching"
        assert first["archived"] == 0 and not first["busy"]
        assert proc.stdout.readline().startswith("watching intake default every 0.25 s")
        workers = _children().get(proc.pid, [])
        assert len(workers) >= 2  # the OCR workers are up before any file arrives
        stage = tmp_path / "stage"
        generate_batch(stage, 1, seed=44, formats=["png"])
        _drop(stage, intake)
        report = json.loads(proc.stdout.readline())
        assert (report["archived"], report["pages"], report["failed"]) == (1, 1, 0)
        assert set(report) == {"batch_id", "intake", "busy", "archived", "duplicates",
                               "quarantined", "needs_review", "pages", "failed", "seconds",
                               "retried", "deferred_storage", "deferred_catalog"}
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:  # show where it hangs: faulthandler's dump
            proc.send_signal(signal.SIGABRT)
            proc.wait()
            raise AssertionError((tmp_path / "stderr.txt").read_text()[-8000:]) from None
        for pid in workers:  # no OCR worker outlives the service
            _wait(lambda pid=pid: not Path(f"/proc/{pid}").exists()
                  or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3], 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_runs_of_a_dead_watcher_on_this_host_are_marked_crashed(prefect_server: None) -> None:
    import os
    import socket
    import subprocess

    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    from chartvault.orphans import TAG, mark_orphans

    gone = subprocess.Popen(["true"])
    gone.wait()
    host = socket.gethostname()

    @flow(name="orphan-probe")
    def probe() -> None:
        pass

    runs = {"dead": [TAG, f"{TAG}@{host}:{gone.pid}"],
            "alive": [TAG, f"{TAG}@{host}:{os.getppid()}"],
            "other host": [TAG, f"{TAG}@elsewhere:{gone.pid}"], "untagged": []}
    with get_client(sync_client=True) as client:
        ids = {k: client.create_flow_run(probe, tags=t, state=Running()).id
               for k, t in runs.items()}
        assert mark_orphans() >= 1
        states = {k: client.read_flow_run(i).state.type.value  # type: ignore[union-attr]
                  for k, i in ids.items()}
    assert states == {"dead": "CRASHED", "alive": "RUNNING", "other host": "RUNNING",
                      "untagged": "RUNNING"}


def test_ocr_workers_die_with_a_killed_service(prefect_server: None, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from prefect.settings import get_current_settings

    from benchmarks.proctree import _children

    env = {**os.environ, "CHARTVAULT_DATA_DIR": str(tmp_path), "CHARTVAULT_OCR__JOBS": "2",
           "PREFECT_API_URL": str(get_current_settings().api.url)}
    exe = Path(sys.executable).parent / "chartvault"
    with (tmp_path / "stderr.txt").open("w") as err:
        proc = subprocess.Popen([str(exe), "watch"], env=env, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    workers: list[int] = []
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("watching")
        workers = _children().get(proc.pid, [])
        assert len(workers) >= 2
        proc.kill()  # SIGKILL: no handler, no clean-up of its own
        proc.wait()
        _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in set(_children().get(1, [])) & set(workers):  # none left behind, ever
            os.kill(pid, signal.SIGKILL)
