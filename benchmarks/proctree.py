"""Run a command and sample the summed RSS of its whole process tree (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_rss_mb(root: int) -> float:
    """Summed resident memory of ``root`` and all its descendants, in MB."""
    kids = _children()
    todo, total = [root], 0
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


@dataclass
class Measured:
    """Wall time, exit code, peak tree RSS and output of one command."""

    seconds: float
    returncode: int
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_measured(cmd: Sequence[str], env: Mapping[str, str] | None = None,
                 cwd: Path | None = None, interval: float = 0.2) -> Measured:
    """Run ``cmd`` to completion, sampling its process tree's RSS every ``interval`` s."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=dict(env) if env else None, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_mb(proc.pid))
            stop.wait(interval)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    stop.set()
    t.join()
    return Measured(time.perf_counter() - t0, proc.returncode, peak, out, err)
