"""One real destruction or hold process, without Prefect, for tests that kill it.

Usage: ``python tests/e2e/retention_driver.py execute PLAN_ID`` (the body of the
``retention-execute`` flow: a second run resumes), ``hold-add MRN`` (a patient hold at
the configured facility), ``hold-release HOLD_ID``, ``outbox`` (run pending outbox steps,
as every ingest, execution and hold request does first). Settings come from the
environment (``CHARTVAULT_*``); the result is printed as JSON on the last line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    """Run one command plainly."""
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["execute", "hold-add", "hold-release", "outbox"])
    ap.add_argument("arg", nargs="?")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from chartvault.catalog import Catalog
    from chartvault.holds import add_hold, release_hold
    from chartvault.pipeline.retention import run_post_commit
    from chartvault.settings import Settings
    from flows.retention import run_execution
    from storage.factory import open_store

    settings = Settings()
    if args.command == "execute":
        print(json.dumps(run_execution(settings, args.arg, "svc:retention-execute")))
        return
    catalog = Catalog(settings.sqlalchemy_url)
    store = open_store(settings)
    out: dict[str, object]
    if args.command == "outbox":
        out = {"ran": run_post_commit(catalog, store, "svc:outbox")}
    elif args.command == "hold-add":
        r = add_hold(catalog, store, actor="counsel", case_name="case", reason="litigation",
                     mrn=args.arg, facility=settings.intakes[0].facility)
        out = {"hold_id": r.hold_id, "doc_ids": list(r.doc_ids)}
    else:
        r = release_hold(catalog, store, args.arg, "counsel")
        out = {"hold_id": r.hold_id, "doc_ids": list(r.doc_ids)}
    catalog.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
