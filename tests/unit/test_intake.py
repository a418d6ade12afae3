from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from chartvault.pipeline.intake import claim, pending_claims, ready_files, release


def test_only_settled_non_junk_files_are_ready(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"x")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    (tmp_path / "Thumbs.db").write_bytes(b"x")
    (tmp_path / "b.pdf.part").write_bytes(b"x")
    (tmp_path / "fresh.pdf").write_bytes(b"x")
    old = time.time() - 60
    for name in ("a.pdf", ".DS_Store", "Thumbs.db", "b.pdf.part"):
        os.utime(tmp_path / name, (old, old))
    ready = [p.name for p in ready_files(tmp_path, settle_seconds=10)]
    assert ready == ["a.pdf"]


def test_claim_keeps_file_in_custody_until_release(tmp_path: Path) -> None:
    src = tmp_path / "Doe_Jane.pdf"
    src.write_bytes(b"%PDF-1.4 data")
    c = claim(src, tmp_path, "default")
    assert not src.exists() and c.source.read_bytes() == b"%PDF-1.4 data"
    assert "Doe" not in str(c.source)  # the claimed path carries no patient name
    assert c.info()["original_name"] == "Doe_Jane.pdf"
    assert [p.claim_id for p in pending_claims(tmp_path, "default")] == [c.claim_id]
    assert list(ready_files(tmp_path, 0)) == []  # custody folder is not intake
    release(c, tmp_path / "processed", "abc", ".pdf")
    assert (tmp_path / "processed" / "abc.pdf").read_bytes() == b"%PDF-1.4 data"
    assert pending_claims(tmp_path, "default") == []


def test_one_run_at_a_time_per_intake_folder_and_a_dead_holder_frees_it(
        tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from chartvault.pipeline.intake import exclusive_run

    with exclusive_run(tmp_path) as first:
        with exclusive_run(tmp_path) as second:
            assert first and not second
    with exclusive_run(tmp_path) as again:
        assert again
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path\n"
         "from chartvault.pipeline.intake import exclusive_run\n"
         "with exclusive_run(Path(sys.argv[1])) as held:\n"
         "    print(held, flush=True); time.sleep(60)\n", str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        with exclusive_run(tmp_path) as while_held:
            assert not while_held
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: no clean exit, no unlock call
        holder.wait()
    with exclusive_run(tmp_path) as after_crash:
        assert after_crash


def test_the_watcher_backs_off_when_waiting_files_are_not_handled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fault we cannot provoke for real as root (a file the flow cannot take): the flow
    # is replaced by one that takes nothing, then by one that fails, then by one that works.
    import flows.ingest
    from chartvault.settings import Settings
    from chartvault.watch import IntakeWatcher

    counts = {"archived": 0, "duplicates": 0, "quarantined": 0}
    watcher = IntakeWatcher(Settings(data_dir=tmp_path), lambda *_: None, poll_s=0.25)
    monkeypatch.setattr(flows.ingest, "ingest", lambda intake=None: [dict(counts)])
    assert watcher.run_once() == 0 and watcher.delay() == 0.25  # first pass: nothing expected
    for expected in (0.5, 1.0, 2.0):
        assert watcher.run_once(["default"]) == 0
        assert watcher.delay() == expected
    monkeypatch.setattr(flows.ingest, "ingest", lambda intake=None: 1 / 0)
    assert watcher.run_once(["default"]) == 0 and watcher.delay() == 4.0
    watcher.failures = 20
    assert watcher.delay() == 300.0
    monkeypatch.setattr(flows.ingest, "ingest",
                        lambda intake=None: [dict(counts, archived=2, quarantined=1)])
    assert watcher.run_once(["default"]) == 3 and watcher.delay() == 0.25
