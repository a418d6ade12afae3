"""Generate a batch of scans with ground truth (demo, tests, benchmarks, training).

File names carry no patient data (``scan_0001.pdf``), as scan stations should name them.
    python -m chartvault.synth.batch OUT_DIR --docs N --seed S --truth FILE
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

EXT = {"pdf_scan": ".pdf", "pdf_text": ".pdf", "pdf_mixed": ".pdf", "tiff": ".tif",
       "png": ".png", "jpeg": ".jpg"}
FORMAT_MIX = {"pdf_scan": 60, "tiff": 12, "jpeg": 8, "png": 4, "pdf_text": 11, "pdf_mixed": 5}


def _one(args: tuple[Path, int, int, str, str | None]) -> dict[str, Any]:
    from chartvault.synth.content import make_document
    from chartvault.synth.render import render

    out_dir, i, seed, fmt, doc_type = args
    doc = make_document(seed, doc_type)
    return render(doc, fmt, out_dir / f"scan_{i:04d}{EXT[fmt]}", seed=seed)


def generate_batch(out_dir: Path, n: int, *, seed: int = 0,
                   formats: Sequence[str] | None = None,
                   doc_types: Sequence[str] | None = None, jobs: int = 1) -> list[dict[str, Any]]:
    """Write ``n`` documents into ``out_dir``; returns their truth rows in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    keys = list(FORMAT_MIX)
    work = []
    for i in range(n):
        fmt = formats[i % len(formats)] if formats else rng.choices(
            keys, weights=[FORMAT_MIX[k] for k in keys])[0]
        dt = doc_types[i % len(doc_types)] if doc_types else None
        work.append((out_dir, i + 1, seed * 100003 + i, fmt, dt))
    if jobs > 1 and n > 1:
        with ProcessPoolExecutor(jobs) as ex:
            return list(ex.map(_one, work))
    return [_one(w) for w in work]


def write_truth(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Truth rows as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def main() -> None:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--truth", type=Path)
    args = ap.parse_args()
    rows = generate_batch(args.out, args.docs, seed=args.seed, jobs=args.jobs)
    if args.truth:
        write_truth(rows, args.truth)


if __name__ == "__main__":
    main()
