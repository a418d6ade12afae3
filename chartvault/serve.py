"""``chartvault serve``: a long-lived Prefect server and the scheduled deployments.

The server's database lives in ``<data_dir>/prefect`` (so destruction can reach it, and
it survives restarts); the deployments appear in the Prefect UI. At scale-out the same
flows run on a work pool instead (``prefect.yaml``, ``docker-compose.yml``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chartvault.settings import ScheduleSettings, Settings

log = logging.getLogger(__name__)


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(api_url + "/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@contextmanager
def prefect_server(settings: Settings, timeout_s: float = 180.0) -> Iterator[str]:
    """Start ``prefect server`` with its home under the data directory; yield its API URL."""
    home = settings.data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    port = settings.schedules.server_port
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    exe = Path(sys.executable).parent / "prefect"
    with (home / "server.log").open("ab") as out:
        proc = subprocess.Popen(
            [str(exe), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(api_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start; see {home / 'server.log'}")
            time.sleep(0.5)
        log.info("prefect server up on port %d", port)
        yield api_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _when(interval: float | None, cron: str | None, tz: str) -> dict[str, Any]:
    if cron:
        from prefect.schedules import Cron

        return {"schedule": Cron(cron, timezone=tz)}
    if interval:
        return {"interval": interval}
    return {}


def deployments(schedules: ScheduleSettings) -> list[Any]:
    """The administrators' deployments with schedules from settings."""
    from flows.fixity import fixity
    from flows.ingest import ingest

    tz = schedules.timezone
    poll = {} if schedules.watch_intake else _when(schedules.ingest_interval_s,
                                                   schedules.ingest_cron, tz)
    deps = [
        ingest.to_deployment(
            name="ingest-poll", description="Poll the intake folders.", **poll),
        fixity.to_deployment(
            name="fixity-check", description="Re-read objects and compare checksums.",
            **_when(None, schedules.fixity_cron, tz),
        ),
    ]
    try:
        from flows.retention import retention_sweep
    except ImportError:  # retention flows not installed in this build
        return deps
    deps.append(retention_sweep.to_deployment(
        name="retention-sweep", description="Plan dispositions of expired records.",
        **_when(None, schedules.retention_sweep_cron, tz),
    ))
    return deps


def _print_batch(batch: dict[str, Any], seconds: float) -> None:
    if batch.get("busy"):
        return
    print(f"batch {batch['batch_id']} (intake {batch['intake']}): {batch['archived']} archived, "
          f"{batch['duplicates']} duplicate, {batch['quarantined']} quarantined, "
          f"{batch['needs_review']} needs_review; {batch['pages']} pages in {seconds:.1f} s",
          flush=True)


def serve(settings: Settings, fork: bool = False) -> None:
    """Run the server, the intake watcher and the deployments until interrupted.

    ``fork``: as for ``IntakeWatcher.warm``; the watcher's OCR workers start before the
    watcher's thread and Prefect's runner do.
    """
    with prefect_server(settings) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        stop = threading.Event()
        watcher = None
        if settings.schedules.watch_intake:
            from chartvault.watch import IntakeWatcher

            watcher = IntakeWatcher(settings, _print_batch, settings.schedules.watch_poll_s)
            watcher.warm(fork=fork)
            threading.Thread(target=watcher.serve_forever, args=(stop,), name="intake-watcher",
                             daemon=True).start()
        from prefect import serve as prefect_serve

        print(f"Prefect server: {api_url.removesuffix('/api')} (state in "
              f"{settings.data_dir / 'prefect'}); serving deployments"
              f"{', watching the intake folders' if watcher else ''}; Ctrl-C to stop",
              flush=True)
        try:
            prefect_serve(*deployments(settings.schedules), print_starting_message=False)
        finally:
            stop.set()
            if watcher is not None:
                watcher.close()
