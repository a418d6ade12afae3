"""Metadata extraction on the dev truth texts: per-field exact match, misfiles, speed.

    python benchmarks/extract_eval.py [--truth ../shared/eval/dev/truth.jsonl] [--repeat 5]
                                      [--show FIELD]

Text in (the truth text, no OCR), record out, scored with the shared scorer's own
normalisation (imported by path, never copied). The misfile rate counts documents whose
identity would be established (name + MRN or name + DOB) while the name, MRN or birth
date is wrong: those would be filed under the wrong patient. Speed is measured on one
core. Last line: ``EXTRACT docs=.. fields_exact=.. docs_per_s=..``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from chartvault.model import Extraction  # noqa: E402
from extractors.metadata import MetadataExtractor  # noqa: E402


def load_scorer(path: Path) -> ModuleType:
    """The shared scorer, imported by path so its normalisation is the one that counts."""
    spec = importlib.util.spec_from_file_location("shared_score", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def as_prediction(file: str, e: Extraction) -> dict[str, Any]:
    """An Extraction in the truth schema."""
    p = e.patient

    def iso(d: Any) -> str | None:
        return d.isoformat() if d else None

    return {"file": file,
            "patient": {"family": p.family, "given": p.given, "birth_date": iso(p.birth_date),
                        "sex": p.sex, "mrn": p.mrn},
            "service_date": iso(e.service_date), "document_date": iso(e.document_date),
            "author": e.author, "facility": e.facility}


def misfiled(score: ModuleType, truth: dict[str, Any], e: Extraction) -> bool:
    """Identity established but a part of it is wrong."""
    if not e.identity_established():
        return False
    t, p = truth["patient"], e.patient
    if score.norm_name(p.family) != score.norm_name(t["family"]):
        return True
    if score.norm_name(p.given) != score.norm_name(t["given"]):
        return True
    if p.mrn and score.norm_mrn(p.mrn) != score.norm_mrn(t["mrn"]):
        return True
    bd = p.birth_date.isoformat() if p.birth_date else None
    return bool(bd) and score.norm_date(bd) != score.norm_date(t["birth_date"])


def main() -> None:
    """Score, list misses of one field on request, time on one core."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", type=Path, default=REPO.parent / "shared/eval/dev/truth.jsonl")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--show", default=None, help="print misses of this field (PHI: local only)")
    args = ap.parse_args()
    score = load_scorer(args.truth.parent.parent / "score.py")
    rows = [json.loads(x) for x in args.truth.read_text().splitlines() if x.strip()]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    extractor = MetadataExtractor()
    texts = [r["text"] for r in rows]
    extractor.extract(texts[0])  # warm-up
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        results = extractor.extract_many(texts)
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    for t in texts:
        extractor.extract(t)
    single = len(texts) / (time.perf_counter() - t1)
    preds = [as_prediction(r["file"], e) for r, e in zip(rows, results, strict=True)]
    s = score.score(rows, preds)
    print(f"{'field':22s} {'exact':>6s} {'non-null':>9s}")
    for name, v in s["fields"].items():
        nn = v["exact_on_non_null"]
        print(f"{name:22s} {v['exact']:6.3f} {nn if nn is None else round(nn, 3)!s:>9s}")
    bad = sum(misfiled(score, r, e) for r, e in zip(rows, results, strict=True))
    established = sum(e.identity_established() for e in results)
    print(f"identity established: {established}/{len(rows)}   misfiled: {bad} "
          f"(rate {bad / len(rows):.3f})")
    flagged = sum(bool(e.flags) for e in results)
    print(f"documents with flags: {flagged}")
    if args.show:
        path = dict(score.FIELDS)[args.show]
        norm = score.NORMALISERS[args.show]
        for r, p in zip(rows, preds, strict=True):
            tv, pv = score.get(r, path), score.get(p, path)
            if norm(tv) != norm(pv):
                print(f"  {r['file']}: truth={tv!r} pred={pv!r}")
    n = len(rows) * args.repeat
    print(f"extract(): {single:.1f} docs/s; extract_many(): {n / seconds:.1f} docs/s (one core)")
    print(f"EXTRACT docs={len(rows)} fields_exact={s['fields_exact']:.4f} "
          f"docs_per_s={n / seconds:.1f}")


if __name__ == "__main__":
    main()
