"""Audit trail: write throughput (one and two writer processes) and the cost of verify.

    python benchmarks/audit.py [--events 3000] [--verify-events 10000] [--anchor-every 1000]

Writers are real processes (``tests.support.audit_writer``), each appending events in
their own transaction to one SQLite catalog; throughput is all events over the slowest
writer's wall time. In-process, the cost of the after-commit anchor check is measured
(appends with and without ``anchors.attach``). Verify: a chain of ``--verify-events``
events anchored every ``--anchor-every`` into a local store, timed chain-only and against
the anchors (medians of 3). Last line: ``AUDIT w1_eps=.. w2_eps=.. w2_failures=..
attach_overhead_pct=.. verify_ms=.. verify_anchored_ms=.. anchors=.. anchor_ms=..``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chartvault import anchors
from chartvault.catalog import Catalog
from chartvault.catalog import audit as cat_audit
from chartvault.settings import AuditSettings
from storage.local import LocalObjectStore
from tests.support.audit_writers import run_writers


def _fresh(tmp: Path, name: str) -> tuple[str, Catalog]:
    url = f"sqlite:///{tmp / name}"
    catalog = Catalog(url)
    catalog.create()
    return url, catalog


def writers(tmp: Path, n: int, events: int) -> tuple[float, int]:
    """Events/s of ``n`` writer processes together, and how many appends failed."""
    url, catalog = _fresh(tmp, f"w{n}.db")
    reports = run_writers(url, n, events, mode="plain")
    failures = sum(len(r["errors"]) for r in reports)
    assert catalog.verify_audit().ok
    catalog.close()
    return sum(r["ok"] for r in reports) / max(r["seconds"] for r in reports), failures


def attach_overhead(tmp: Path, events: int) -> float:
    """Per cent more time per append with the after-commit anchor check."""
    times = []
    for attached in (False, True, False, True):
        _, catalog = _fresh(tmp, f"a{len(times)}.db")
        if attached:
            anchors.attach(catalog, LocalObjectStore(tmp / f"o{len(times)}"),
                           AuditSettings(anchor_every_events=1000))
        start = time.perf_counter()
        for i in range(events):
            catalog.audit("bench", "search", [f"d{i}"], detail={"criteria": ["mrn"]})
        times.append(time.perf_counter() - start)
        catalog.close()
    plain, hooked = (times[0] + times[2]) / 2, (times[1] + times[3]) / 2
    return 100 * (hooked - plain) / plain


def verify_cost(tmp: Path, events: int, every: int) -> tuple[float, float, int, float]:
    """Chain-only and anchored verify (ms), anchors, and ms per anchor written."""
    _, catalog = _fresh(tmp, "v.db")
    store = LocalObjectStore(tmp / "objects")
    anchor_s = []
    for start in range(0, events, every):
        with catalog.transaction() as conn:
            for i in range(start, min(events, start + every)):
                cat_audit.append(conn, actor="bench", action="search", doc_ids=[f"d{i}"],
                                 detail={"criteria": ["mrn", "dob"]})
        t = time.perf_counter()
        anchors.anchor_now(catalog, store, "interval")
        anchor_s.append(time.perf_counter() - t)
    plain, anchored = [], []
    for _ in range(3):
        t = time.perf_counter()
        assert catalog.verify_audit().ok
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        report = anchors.verify(catalog, store)
        anchored.append(time.perf_counter() - t)
        assert report.ok and report.anchored_seq == events
    catalog.close()
    return (1000 * statistics.median(plain), 1000 * statistics.median(anchored),
            report.anchors, 1000 * statistics.median(anchor_s))


def main() -> None:
    """Run and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=3000, help="events per writer process")
    ap.add_argument("--verify-events", type=int, default=10_000)
    ap.add_argument("--anchor-every", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cv-bench-audit-") as d:
        tmp = Path(d)
        w1, _ = writers(tmp, 1, args.events)
        w2, failures = writers(tmp, 2, args.events)
        overhead = attach_overhead(tmp, min(args.events, 2000))
        plain, anchored, count, per_anchor = verify_cost(tmp, args.verify_events,
                                                         args.anchor_every)
    print(f"writers (own transaction each, SQLite WAL): 1 process {w1:.0f} events/s, "
          f"2 processes {w2:.0f} events/s together, {failures} failed")
    print(f"after-commit anchor check: {overhead:+.1f} % per append")
    print(f"verify {args.verify_events} events: chain only {plain:.0f} ms, against {count} "
          f"anchors {anchored:.0f} ms; writing one anchor of {args.anchor_every} events "
          f"{per_anchor:.1f} ms")
    print(f"AUDIT w1_eps={w1:.0f} w2_eps={w2:.0f} w2_failures={failures} "
          f"attach_overhead_pct={overhead:.1f} verify_ms={plain:.0f} "
          f"verify_anchored_ms={anchored:.0f} anchors={count} anchor_ms={per_anchor:.1f}")


if __name__ == "__main__":
    main()
