"""End-to-end quality on the shared dev set: `chartvault analyze --jsonl` + score.py.

    python benchmarks/eval_dev.py [--dev ../shared/eval/dev] [--out preds.jsonl]

Runs the CLI exactly as a user would (OCR included), times it, and prints score.py's
report and the review and misfile rates of `chartvault evaluate`; the last line is
score.py's ``SCORE ...`` line followed by the wall time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", type=Path, default=REPO.parent / "shared/eval/dev")
    # Predictions hold what was read from the shared documents (names, text): they are
    # written outside the repository unless asked otherwise, never committed.
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "chartvault-dev-predictions.jsonl")
    args = ap.parse_args()
    exe = Path(sys.executable).parent / "chartvault"
    t0 = time.perf_counter()
    subprocess.run([str(exe), "analyze", str(args.dev / "docs"), "--jsonl", "-o", str(args.out)],
                   check=True)
    wall = time.perf_counter() - t0
    report = subprocess.run(
        [sys.executable, str(args.dev.parent / "score.py"), "--truth",
         str(args.dev / "truth.jsonl"), "--pred", str(args.out)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    lines = report.splitlines()
    print("\n".join(lines[:-1]))
    # chartvault's own evaluation adds the review and misfile rates score.py does not give
    ours = subprocess.run([str(exe), "evaluate", "--truth", str(args.dev / "truth.jsonl"),
                           "--pred", str(args.out)], capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()
    print("\n".join(line for line in ours if line.startswith(("needs_review", "EVALUATE"))))
    print(f"wall_s={wall:.1f}")
    print(f"{lines[-1]} wall_s={wall:.1f}")


if __name__ == "__main__":
    main()
