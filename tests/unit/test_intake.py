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


def test_links_and_fifos_are_listed_and_claimed_as_entries_never_followed(
        tmp_path: Path) -> None:
    intake = tmp_path / "intake"
    intake.mkdir()
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"%PDF-1.4 another patient's chart")
    (intake / "link.pdf").symlink_to(outside)
    (intake / "linkdir").symlink_to(tmp_path)
    os.mkfifo(intake / "fifo.pdf")
    (intake / "sub.pdf").mkdir()  # a folder named like a file is walked, not claimed
    names = sorted(p.name for p in ready_files(intake, 0, now=time.time() + 10))
    assert names == ["fifo.pdf", "link.pdf", "linkdir"]
    c = claim(intake / "link.pdf", intake, "default")
    assert c.source.is_symlink() and outside.read_bytes().startswith(b"%PDF")

    from chartvault.errors import QuarantineError
    from chartvault.errors import QuarantineReason as R
    from extractors.pages import inspect_source

    for entry in (c.source, intake / "fifo.pdf"):
        with pytest.raises(QuarantineError) as err:
            inspect_source(entry)
        assert err.value.reason == R.NOT_REGULAR_FILE


def test_a_file_that_cannot_be_moved_leaves_no_claim_and_no_name(tmp_path: Path) -> None:
    from chartvault.pipeline.intake import ClaimFailed, claims_root

    intake = tmp_path / "intake"
    intake.mkdir()
    elsewhere = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    if elsewhere is None or os.stat(elsewhere).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second file system for a rename that fails")
    src = elsewhere / f"DOE_JANE_1960-01-02-{os.getpid()}.pdf"
    src.write_bytes(b"%PDF-1.4")
    try:
        with pytest.raises(ClaimFailed) as err:
            claim(src, intake, "default")  # custody on another file system: EXDEV
        assert "DOE" not in str(err.value) and "1960" not in repr(err.value)
        assert not any(claims_root(intake).iterdir())  # no folder, no claim.json
        assert src.exists()  # left where it was
    finally:
        src.unlink()


def test_orphan_claims_are_cleaned_and_attempts_counted(tmp_path: Path) -> None:
    from chartvault.pipeline.intake import claims_root, clean_orphans

    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    c = claim(tmp_path / "a.pdf", tmp_path, "default")
    (claims_root(tmp_path) / "deadbeef").mkdir()  # a crash between mkdir and rename
    assert clean_orphans(tmp_path) == 1 and [p.name for p in claims_root(tmp_path).iterdir()
                                             ] == [c.claim_id]
    assert c.count_attempt() == 1 and c.count_attempt() == 2 and c.count_attempt(-1) == 1
    assert c.source.name == "source"  # nothing from the file's name
    (c.folder / "claim.json").unlink()  # a crash between the rename and the record
    assert c.info()["original_name"] is None


def test_limits_are_checked_before_decoding() -> None:
    import io

    import pikepdf

    from chartvault.errors import QuarantineError
    from chartvault.errors import QuarantineReason as R
    from extractors.pages import check_pixels, inspect_source, upscaled_pixels

    assert upscaled_pixels(8000, 8000, 72) == 27778 * 27778
    assert upscaled_pixels(2550, 3300, 300) == 2550 * 3300
    with pytest.raises(QuarantineError) as err:
        check_pixels(8000, 8000, 72, 50_000, 0)
    assert err.value.reason == R.IMAGE_TOO_LARGE and "after upscaling" in err.value.detail
    with pytest.raises(QuarantineError) as err:
        check_pixels(9000, 9000, 300, 1000, 0)
    assert err.value.reason == R.DECOMPRESSION_BOMB
    check_pixels(2550, 3300, 300, 100_000, 0)  # a letter page at 300 dpi passes

    pdf = pikepdf.new()
    for _ in range(5000):
        pdf.add_blank_page()
    buf = io.BytesIO()
    pdf.save(buf)
    path = Path(f"/tmp/cv-5000-{os.getpid()}.pdf")
    path.write_bytes(buf.getvalue())
    try:
        started = time.perf_counter()
        with pytest.raises(QuarantineError) as err:
            inspect_source(path, max_pages=2000)
        took = time.perf_counter() - started
    finally:
        path.unlink()
    assert err.value.reason == R.TOO_MANY_PAGES and err.value.detail.startswith("5000 pages")
    assert took < 2.0, took  # the page tree's count, not 5,000 parsed pages


def test_scratch_folders_are_private_and_swept_after_their_run_died(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stat
    import subprocess
    import sys

    from extractors import scratch

    monkeypatch.setenv(scratch.ROOT_ENV, str(tmp_path))
    monkeypatch.delenv(scratch.ENV, raising=False)
    mine = scratch.run_dir()
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
    assert stat.S_IMODE(scratch.root().stat().st_mode) == 0o700
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = scratch.root() / f"run-{dead}-abcdef12"
    stale.mkdir()
    (stale / "cv-ocr-page.tif").write_bytes(b"II*\x00 a page showing a name")
    assert scratch.sweep() == 1 and not stale.exists() and mine.exists()


def test_the_watcher_takes_claims_left_in_custody_up_again_without_new_files(
        tmp_path: Path) -> None:
    # a run that failed half-way (or deferred its documents in an outage) left a claim
    from chartvault.pipeline.intake import exclusive_run
    from chartvault.settings import Settings
    from chartvault.watch import IntakeWatcher

    settings = Settings(data_dir=tmp_path, settle_seconds=0)
    folder = settings.intake_path(settings.intakes[0])
    folder.mkdir(parents=True)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 a chart")
    watcher = IntakeWatcher(settings, lambda *_: None, claims_every_s=3600)
    assert watcher.waiting() == ["default"]  # a new file
    claim(folder / "scan.pdf", folder, "default")
    assert next(ready_files(folder, 0), None) is None  # nothing new in the folder
    assert watcher.waiting() == ["default"]  # but a claim in custody, never run over
    watcher._custody_run["default"] = time.monotonic()  # as run_once notes it
    assert watcher.waiting() == []  # revisited every claims_every_s, not every poll
    watcher.claims_every_s = 0
    assert watcher.waiting() == ["default"]
    with exclusive_run(folder) as held:  # another run holds the folder: left alone
        assert held and watcher.waiting() == []
