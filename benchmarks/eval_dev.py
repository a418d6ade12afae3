"""End-to-end quality on the shared splits (dev, dev2), without and with the patient registry.

    python benchmarks/eval_dev.py [--eval ../shared/eval] [--splits dev dev2]
                                  [--out-dir /tmp] [--reuse] [--registry-runs]

Per split: runs ``chartvault analyze DOCS --jsonl`` exactly as a user would (OCR included),
times it, and scores it with ``score.py`` and ``chartvault evaluate`` (needs_review and
misfile rates). Then the same documents with the split's ``patients.ndjson``: by default
the saved predictions are re-linked (``chartvault.analyze.relink``: ``understand`` links
last, so this is the record a run with ``--registry`` writes, without a second OCR pass);
``--registry-runs`` runs ``chartvault analyze --registry`` instead. ``--reuse`` scores
predictions already in ``--out-dir`` instead of running OCR again.

Each measurement prints score.py's field table, its ``SCORE`` line, then
``RATES split=... registry=... needs_review_rate=... misfile_rate=... misfiled=N``; a
summary follows. Predictions hold what was read from the shared documents: they are
written outside the repository, never committed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _analyze(exe: Path, docs: Path, out: Path, registry: Path | None) -> float:
    cmd = [str(exe), "analyze", str(docs), "--jsonl", "-o", str(out)]
    if registry is not None:
        cmd += ["--registry", str(registry)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def _relink(src: Path, dst: Path, registry_file: Path) -> tuple[float, float]:
    """Re-link saved predictions; (registry load seconds, mean link ms per document)."""
    from chartvault.analyze import dumps, relink
    from extractors.registry import load

    load(registry_file)  # warm: imports and file cache, so the timing below is the load
    t0 = time.perf_counter()
    registry = load(registry_file)
    loaded = time.perf_counter() - t0
    rows = [json.loads(line) for line in src.open()]
    t1 = time.perf_counter()
    out = [relink(row, registry) for row in rows]
    per_doc = (time.perf_counter() - t1) * 1000 / max(1, len(rows))
    dst.write_text("".join(dumps(r) + "\n" for r in out))
    return loaded, per_doc


def _score(exe: Path, split_dir: Path, pred: Path, label: str) -> dict[str, str]:
    truth = split_dir / "truth.jsonl"
    report = subprocess.run(
        [sys.executable, str(split_dir.parent / "score.py"), "--truth", str(truth),
         "--pred", str(pred)], capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()
    start = next((i for i, line in enumerate(report) if line.startswith("field exact")), 0)
    print(f"== {label}")
    print("\n".join(line for line in report[start:-1] if line.strip()))
    print(report[-1])
    ours = subprocess.run([str(exe), "evaluate", "--truth", str(truth), "--pred", str(pred),
                           "--json"], capture_output=True, text=True, check=True).stdout
    rep = json.loads(ours)
    rates = (f"needs_review_rate={rep['needs_review_rate']:.4f} "
             f"misfile_rate={rep['misfile_rate']:.4f} misfiled={rep['misfiled']}")
    print(f"RATES {label} {rates}")
    return {"score": report[-1], "rates": rates}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=REPO.parent / "shared/eval")
    ap.add_argument("--splits", nargs="+", default=["dev", "dev2"])
    ap.add_argument("--out-dir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--reuse", action="store_true",
                    help="score predictions already in --out-dir (no OCR)")
    ap.add_argument("--registry-runs", action="store_true",
                    help="run analyze --registry (a second OCR pass) instead of re-linking")
    args = ap.parse_args()
    exe = Path(sys.executable).parent / "chartvault"
    summary = []
    for split in args.splits:
        split_dir = args.eval / split
        plain = args.out_dir / f"chartvault-{split}-predictions.jsonl"
        linked = args.out_dir / f"chartvault-{split}-predictions-registry.jsonl"
        registry = split_dir / "patients.ndjson"
        if not (args.reuse and plain.exists()):
            wall = _analyze(exe, split_dir / "docs", plain, None)
            print(f"{split}: analyze wall_s={wall:.1f}")
        res = _score(exe, split_dir, plain, f"split={split} registry=no")
        summary.append((split, "no", res))
        if not registry.exists():
            continue
        if args.registry_runs and not (args.reuse and linked.exists()):
            wall = _analyze(exe, split_dir / "docs", linked, registry)
            print(f"{split}: analyze --registry wall_s={wall:.1f}")
        elif not args.registry_runs:
            loaded, per_doc = _relink(plain, linked, registry)
            print(f"{split}: registry load_s={loaded:.3f} link_ms_per_doc={per_doc:.2f}")
        res = _score(exe, split_dir, linked, f"split={split} registry=yes")
        summary.append((split, "yes", res))
    print("== summary")
    for split, reg, res in summary:
        print(f"{split:5} registry={reg:3} {res['score']} {res['rates']}")


if __name__ == "__main__":
    main()
