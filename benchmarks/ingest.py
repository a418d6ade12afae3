"""Ingest throughput against raw Tesseract and OCRmyPDF, in one run, on the same files.

    python benchmarks/ingest.py [--docs N] [--input DIR] [--jobs CORES] [--rss-scale 4]
                                [--repeat 5]

chartvault is timed end to end in both ways it ingests, on the same files, with a
long-lived Prefect server already up (its own start is reported apart):

- **service** (``chartvault watch``, also inside ``chartvault serve``): the warm intake
  service, already running when the files are dropped into its intake folder; timed
  from the drop to its report of the last file (see benchmarks/watchmode.py). This is
  how a records department runs chartvault, and it is ``chartvault_pps`` below.
- **cli** (``chartvault ingest`` as a new process): as an operator runs a one-off
  batch. It also pays the process's start: imports of Prefect and spaCy, models, OCR
  workers, flow start, about 2.2 CPU-seconds (overlapped with the first pages read
  ahead), a tenth of a 20-document batch on 2 cores.

The two and raw Tesseract are timed alternately ``--repeat`` times on the batch and the
medians reported: on 2 cores one run of any varies by 2-5 %. Peak RSS (the highest of
all runs of both) is the sum over the chartvault process and all its workers, sampled
every 0.2 s. The batch of N*scale documents is timed against raw Tesseract too, and its
peak RSS shows memory does not grow with the batch. The anchors run as the issue
prescribes (see benchmarks/anchors.py). The last two lines:

    MODES pages=.. service_pps=.. cli_pps=.. tesseract_pps=..
    INGEST pages=.. chartvault_pps=.. tesseract_pps=.. ocrmypdf_pps=.. peak_rss_mb=..
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.anchors import ocrmypdf, raw_tesseract
from benchmarks.proctree import run_measured
from benchmarks.watchmode import run_watch

VENV = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_prefect(home: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """A long-lived Prefect server for the run; returns it, its API URL and start time."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(VENV / "prefect"), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("prefect server did not start")


def _env(data: Path, work: Path, api_url: str, jobs: int) -> dict[str, str]:
    return {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
            "CHARTVAULT_OCR__JOBS": str(jobs), "PREFECT_API_URL": api_url,
            "PREFECT_HOME": str(work / "prefect-client")}


def run_chartvault(files: list[Path], work: Path, api_url: str, jobs: int) -> tuple[int, float,
                                                                                    float]:
    """``chartvault ingest`` on a fresh data directory; returns pages, seconds, peak RSS MB."""
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    for f in files:
        shutil.copy2(f, intake / f.name)
    m = run_measured([str(VENV / "chartvault"), "ingest"], env=_env(data, work, api_url, jobs))
    if m.returncode != 0:
        raise RuntimeError(f"chartvault ingest failed:\n{m.stderr[-3000:]}")
    with sqlite3.connect(data / "catalog.db") as db:
        pages = int(db.execute("SELECT coalesce(sum(pages), 0) FROM documents").fetchone()[0])
        n = int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
    if n != len(files):
        print(f"warning: {len(files) - n} file(s) not archived (quarantined?)", file=sys.stderr)
    return pages, m.seconds, m.peak_rss_mb


def run_service(files: list[Path], work: Path, api_url: str, jobs: int) -> tuple[int, float,
                                                                                 float]:
    """The warm ``chartvault watch`` on a batch dropped in; pages, seconds, peak RSS MB."""
    env = _env(work / "unused", work, api_url, jobs)
    r = run_watch(files, work, env, VENV / "chartvault")
    return r.pages, r.seconds, r.peak_rss_mb


