"""Process set-up for entry points: Prefect's home, telemetry off, PHI-safe logging.

Prefect reads its settings when first imported, so ``prepare`` must run before any
``import prefect``. Everything Prefect keeps (its database, logs) lives under the
chartvault data directory, so that destroying a record can reach it too.
"""

from __future__ import annotations

import logging
import os

from chartvault.settings import Settings


def prepare(settings: Settings, *, verbose: bool = False) -> None:
    """Point Prefect at the data directory and configure logging."""
    home = settings.data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "DEBUG" if verbose else "WARNING",
        "PREFECT_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "PIL", "pdfminer", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
