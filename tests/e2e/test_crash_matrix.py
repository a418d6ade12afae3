"""SIGKILL matrix: a real ingest process kills itself at a stage boundary, then restarts.

``CHARTVAULT_CRASH_AT`` makes the process send itself SIGKILL at a named point
(``chartvault.pipeline.crash``): no handler runs, no ``finally``, no atexit, exactly as
under the OOM killer or a power cut. After one clean restart: every document archived
exactly once, every bad file quarantined and listed, no original lost, no claim left in
custody, no scratch file left, and the post-commit steps (a patient hold) applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chartvault.synth.batch import generate_batch

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "e2e" / "ingest_driver.py"

POINTS = [
    "read-ahead",  # main process, read-ahead workers busy
    "after-claim",  # files renamed into custody, nothing read
    "before-ocr",  # pages listed, pool not started
    "during-ocr",  # first document read, the next still in Tesseract
    "quarantine-after-row",  # catalog row written, file not yet moved
    "objects-no-manifest",  # original, text and words stored; no manifest
    "manifest-no-row",  # manifest stored; no catalog row
    "after-commit",  # catalog row committed; post-commit steps not run
    "post-commit-step",  # a patient hold flagged, its outbox row not marked done
    "before-release",  # archived and catalogued; intake copy still in custody
]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(env: dict[str, str], out: Path, *args: str) -> tuple[int, str, str]:
    """Run the driver; output through files (a killed process's children may keep pipes)."""
    with open(out.with_suffix(".out"), "w") as so, open(out.with_suffix(".err"), "w") as se:
        proc = subprocess.run([sys.executable, str(DRIVER), *args], env=env, cwd=REPO,
                              stdout=so, stderr=se, timeout=300, check=False)
    return (proc.returncode, out.with_suffix(".out").read_text(),
            out.with_suffix(".err").read_text())


def _rows(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as db:
        return list(db.execute(sql))


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_each_stage_boundary_loses_and_duplicates_nothing(
        point: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    intake = data / "intake" / "default"
    # scans only where the point is about reading pages: OCR is the slow part
    ocr = point in ("read-ahead", "before-ocr", "during-ocr")
    formats = ["png", "png", "pdf_text"] if ocr else ["pdf_text", "pdf_text"]
    rows = generate_batch(intake, len(formats), seed=91, formats=formats)
    goods = {r["file"]: (intake / r["file"]).read_bytes() for r in rows}
    (intake / "zz_empty.pdf").write_bytes(b"")  # to be quarantined
    scratch = tmp_path / "scratch"
    env = {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
           "CHARTVAULT_USER": "crash-matrix", "CHARTVAULT_OCR__JOBS": "1",
           "CHARTVAULT_SCRATCH_ROOT": str(scratch), "PREFECT_HOME": str(data / "prefect")}

    # a patient hold placed before the patient's first document arrives
    from chartvault.catalog import Catalog
    from chartvault.holds import add_hold
    from chartvault.settings import Settings
    from storage.factory import open_store

    held = next(r for r in rows if r["format"] == "pdf_text")
    mrn = held["patient"]["mrn"]
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        settings = Settings()
        catalog = Catalog(settings.sqlalchemy_url)
        catalog.create()
        add_hold(catalog, open_store(settings), actor="crash-matrix", case_name="case",
                 reason="litigation", mrn=mrn, facility=settings.intakes[0].facility)
        catalog.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)

    ahead = ["--read-ahead", rows[0]["file"]] if point == "read-ahead" else []
    code, _, err = _run({**env, "CHARTVAULT_CRASH_AT": point}, tmp_path / "crashed", *ahead)
    assert code == -signal.SIGKILL, (point, err[-2000:])
    code, out, err = _run(env, tmp_path / "again")
    assert code == 0, err[-3000:]

    db = data / "catalog.db"
    docs = _rows(db, "SELECT doc_id, sha256, manifest_key, legal_hold, mrn FROM documents")
    by_sha = {sha: (doc_id, hold, m) for doc_id, sha, _, hold, m in docs}
    assert len(docs) == len(goods)  # each archived exactly once (doc_id is the key)
    for name, data_bytes in goods.items():
        assert _sha(data_bytes) in by_sha, (point, name)
    objects = data / "objects" / "records"
    for doc_id, *_ in docs:
        originals = [p for p in (objects / doc_id).iterdir() if p.name.startswith("original")]
        assert len(originals) == 1 and (objects / doc_id / "manifest.json").is_file()
    # the bad file: quarantined, listed, kept
    q = _rows(db, "SELECT quarantine_id, reason, folder FROM quarantine")
    assert [r[1] for r in q] == ["empty"], (point, q)
    assert (data / q[0][2] / "original").is_file()
    # nothing left in custody, no orphan claim, no scratch file of the killed run
    claims = intake / ".chartvault" / "claims"
    assert not claims.exists() or not any(claims.iterdir()), point
    assert not [p for p in intake.iterdir() if not p.name.startswith(".")]
    assert not list(scratch.glob("*/run-*")), list(scratch.rglob("*"))
    # post-commit steps ran, crash or not
    assert _rows(db, "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL") == [(0,)]
    doc_id, hold, got_mrn = by_sha[_sha(goods[held["file"]])]
    assert got_mrn and hold, (point, doc_id)
    summary = json.loads(out.strip().splitlines()[-1])[0]
    assert summary["failed"] == 0
