"""Run several audit writer processes at once (tests and the audit benchmark)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_writers(url: str, writers: int, events: int, timeout: float = 300,
                mode: str = "mixed") -> list[dict[str, Any]]:
    """Start ``writers`` processes appending ``events`` each; wait for all; their reports."""
    with tempfile.TemporaryDirectory(prefix="cv-audit-gate-") as tmp:
        gate = Path(tmp) / "go"
        procs = [subprocess.Popen(
            [sys.executable, "-m", "tests.support.audit_writer", url, str(events), str(gate),
             mode],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(writers)]
        deadline = time.monotonic() + timeout
        while len(list(Path(tmp).glob("ready-*"))) < writers:
            assert time.monotonic() < deadline, "audit writers did not start"
            assert all(p.poll() is None for p in procs), "an audit writer died at start"
            time.sleep(0.01)
        gate.touch()
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err[-2000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports
