"""Catalog search latency at scale (SQLite FTS5 or PostgreSQL tsvector).

    python benchmarks/search.py --docs 100000 --backend sqlite|postgresql [--url URL]

Seeds the catalog with synthetic documents (realistic field values; bodies of ~400 words
drawn from a Zipf-distributed clinical vocabulary, so some terms are in most documents
and others in a handful), then times a seeded query set through ``Catalog.search``:
MRNs present and absent, full-text queries of frequent and rare terms (top 50 ranked).
With ``--backend postgresql`` and no ``--url`` a throw-away server is started.
Last line: ``SEARCH backend=.. docs=.. p95_ms_mrn=.. p95_ms_text=..``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from chartvault.catalog import Catalog, SearchCriteria
from chartvault.catalog import dialect as cat_dialect
from chartvault.catalog.names import name_columns
from chartvault.catalog.schema import documents

CLINICAL = (
    "patient pain history chest blood pressure normal denies heart rate medication daily "
    "exam abdomen soft tender lungs clear bilaterally follow up diabetes mellitus "
    "hypertension lisinopril metformin aspirin allergies nkda surgery knee shoulder "
    "fracture fever cough shortness breath nausea vomiting discharge admitted stable "
    "plan continue therapy physical labs hemoglobin glucose creatinine sodium potassium "
    "radiograph impression findings unremarkable mild moderate severe chronic acute"
).split()


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    words = list(CLINICAL)
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(words) < size:
        words.append("".join(rng.choice(letters) for _ in range(rng.randint(5, 11))))
    return words


def seed(catalog: Catalog, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    vocab = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf
    mrns: list[str] = []
    rare: list[str] = []
    families = [f"Fam{i}" for i in range(5000)]
    now = datetime.now(UTC)
    batch_rows: list[dict[str, object]] = []
    texts: list[tuple[str, str]] = []

    def flush() -> None:
        with catalog.transaction() as conn:
            conn.execute(insert(documents), batch_rows)
            for doc_id, body in texts:
                cat_dialect.index_text(conn, doc_id, body)
        batch_rows.clear()
        texts.clear()

    for i in range(n):
        doc_id = f"{i:024x}"
        mrn = f"{rng.randint(10**6, 10**8)}"
        mrns.append(mrn)
        fam, giv = rng.choice(families), rng.choice(["Ann", "Bob", "Cy", "Di", "Ed"])
        words = rng.choices(vocab, weights=weights, k=400)
        token = f"zq{i:07d}x"  # a term in exactly one document
        if i % 997 == 0:
            rare.append(token)
        words.append(token)
        served = date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000))
        batch_rows.append({
            "doc_id": doc_id, "sha256": doc_id.ljust(64, "0"), "status": "archived",
            "doc_type": "progress_note", "loinc": "11506-3", "type_confidence": 0.9,
            "needs_review": False, "review_reasons": [], "facility": "F1", "jurisdiction": "US",
            "intake": "default", "batch_id": "seed", "mrn": mrn, "patient_family": fam,
            "patient_given": giv, **name_columns(fam, giv),
            "birth_date": date(1940, 1, 1) + timedelta(days=rng.randint(0, 25000)),
            "sex": "F", "service_date": served, "document_date": served, "codes": {},
            "pages": 2, "source_format": "pdf_scan", "size_bytes": 100000, "captured_at": now,
            "ingested_at": now, "ingested_by": "seed", "manifest_key": f"records/{doc_id}/m",
            "original_key": f"records/{doc_id}/o", "legal_hold": False,
        })
        texts.append((doc_id, " ".join(words)))
        if len(batch_rows) >= 2000:
            flush()
    if batch_rows:
        flush()
    return mrns, rare


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--url", help="existing empty database (postgresql)")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(42)
    with ExitStack() as stack:
        if args.backend == "sqlite":
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = f"sqlite:///{tmp / 'catalog.db'}"
        elif args.url:
            url = args.url
        else:
            from tests.support.pg import postgres_server

            url = stack.enter_context(postgres_server())
        catalog = Catalog(url)
        catalog.create()
        t0 = time.perf_counter()
        mrns, rare = seed(catalog, args.docs, rng)
        seed_s = time.perf_counter() - t0
        if args.backend == "postgresql":
            with catalog.transaction() as conn:
                conn.exec_driver_sql("ANALYZE")
        mrn_q = [SearchCriteria(mrn=rng.choice(mrns)) for _ in range(args.queries // 2)]
        mrn_q += [SearchCriteria(mrn=str(rng.randint(10**9, 10**10))) for _ in
                  range(args.queries // 2)]
        frequent = CLINICAL[:12]
        text_q = [SearchCriteria(text=rng.choice(frequent), limit=50) for _ in
                  range(args.queries // 4)]
        text_q += [SearchCriteria(text=" ".join(rng.sample(frequent, 2)), limit=50) for _ in
                   range(args.queries // 4)]
        text_q += [SearchCriteria(text=rng.choice(rare), limit=50) for _ in
                   range(args.queries // 2)]
        timings: dict[str, list[float]] = {"mrn": [], "text": []}
        for kind, queries in (("mrn", mrn_q), ("text", text_q)):
            for q in queries[:5]:
                catalog.search(q)  # warm caches
            for q in queries:
                t = time.perf_counter()
                catalog.search(q)
                timings[kind].append((time.perf_counter() - t) * 1000)
        catalog.close()
    for kind, values in timings.items():
        print(f"{kind:5s} n={len(values)} median={statistics.median(values):.2f} ms "
              f"p95={p95(values):.2f} ms max={max(values):.2f} ms")
    print(f"seeded {args.docs} documents in {seed_s:.1f} s")
    print(f"SEARCH backend={args.backend} docs={args.docs} p95_ms_mrn={p95(timings['mrn']):.2f} "
          f"p95_ms_text={p95(timings['text']):.2f}")


if __name__ == "__main__":
    main()
