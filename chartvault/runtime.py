"""Process set-up for entry points: Prefect's home, telemetry off, PHI-safe logging.

Prefect reads its settings when first imported, so ``prepare`` must run before any
``import prefect``. Everything Prefect keeps (its database, logs) lives under the
chartvault data directory, so that destroying a record can reach it too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from chartvault.settings import Settings

_HEARTBEAT_VARS = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")


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


@contextmanager
def foreground_run() -> Iterator[None]:
    """Prefect settings for a flow run this process starts and waits for (CLI, watcher).

    Prefect 3.9 sends flow-run heartbeats from a thread that sleeps in whole seconds,
    and the engine waits for that thread when the run ends: 0-1 s (0.5 s on average)
    added to every run, measured at the end of ``chartvault ingest`` and of the
    watcher's runs (11.07 s instead of 10.1). Heartbeats only serve an automation that
    marks silent runs as crashed, which a self-hosted server does not have unless the
    site creates it; and a crashed ingest is finished by the next one (its claims stay
    in custody). So these runs go without, unless the site sets the heartbeat itself.
    Flows served by ``chartvault serve``'s deployments or a worker keep Prefect's default.
    """
    if any(v in os.environ for v in _HEARTBEAT_VARS):
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
