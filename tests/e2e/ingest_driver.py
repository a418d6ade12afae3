"""One real ingest process, without Prefect, for tests that must kill or confine it.

Usage: ``python tests/e2e/ingest_driver.py [--read-ahead NAME ...] [--rename A B]``.
Settings come from the environment (``CHARTVAULT_*``); the batch summary is printed
as JSON on the last line of stdout. ``--rename`` renames an intake file after the
read-ahead has started on it (a file renamed while it is being read).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    """Run every configured intake once, plainly."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--read-ahead", nargs="*", default=[])
    ap.add_argument("--rename", nargs=2, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from chartvault.catalog import Catalog
    from chartvault.settings import Settings
    from extractors.pool import prestart

    settings = Settings()
    folder = settings.intake_path(settings.intakes[0])
    if args.read_ahead:
        prestart(settings.ocr.worker_count(), [folder / n for n in args.read_ahead],
                 settings.ocr.options(), settings.ocr.max_pages, settings.ocr.max_bytes)
    if args.rename:
        os.rename(folder / args.rename[0], folder / args.rename[1])
    from flows.ingest import run_intake

    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    out = [run_intake(settings, i.name, catalog, plain=True) for i in settings.intakes]
    catalog.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
