"""Soak: a long ingest of generated documents, every input accounted for, RSS kept flat.

    python benchmarks/soak.py [--docs 2000] [--bad-share 0.05] [--seed 7] [--keep DIR]

On the embedded default (local object store, SQLite catalog): ``--docs`` documents from
``chartvault.synth`` (the demo's generator, its format mix: scans, TIFF, JPEG, PNG,
born-digital and mixed PDFs) plus ``--bad-share`` bad files
(``chartvault.synth.badfiles``: empty, truncated, corrupt, encrypted, wrong types),
dropped in four quarters into the intake of ONE long-lived ingest process, which files
each quarter as it arrives (the same steps as ``chartvault ingest``; no Prefect server,
whose own memory is not ours to measure). The process tree's RSS (the ingest process and
all its OCR workers, ``benchmarks.proctree``) is sampled every 0.2 s and its peak kept
per quarter. At the end every input is looked up by its SHA-256 in the catalog and the
quarantine list: ``lost`` counts inputs found in neither (or still in custody),
``duplicated`` inputs found more often than they were dropped, or records with more
than one stored original. The flat-RSS check: the last quarter's peak is within 10 % of
the first quarter's. The last line:

    SOAK docs=.. pages=.. archived=.. quarantined=.. lost=0 duplicated=0 peak_rss_mb=..
         pages_per_s=..   (one line)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.proctree import tree_rss_mb

QUARTERS = 4
OLD = time.time() - 3600  # bad files look long finished (a truncated one is not "growing")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stage(root: Path, docs: int, bad_share: float, seed: int) -> tuple[list[Path], int]:
    """Generate each quarter's inputs under ``root/q<n>``; returns the folders and pages."""
    from chartvault.synth.badfiles import make_bad_inputs
    from chartvault.synth.batch import generate_batch

    bad_pool = root / "bad-kinds"
    make_bad_inputs(bad_pool)
    kinds = sorted(bad_pool.iterdir())
    n_bad = round(docs * bad_share)
    folders, pages, made_bad = [], 0, 0
    jobs = max(1, (os.cpu_count() or 1))
    for q in range(QUARTERS):
        folder = root / f"q{q + 1}"
        n = docs // QUARTERS + (1 if q < docs % QUARTERS else 0)
        rows = generate_batch(folder, n, seed=seed * 1000 + q, jobs=jobs)
        pages += sum(int(r["pages"]) for r in rows)
        for p in sorted(folder.iterdir()):
            p.rename(folder / f"q{q + 1}_{p.name}")
        want = n_bad * (q + 1) // QUARTERS - made_bad
        for i in range(want):
            kind = kinds[(made_bad + i) % len(kinds)]
            dest = folder / f"q{q + 1}_bad_{i:03d}{kind.suffix}"
            shutil.copyfile(kind, dest)
            os.utime(dest, (OLD, OLD))
        made_bad += want
        folders.append(folder)
    return folders, pages


def worker(data: Path, staged: list[Path], status: Path) -> None:
    """The long-lived ingest process: each quarter dropped, then filed, in one process."""
    from chartvault.catalog import Catalog
    from chartvault.settings import Settings
    from flows.ingest import run_intake

    settings = Settings()
    intake = settings.intakes[0]
    folder = settings.intake_path(intake)
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    for q, src in enumerate(staged, start=1):
        for p in sorted(src.iterdir()):
            os.rename(p, folder / p.name)  # same file system: a drop, as a scanner does
        status.write_text(str(q))
        t0 = time.perf_counter()
        summary = run_intake(settings, intake.name, catalog, plain=True)
        seconds = time.perf_counter() - t0
        print(json.dumps({"quarter": q, "seconds": seconds, "summary": {
            k: summary[k] for k in ("archived", "duplicates", "quarantined", "pages", "failed",
                                    "held", "deferred_storage", "deferred_catalog")}}),
              flush=True)
    status.write_text("done")
    catalog.close()


