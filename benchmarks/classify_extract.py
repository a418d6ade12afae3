"""Classification + extraction speed and quality on text (no OCR), one core.

    python benchmarks/classify_extract.py [--truth ../shared/eval/dev/truth.jsonl] [--repeat 5]

Feeds each truth text through the shipped classifier and metadata extractor, the way
ingest does after OCR, scores the records with the shared scorer, and times the loop on
one core. Last line: ``CLASSIFY_EXTRACT docs=.. docs_per_s=.. docs_per_cpu_s=..
first_pass_docs_per_s=.. load1=..`` (per CPU second too: on a loaded machine the wall
clock also counts others' work; the first pass alone: later repeats meet warm caches).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from chartvault.analyze import prediction
from chartvault.evaluation import evaluate_rows
from chartvault.pipeline.understand import default_models, understand

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", type=Path, default=REPO.parent / "shared/eval/dev/truth.jsonl")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.truth.read_text().splitlines() if line.strip()]
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    classifier, extractor = default_models()
    understand(rows[0]["text"], classifier, extractor, 0.5)  # warm-up
    preds = []
    t0, c0 = time.perf_counter(), time.process_time()
    first = 0.0
    for i in range(args.repeat):
        for row in rows:
            u = understand(row["text"], classifier, extractor, 0.5)
            if i == 0:
                preds.append(prediction(row["file"], u))
        if i == 0:  # texts never seen before, as in ingest: no cache has met them yet
            first = time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    n = len(rows) * args.repeat
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in preds:
            f.write(json.dumps(p) + "\n")
    score = REPO.parent / "shared/eval/score.py"
    if score.exists():
        out = subprocess.run([sys.executable, str(score), "--truth", str(args.truth), "--pred",
                              f.name], capture_output=True, text=True, check=True).stdout
        print(out)
    rep = evaluate_rows(rows, preds)
    print(f"needs_review rate: {rep.needs_review_rate:.3f}  misfile rate (auto-filed under a "
          f"wrong identity): {rep.misfile_rate:.3f} ({rep.misfiled} docs)")
    # CPU seconds as well: on a shared machine the wall clock counts other work too
    print(f"CLASSIFY_EXTRACT docs={n} docs_per_s={n / seconds:.1f} "
          f"docs_per_cpu_s={n / cpu:.1f} first_pass_docs_per_s={len(rows) / first:.1f} "
          f"load1={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
