"""`chartvault ingest` as an operator runs it: warm start, read-ahead, foreground run."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from chartvault.synth.batch import generate_batch


def test_cli_ingest_reads_ahead_and_files_everything(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    rows = generate_batch(intake, 3, seed=31, formats=["png", "pdf_scan", "tiff"])
    monkeypatch.setenv("CHARTVAULT_DATA_DIR", str(data))
    monkeypatch.setenv("CHARTVAULT_SETTLE_SECONDS", "0")
    monkeypatch.setenv("CHARTVAULT_OCR__JOBS", "2")
    from chartvault.cli import main

    saved = dict(os.environ)  # the CLI sets Prefect and logging defaults for its process
    try:
        assert main(["ingest"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert not [p for p in intake.iterdir() if not p.name.startswith(".")]  # all released
    with sqlite3.connect(data / "catalog.db") as db:
        mrns = {r[0] for r in db.execute("SELECT mrn FROM documents")}
        (counts,) = db.execute("SELECT counts FROM batches").fetchone()
    assert len(mrns - {None}) >= 2 and len(rows) == 3
    counts = json.loads(counts) if isinstance(counts, str) else counts
    assert counts["archived"] == 3
    # the first two files (one per worker) were read while Prefect started
    assert counts["read_ahead"] == 2
