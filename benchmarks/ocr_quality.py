"""OCR text quality and speed on the shared dev set: chartvault vs raw Tesseract
(and OCRmyPDF with --with-ocrmypdf), same files, same cores, one run.

    python benchmarks/ocr_quality.py [--limit N] [--jobs 2] [--with-ocrmypdf]

CER as score.py computes it (Levenshtein / truth length, whitespace collapsed). Last line:
``OCR_QUALITY pages=.. righted=.. chartvault_cer_median=.. tesseract_cer_median=..
chartvault_pps=.. tesseract_pps=..`` (one line)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.anchors import ocrmypdf, raw_tesseract
from extractors.ocr import OcrOptions
from extractors.pages import inspect_source
from extractors.pool import PagePool, document_text

REPO = Path(__file__).resolve().parents[1]


def _scorer(dev: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("score", dev.parent / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cer(score, truth: str, pred: str) -> float:  # type: ignore[no-untyped-def]
    t, p = score.norm_ocr(truth), score.norm_ocr(pred)
    return score.levenshtein(t, p) / max(1, len(t))


def stats(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(0.9 * (len(values) - 1))]
    return (f"median {statistics.median(values):.4f} mean {statistics.mean(values):.4f} "
            f"p90 {p90:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", type=Path, default=REPO.parent / "shared/eval/dev")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--with-ocrmypdf", action="store_true")
    ap.add_argument("--no-cleanup", action="store_true")
    args = ap.parse_args()
    score = _scorer(args.dev)
    rows = [json.loads(x) for x in (args.dev / "truth.jsonl").read_text().splitlines() if x]
    rows = rows[args.offset:args.offset + args.limit] if args.limit else rows[args.offset:]
    files = [args.dev / r["file"] for r in rows]

    t0 = time.perf_counter()
    ours: dict[str, str] = {}
    pages = righted = 0
    with PagePool(args.jobs, OcrOptions(cleanup=not args.no_cleanup)) as pool:
        infos = ((str(f), inspect_source(f)) for f in files)
        for key, res in pool.run(infos):
            if isinstance(res, Exception):
                ours[key] = ""
                continue
            pages += len(res)
            righted += sum(1 for p in res if p.rotation)
            ours[key] = document_text(res)
    cv_s = time.perf_counter() - t0
    tess = raw_tesseract(files, args.jobs)
    engines = {"chartvault": (ours, pages / cv_s), "tesseract": (tess.texts,
                                                                 tess.pages / tess.seconds)}
    if args.with_ocrmypdf:
        o = ocrmypdf(files, args.jobs)
        engines["ocrmypdf"] = (o.texts, o.pages / o.seconds)
    cers: dict[str, list[float]] = {}
    for name, (texts, pps) in engines.items():
        cers[name] = [cer(score, r["text"], texts.get(str(f), ""))
                      for r, f in zip(rows, files, strict=True)]
        print(f"{name:10s} pages/s {pps:.3f}  CER {stats(cers[name])}")
    worse = sorted(((cers["chartvault"][i] - cers["tesseract"][i], rows[i]["file"])
                    for i in range(len(rows))), reverse=True)[:5]
    print("largest losses vs tesseract:", [(f, round(d, 4)) for d, f in worse if d > 0])
    med = {k: statistics.median(v) for k, v in cers.items()}
    print(f"pages righted (turned 90/180/270 before the main pass): {righted}")
    print(f"OCR_QUALITY pages={pages} righted={righted} "
          f"chartvault_cer_median={med['chartvault']:.4f} "
          f"tesseract_cer_median={med['tesseract']:.4f} "
          f"chartvault_pps={engines['chartvault'][1]:.3f} "
          f"tesseract_pps={engines['tesseract'][1]:.3f}")


if __name__ == "__main__":
    main()
