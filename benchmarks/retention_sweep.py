"""Retention sweep over a large catalog (SQLite by default).

    python benchmarks/retention_sweep.py --records 1000000 [--url URL]

Seeds the catalog with records whose retain-until dates spread over 40 years (1 % on
legal hold, 3 % needs-review with no date), then times ``disposition.sweep`` (plan only:
select due records not on hold, write plan items and counts). Last line:
``SWEEP records=.. seconds=..``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select

from chartvault.catalog import Catalog
from chartvault.catalog.schema import disposition_items, documents
from chartvault.disposition import sweep


def seed(catalog: Catalog, n: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for i in range(n):
        review = rng.random() < 0.03
        until = None if review else date(2000, 1, 1) + timedelta(days=rng.randint(0, 40 * 365))
        rows.append({
            "doc_id": f"{i:024x}", "sha256": f"{i:064x}", "status": "archived",
            "doc_type": rng.choice(["progress_note", "discharge_summary", "imaging_report"]),
            "type_confidence": 0.9, "needs_review": review, "review_reasons": [],
            "facility": "F1", "jurisdiction": "US", "intake": "default", "batch_id": "seed",
            "mrn": str(rng.randint(10 ** 6, 10 ** 8)), "codes": {}, "pages": 1,
            "source_format": "pdf_scan", "size_bytes": 1, "captured_at": now,
            "ingested_at": now, "ingested_by": "seed", "manifest_key": "m", "original_key": "o",
            "policy_id": "chartvault-default", "rule_id": "adult-10y.v1",
            "retention_class": "adult-10y", "retain_until": until,
            "disposition": "review" if review else "destroy",
            "legal_hold": rng.random() < 0.01,
        })
        if len(rows) == 20000:
            with catalog.transaction() as conn:
                conn.execute(insert(documents), rows)
            rows = []
    if rows:
        with catalog.transaction() as conn:
            conn.execute(insert(documents), rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--url")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'catalog.db'}"
        catalog = Catalog(url)
        catalog.create()
        t0 = time.perf_counter()
        seed(catalog, args.records)
        print(f"seeded {args.records} records in {time.perf_counter() - t0:.1f} s")
        t1 = time.perf_counter()
        plan = sweep(catalog, date(2026, 11, 25), "svc:scheduler")
        seconds = time.perf_counter() - t1
        with catalog.engine.connect() as conn:
            planned = conn.execute(select(func.count()).select_from(disposition_items).where(
                disposition_items.c.plan_id == plan)).scalar_one()
        catalog.close()
    print(f"plan {plan}: {planned} of {args.records} records due (not on hold, not review)")
    print(f"SWEEP records={args.records} seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