def account(data: Path, inputs: Counter[str]) -> tuple[int, int, int, int]:
    """(archived, quarantined, lost, duplicated): every input against catalog + quarantine."""
    with sqlite3.connect(data / "catalog.db") as db:
        docs = [(r[0], r[1]) for r in db.execute("SELECT doc_id, sha256 FROM documents "
                                                 "WHERE status = 'archived'")]
        folders = [r[0] for r in db.execute("SELECT folder FROM quarantine")]
    found: Counter[str] = Counter(sha for _, sha in docs)
    for folder in folders:
        reason = json.loads((data / folder / "reason.json").read_text())
        found[str(reason["sha256"])] += 1
    lost = sum(max(0, n - found[sha]) for sha, n in inputs.items())
    duplicated = sum(max(0, n - inputs[sha]) for sha, n in found.items())
    for doc_id, _ in docs:  # one stored original per record
        stored = [p for p in (data / "objects" / "records" / doc_id).iterdir()
                  if p.name.startswith("original") and not p.name.endswith(".meta.json")]
        duplicated += max(0, len(stored) - 1)
    return len(docs), len(folders), lost, duplicated


def main() -> None:
    """Stage, run the worker under RSS sampling, account for every input."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--bad-share", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None, help="work here and keep it")
    ap.add_argument("--worker", nargs=2, metavar=("STAGED", "STATUS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        staged = [Path(p) for p in json.loads(Path(args.worker[0]).read_text())]
        worker(Path(os.environ["CHARTVAULT_DATA_DIR"]), staged, Path(args.worker[1]))
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="cv-soak-"))
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    t0 = time.perf_counter()
    folders, pages = stage(root / "staged", args.docs, args.bad_share, args.seed)
    inputs: Counter[str] = Counter(_sha(p) for f in folders for p in f.iterdir())
    n_inputs = sum(inputs.values())
    print(f"staged {n_inputs} inputs ({args.docs} documents, {pages} pages, "
          f"{n_inputs - args.docs} bad) in {time.perf_counter() - t0:.0f} s", flush=True)
    listing, status = root / "staged.json", root / "quarter"
    listing.write_text(json.dumps([str(f) for f in folders]))
    status.write_text("0")
    env = {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
           "CHARTVAULT_USER": "soak", "CHARTVAULT_SCRATCH_ROOT": str(root / "scratch"),
           "PREFECT_HOME": str(root / "prefect")}
    err = open(root / "worker.err", "w")  # closed after the worker ends
    proc = subprocess.Popen([sys.executable, __file__, "--worker", str(listing), str(status)],
                            env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    peaks: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            text = status.read_text().strip()
            if text.isdigit() and int(text) > 0:
                q = int(text)
                peaks[q] = max(peaks.get(q, 0.0), tree_rss_mb(proc.pid))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    quarters: list[dict[str, Any]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):
            quarters.append(json.loads(line))
            q = quarters[-1]
            print(f"quarter {q['quarter']}: {q['seconds']:.0f} s, peak RSS "
                  f"{peaks.get(q['quarter'], 0):.0f} MB, {q['summary']}", flush=True)
    code = proc.wait()
    stop.set()
    sampler.join()
    err.close()
    if code != 0:
        sys.exit(f"soak worker failed ({code}); see {root / 'worker.err'}")
    archived, quarantined, lost, duplicated = account(data, inputs)
    seconds = sum(q["seconds"] for q in quarters)
    filed_pages = sum(q["summary"]["pages"] for q in quarters)
    first, last = peaks.get(1, 0.0), peaks.get(QUARTERS, 0.0)
    growth = (last - first) / first * 100 if first else 0.0
    flat = last <= first * 1.10
    print(f"RSS flat check: first quarter peak {first:.0f} MB, last quarter peak {last:.0f} MB "
          f"({growth:+.1f} %): {'flat (within 10 %)' if flat else 'NOT FLAT (over 10 %)'}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    print(f"SOAK docs={args.docs} pages={filed_pages} archived={archived} "
          f"quarantined={quarantined} lost={lost} duplicated={duplicated} "
          f"peak_rss_mb={max(peaks.values(), default=0):.0f} "
          f"pages_per_s={filed_pages / seconds if seconds else 0:.2f}")


if __name__ == "__main__":
    main()
