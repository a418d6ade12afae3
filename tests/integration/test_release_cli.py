"""``chartvault release ...`` as real processes, as signed-in people (``CHARTVAULT_TOKEN``)."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import bagit

from chartvault.auth.roles import Role
from tests.support.records import file_record
from tests.support.world import build_world, file_doc


def _cv(data: Path, bearer: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
    env.update(CHARTVAULT_DATA_DIR=str(data), CHARTVAULT_TOKEN=bearer,
               XDG_CONFIG_HOME=str(data.parent / "config"))
    return subprocess.run([sys.executable, "-m", "chartvault.cli", "release", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_request_review_fulfil_and_account_from_the_command_line(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    docs = [file_record(w, i, served=date(2020, 1, i), mrn="MRN42") for i in (1, 2)]
    auth = file_doc(w, 9, retain_until=date(2090, 1, 1))
    arch, rm = w.person("arch1", Role.ARCHIVIST), w.person("rm1", Role.RECORDS_MANAGER)
    aud, scan = w.person("aud1", Role.AUDITOR), w.person("scan1", Role.SCANNER)
    data = w.settings.data_dir
    w.catalog.close()

    made = _cv(data, arch, "request", "--mrn", "MRN42", "--requester-kind", "provider",
               "--requester", "Dr. Who Clinic", "--purpose", "continuity of care",
               "--authorization", auth, "--type", "progress_note")
    assert made.returncode == 0, made.stderr
    rid = re.match(r"(rq-\w+)\s+received, due", made.stdout).group(1)  # type: ignore[union-attr]
    listed = _cv(data, arch, "list")
    assert rid in listed.stdout and "received" in listed.stdout
    assert _cv(data, arch, "review", rid).returncode == 0

    refused = _cv(data, arch, "fulfil", rid, "--out", str(tmp_path / "out"))
    assert refused.returncode == 7 and "not permitted" in refused.stderr  # 403
    assert _cv(data, scan, "list").returncode == 7

    done = _cv(data, rm, "fulfil", rid, "--out", str(tmp_path / "out"), "--encrypt")
    assert done.returncode == 0, done.stderr
    assert "passphrase (shown once" in done.stdout
    bag = tmp_path / "out" / f"{rid}-bag"
    bagit.Bag(str(bag)).validate()
    assert sorted(p.name for p in (bag / "data" / "documents").iterdir()) == sorted(docs)
    assert (tmp_path / "out" / f"{rid}-release.pdf").exists()
    assert (tmp_path / "out" / f"{rid}-bag.zip").exists()

    shown = _cv(data, rm, "show", rid)
    assert "fulfilled" in shown.stdout and "2 document(s): progress_note" in shown.stdout

    acc = _cv(data, aud, "accounting", "--mrn", "MRN42")
    assert acc.returncode == 0, acc.stderr
    [row] = list(csv.DictReader(io.StringIO(acc.stdout)))
    assert row["recipient"] == "Dr. Who Clinic" and row["request_id"] == rid
    pdf = tmp_path / "accounting.pdf"
    assert _cv(data, aud, "accounting", "--mrn", "MRN42", "--pdf", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")

    report = _cv(data, rm, "access-report", "--mrn", "MRN42")
    actions = {r["action"] for r in csv.DictReader(io.StringIO(report.stdout))}
    assert "release_fulfil" in actions

    other = _cv(data, arch, "request", "--mrn", "MRN42", "--requester-kind", "patient",
                "--requester", "P", "--purpose", "own copy")
    oid = other.stdout.split()[0]
    assert _cv(data, rm, "deny", oid, "--reason", "duplicate request").returncode == 0
    assert "reason: duplicate request" in _cv(data, rm, "show", oid).stdout
    missing = _cv(data, rm, "show", "rq-nosuch")
    assert missing.returncode == 3
