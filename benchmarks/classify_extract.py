"""Classification + extraction speed and quality on text (no OCR), one core.

    python benchmarks/classify_extract.py [--truth ../shared/eval/dev/truth.jsonl] [--repeat 5]

Feeds each truth text through the shipped classifier and metadata extractor, the way
ingest does after OCR, scores the records with the shared scorer, and times the loop on
one core. Last line: ``CLASSIFY_EXTRACT docs=.. docs_per_s=..``
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
    t0 = time.perf_counter()
    for i in range(args.repeat):
        for row in rows:
            u = understand(row["text"], classifier, extractor, 0.5)
            if i == 0:
                ex, p = u.extraction, u.extraction.patient
                preds.append({
                    "file": row["file"], "doc_type": u.classification.doc_type,
                    "patient": {"family": p.family, "given": p.given,
                                "birth_date": p.birth_date and p.birth_date.isoformat(),
                                "sex": p.sex, "mrn": p.mrn},
                    "service_date": ex.service_date and ex.service_date.isoformat(),
                    "document_date": ex.document_date and ex.document_date.isoformat(),
                    "author": ex.author, "facility": ex.facility,
                    "needs_review": u.needs_review,
                })
    seconds = time.perf_counter() - t0
    n = len(rows) * args.repeat
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in preds:
            f.write(json.dumps(p) + "\n")
    score = REPO.parent / "shared/eval/score.py"
    if score.exists():
        out = subprocess.run([sys.executable, str(score), "--truth", str(args.truth), "--pred",
                              f.name], capture_output=True, text=True, check=True).stdout
        print(out)
    truth = {r["file"]: r for r in rows}
    misfiled = 0
    review = 0
    for p in preds:
        if p["needs_review"]:
            review += 1
            continue
        t = truth[p["file"]]["patient"]
        norm = lambda s: "".join(c for c in (s or "").lower() if c.isalnum())  # noqa: E731
        if (norm(p["patient"]["family"]) != norm(t["family"])
                or norm(p["patient"]["mrn"] or "") not in ("", norm(t["mrn"]))
                or (p["patient"]["birth_date"] and p["patient"]["birth_date"] != t["birth_date"])):
            misfiled += 1
    print(f"needs_review rate: {review / len(preds):.3f}  misfile rate (auto-filed under a wrong "
          f"identity): {misfiled / len(preds):.3f} ({misfiled} docs)")
    print(f"CLASSIFY_EXTRACT docs={n} docs_per_s={n / seconds:.1f}")


if __name__ == "__main__":
    main()
