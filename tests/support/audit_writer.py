"""An audit writer process for the concurrency tests and the audit benchmark.

``python -m tests.support.audit_writer URL N GATE`` says it is ready (a file beside GATE)
and waits until the file GATE exists (so that every writer starts at once), then appends
N events in the three shapes the application uses: an event in its own transaction, one
after a read in the same transaction (disposition, holds), and one after another write
(filing a document); with a fourth argument ``plain``, only the first. Prints one JSON
line: events written, errors (class and message, which carry no data here) and seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from chartvault.catalog import Catalog
from chartvault.catalog.schema import batches, documents


def main(url: str, n: int, gate: Path, mixed: bool = True) -> dict[str, object]:
    """Write ``n`` events once ``gate`` exists (all in their own transaction unless mixed)."""
    catalog = Catalog(url)
    actor = f"writer-{os.getpid()}"
    (gate.parent / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not gate.exists():
        if time.monotonic() > deadline:
            raise SystemExit("start gate never opened")
        time.sleep(0.001)
    ok, errors = 0, []
    start = time.perf_counter()
    for i in range(n):
        try:
            if not mixed or i % 3 == 0:
                catalog.audit(actor, "search", [f"d{i}"], detail={"criteria": ["mrn"]})
            elif i % 3 == 1:
                with catalog.transaction() as conn:
                    conn.execute(select(func.count()).select_from(documents)).scalar()
                    catalog.audit(actor, "retention_explain", [f"d{i}"], conn=conn)
            else:
                with catalog.transaction() as conn:
                    conn.execute(batches.insert().values(
                        batch_id=f"{actor}-{i}", intake="default", actor=actor, counts={},
                        started_at=datetime.now(UTC)))
                    catalog.audit(actor, "ingest", [f"d{i}"], conn=conn)
            ok += 1
        except Exception as err:  # counted and reported: that is the test
            errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:160]}")
    catalog.close()
    return {"ok": ok, "errors": errors, "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    mode = sys.argv[4] if len(sys.argv) > 4 else "mixed"
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), mode == "mixed")))
