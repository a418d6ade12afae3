"""Server time of the work pages' service calls over a large catalog.

    python benchmarks/web_work.py --docs 100000 [--flagged 0.2] [--runs 30]

Seeds a SQLite catalog with ``--docs`` document rows (one a minute; a fraction flagged, in
batches of 200), 5,000 quarantine entries (the newest with their folders), 2,000 batches
and one disposition plan of 5,000 items, then times what each page asks of the service
(as a signed-in archivist or records manager): the review queue (first and a deep page),
the quarantine list, the intake status and one page of a plan's items with their
arithmetic. Times are the service call (the page's server time, less template rendering).
Last line: ``WEBWORK docs=.. p95_ms_review=.. p95_ms_quarantine=.. p95_ms_intake=..
p95_ms_plan=..``
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from chartvault.auth.roles import Role
from chartvault.catalog.names import name_columns
from chartvault.catalog.schema import (
    batches,
    disposition_items,
    disposition_plans,
    documents,
    quarantine,
)
from tests.support.world import build_world


def _doc(i: int, flagged: bool, now: datetime, rng: random.Random) -> dict[str, object]:
    family, given = f"Fam{rng.randrange(5000)}", f"Giv{rng.randrange(500)}"
    return {
        "doc_id": f"{i:024x}", "sha256": f"{i:064x}", "status": "archived",
        "doc_type": "progress_note", "type_confidence": rng.random(), "needs_review": flagged,
        "review_reasons": ["identity_not_established"] if flagged else [],
        "facility": "Main Facility", "jurisdiction": "US", "intake": "default",
        "batch_id": f"b-{i // 200:06d}", "mrn": f"MRN{i:07d}", "patient_family": family,
        "patient_given": given, **name_columns(family, given),
        "birth_date": date(1950, 1, 1) + timedelta(days=rng.randrange(20000)),
        "service_date": date(2010, 1, 1) + timedelta(days=rng.randrange(5000)),
        "codes": {}, "pages": 2, "source_format": "pdf_text", "size_bytes": 1000,
        "captured_at": now, "ingested_at": now - timedelta(seconds=60 * i), "ingested_by": "svc",
        "manifest_key": f"records/{i:024x}/manifest.json",
        "original_key": f"records/{i:024x}/original.pdf", "policy_id": "chartvault-default",
        "policy_version": "1", "rule_id": "adult-10y.v1", "retention_class": "adult",
        "retain_until": date(2001, 1, 1) if i < 5000 else date(2090, 1, 1),
        "disposition": "destroy", "legal_hold": False,
    }


def seed(w: object, n: int, flagged: float, rng: random.Random) -> None:
    world = w  # tests.support.world.World
    catalog = world.catalog  # type: ignore[attr-defined]
    data_dir: Path = world.settings.data_dir  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with catalog.transaction() as conn:
        rows = []
        for i in range(n):
            rows.append(_doc(i, rng.random() < flagged, now, rng))
            if len(rows) == 5000:
                conn.execute(insert(documents), rows)
                rows = []
        if rows:
            conn.execute(insert(documents), rows)
        conn.execute(insert(batches), [{
            "batch_id": f"b-{k:06d}", "intake": "default", "actor": "svc",
            "started_at": now - timedelta(minutes=k), "finished_at":
            now - timedelta(minutes=k) + timedelta(seconds=40),
            "counts": {"archived": 200, "pages": 400, "needs_review": 40}}
            for k in range(2000)])
        q_rows = []
        for k in range(5000):
            qid = f"q-{k:016x}"
            q_rows.append({"quarantine_id": qid, "sha256": None, "at": now - timedelta(
                minutes=k), "batch_id": "b-000000", "intake": "default", "reason": "corrupt",
                "detail": "damaged", "folder": f"quarantine/{qid}", "resolved": False})
            if k < 300:
                folder = data_dir / "quarantine" / qid
                folder.mkdir(parents=True)
                (folder / "reason.json").write_text(json.dumps({
                    "quarantine_id": qid, "reason": "corrupt",
                    "original_name": f"scan {k}.pdf"}))
                (folder / "original").write_bytes(b"x")
        conn.execute(insert(quarantine), q_rows)
        conn.execute(insert(disposition_plans).values(
            plan_id="p-bench", created_at=now, as_of=now.date(), requested_by="arch",
            status="planned", counts={"total": 5000}))
        conn.execute(insert(disposition_items), [
            {"plan_id": "p-bench", "doc_id": f"{i:024x}", "action": "destroy",
             "status": "planned"} for i in range(5000)])


MEDIANS: dict[str, float] = {}


def p95(fn: Callable[[], object], runs: int, name: str = "") -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    MEDIANS[name] = max(MEDIANS.get(name, 0.0), statistics.median(times))
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--flagged", type=float, default=0.2)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        w = build_world(Path(tmp))
        t = time.perf_counter()
        seed(w, args.docs, args.flagged, rng)
        print(f"seeded {args.docs} documents in {time.perf_counter() - t:.1f} s")
        arch = w.person("arch", Role.ARCHIVIST)
        rm = w.person("rm", Role.RECORDS_MANAGER)
        svc = w.service
        deep = int(args.docs * args.flagged * 0.9)
        res = {
            "review": max(p95(lambda: svc.review_list(arch), args.runs, "review"),
                          p95(lambda: svc.review_list(arch, offset=deep), args.runs, "review")),
            "quarantine": p95(lambda: svc.quarantine_entries(arch), args.runs, "quarantine"),
            "intake": p95(lambda: svc.intake_overview(arch), args.runs, "intake"),
            "plan": p95(lambda: svc.plan_detail(rm, "p-bench", 2500), args.runs, "plan"),
        }
        for k, v in res.items():
            print(f"{k:12s} p95 {v:7.1f} ms   median {MEDIANS[k]:7.1f} ms")
        w.catalog.close()
    print(f"WEBWORK docs={args.docs} " + " ".join(f"p95_ms_{k}={v:.1f}"
                                                 for k, v in res.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
