"""Time ``chartvault watch``, the warm intake service, on a batch dropped into its intake.

The service is started on a fresh data directory and left to warm up (OCR workers,
imports, models, a first empty pass), as it is when scanning staff drop their files.
The clock starts just before the files are renamed into the intake folder (they were
copied beside it first, so the copy is not timed) and stops when the service has
reported every file as archived, duplicate or quarantined. That includes the service
noticing the files (it looks every 0.25 s by default; the drop comes right after a
look, so the wait is the whole interval). Peak RSS is the summed RSS of the
service's process tree, sampled every 0.2 s from its start to its stop.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.proctree import tree_rss_mb


@dataclass
class WatchRun:
    """One batch through the service: pages, seconds from drop to last report, peak RSS."""

    pages: int
    seconds: float
    peak_rss_mb: float


def run_watch(files: list[Path], work: Path, env: Mapping[str, str], exe: Path,
              timeout_s: float = 1800.0) -> WatchRun:
    """Start the service on a fresh data directory, drop ``files`` in, time the batch."""
    data = work / "data-watch"
    shutil.rmtree(data, ignore_errors=True)
    intake = data / "intake" / "default"
    stage = data / "stage"  # same file system as the intake: the drop is a rename
    intake.mkdir(parents=True)
    stage.mkdir()
    for f in files:
        shutil.copy2(f, stage / f.name)
    # stderr to a file: a pipe nobody reads would block the service once it filled up
    with (work / "watch-stderr.txt").open("w") as err:
        proc = subprocess.Popen([str(exe), "watch", "--json"],
                                env={**env, "CHARTVAULT_DATA_DIR": str(data)},
                                stdout=subprocess.PIPE, stderr=err, text=True)
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    peak = 0.0
    stop = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((time.perf_counter(), line))

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_mb(proc.pid))
            stop.wait(0.2)

    threading.Thread(target=read, daemon=True).start()
    threading.Thread(target=sample, daemon=True).start()
    try:
        deadline = time.monotonic() + timeout_s
        _wait_for(lines, proc, deadline, lambda line: line.startswith("watching"), work)
        t0 = time.perf_counter()
        for f in files:
            os.rename(stage / f.name, intake / f.name)
        done = pages = 0
        t_last = t0
        while done < len(files):
            t_last, batch = _wait_for(lines, proc, deadline, lambda line: line.startswith("{"),
                                      work)
            report = json.loads(batch)
            done += report["archived"] + report["duplicates"] + report["quarantined"]
            pages += report["pages"]
        return WatchRun(pages, t_last - t0, peak)
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for(lines: queue.Queue[tuple[float, str]], proc: subprocess.Popen[str],
              deadline: float, match: Callable[[str], bool], work: Path) -> tuple[float, str]:
    while time.monotonic() < deadline:
        try:
            at, line = lines.get(timeout=0.5)
        except queue.Empty:
            if proc.poll() is not None:
                err = (work / "watch-stderr.txt").read_text()
                raise RuntimeError(f"chartvault watch exited:\n{err[-3000:]}") from None
            continue
        if match(line):
            return at, line
    raise RuntimeError("chartvault watch: timed out")