def generate(out: Path, n: int, seed: int, jobs: int) -> list[Path]:
    from chartvault.synth.batch import generate_batch

    out.mkdir(parents=True, exist_ok=True)
    rows = generate_batch(out, n, seed=seed, jobs=jobs)
    return [out / r["file"] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--input", type=Path, help="take these files instead of generating")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rss-scale", type=int, default=4,
                    help="also ingest N*scale documents to show peak RSS does not grow (0: skip)")
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    ap.add_argument("--repeat", type=int, default=5,
                    help="time chartvault and raw Tesseract on the batch this many times, "
                         "alternately; the medians are reported (2-core timings vary by 2-5 %%)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cv-bench-"))
    if args.input:
        files = sorted(p for p in args.input.rglob("*") if p.is_file() and p.suffix.lower() in
                       {".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"})[: args.docs or None]
    else:
        files = generate(work / "src", args.docs, args.seed, args.jobs)
    server, api_url, server_s = start_prefect(work / "prefect")
    try:
        runs = []
        for _ in range(max(1, args.repeat)):
            pages, cli_s, cli_rss = run_chartvault(files, work, api_url, args.jobs)
            tess = raw_tesseract(files, args.jobs)
            svc_pages, svc_s, svc_rss = run_service(files, work, api_url, args.jobs)
            if svc_pages != pages:
                raise RuntimeError(f"service read {svc_pages} pages, cli {pages}")
            runs.append((svc_s, cli_s, tess, max(cli_rss, svc_rss)))
            print(f"run {len(runs)}: chartvault service {svc_s:.2f} s, cli {cli_s:.2f} s, "
                  f"raw Tesseract {tess.seconds:.2f} s", file=sys.stderr)
        cv_s = statistics.median(r[0] for r in runs)
        cli_s = statistics.median(r[1] for r in runs)
        tess_s = statistics.median(r[2].seconds for r in runs)
        cv_rss = max(r[3] for r in runs)
        tess_pages = runs[0][2].pages
        ocrm = None if args.skip_ocrmypdf else ocrmypdf(files, args.jobs)
        big = None
        if args.rss_scale and not args.input:
            big_files = generate(work / "src4", args.docs * args.rss_scale, args.seed + 1,
                                 args.jobs)
            big = (run_service(big_files, work, api_url, args.jobs),
                   run_chartvault(big_files, work, api_url, args.jobs),
                   raw_tesseract(big_files, args.jobs))
    finally:
        server.terminate()
        server.wait(timeout=30)

    cv_pps = pages / cv_s
    cli_pps = pages / cli_s
    t_pps = tess_pages / tess_s
    o_pps = ocrm.pages / ocrm.seconds if ocrm else float("nan")
    print(f"files={len(files)} pages={pages} jobs={args.jobs} repeat={len(runs)} (medians) "
          f"prefect_server_start_s={server_s:.1f}")
    print("single runs (s): " + "; ".join(
        f"service {r[0]:.2f} cli {r[1]:.2f} tesseract {r[2].seconds:.2f}" for r in runs))
    print(f"{'engine':20s} {'pages':>6s} {'seconds':>8s} {'pages/s':>8s}")
    print(f"{'chartvault service':20s} {pages:6d} {cv_s:8.1f} {cv_pps:8.3f}  "
          f"peak tree RSS {cv_rss:.0f} MB (both modes)")
    print(f"{'chartvault cli':20s} {pages:6d} {cli_s:8.1f} {cli_pps:8.3f}")
    print(f"{'tesseract':20s} {tess_pages:6d} {tess_s:8.1f} {t_pps:8.3f}")
    if ocrm:
        print(f"{'ocrmypdf':20s} {ocrm.pages:6d} {ocrm.seconds:8.1f} {o_pps:8.3f}")
    print(f"ratios: service/tesseract={cv_pps / t_pps:.3f} cli/tesseract={cli_pps / t_pps:.3f} "
          f"service/ocrmypdf={cv_pps / o_pps:.3f} cli/ocrmypdf={cli_pps / o_pps:.3f}")
    if big is not None:
        (b_pages, b_svc_s, b_svc_rss), (_, b_cli_s, b_cli_rss), b_tess = big
        b_t_pps = b_tess.pages / b_tess.seconds
        print(json.dumps({"rss_check": {
            "docs": args.docs, "peak_rss_mb": round(cv_rss),
            "docs_scaled": args.docs * args.rss_scale, "pages_scaled": b_pages,
            "service_pps_scaled": round(b_pages / b_svc_s, 3),
            "cli_pps_scaled": round(b_pages / b_cli_s, 3),
            "tesseract_pps_scaled": round(b_t_pps, 3),
            "service_ratio_scaled": round(b_pages / b_svc_s / b_t_pps, 3),
            "cli_ratio_scaled": round(b_pages / b_cli_s / b_t_pps, 3),
            "peak_rss_mb_scaled": round(max(b_svc_rss, b_cli_rss))}}))
    shutil.rmtree(work, ignore_errors=True)
    print(f"MODES pages={pages} service_pps={cv_pps:.3f} cli_pps={cli_pps:.3f} "
          f"tesseract_pps={t_pps:.3f}")
    print(f"INGEST pages={pages} chartvault_pps={cv_pps:.3f} tesseract_pps={t_pps:.3f} "
          f"ocrmypdf_pps={o_pps:.3f} peak_rss_mb={cv_rss:.0f}")


if __name__ == "__main__":
    main()
