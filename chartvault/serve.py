"""``chartvault serve``: the web app, a long-lived Prefect server and the deployments.

The server's database lives in ``<data_dir>/prefect`` (so destruction can reach it, and
it survives restarts); the deployments appear in the Prefect UI. Prefect listens on
127.0.0.1 only and requires an API auth string (a random secret kept 0600 under the data
directory); its UI is reached through the web app's ``/prefect/``, for signed-in
administrators. At scale-out the same flows run on a work pool instead (``prefect.yaml``,
``docker-compose.yml``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
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


UI_BASE = "/prefect"  # where the web app forwards the Prefect UI (chartvault.web.admin_pages)


def api_auth_secret(settings: Settings) -> str:
    """The Prefect API auth string of this installation (``<data_dir>/prefect/api-auth``, 0600).

    Made on first use; every process that talks to ``serve``'s Prefect server reads it.
    """
    path = settings.data_dir / "prefect" / "api-auth"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = "chartvault:" + secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    return secret


@contextmanager
def prefect_server(settings: Settings, timeout_s: float = 180.0,
                   auth_string: str | None = None) -> Iterator[str]:
    """Start ``prefect server`` with its home under the data directory; yield its API URL.

    With ``auth_string`` the API requires it and the UI is on, served under ``UI_BASE``
    for the web app's proxy.
    """
    home = settings.data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    port = settings.schedules.server_port
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_API_AUTH_STRING", None)
    if auth_string:
        env.update({"PREFECT_SERVER_API_AUTH_STRING": auth_string, "PREFECT_UI_ENABLED": "true",
                    "PREFECT_UI_SERVE_BASE": UI_BASE, "PREFECT_UI_API_URL": UI_BASE + "/api"})
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


@contextmanager
def web_app(settings: Settings, prefect_url: str | None, auth_string: str | None
            ) -> Iterator[str]:
    """Serve the web app and JSON API (uvicorn, in a thread); yield its URL."""
    import uvicorn

    from chartvault.web import create_app

    app = create_app(settings)
    app.state.prefect_upstream = prefect_url
    app.state.prefect_auth = auth_string
    host, port = settings.web.host, settings.web.port
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the web app did not start on {host}:{port}")
        time.sleep(0.05)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    try:
        yield f"http://{shown}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(settings: Settings, fork: bool = False) -> None:
    """Run the web app, the server, the intake watcher and the deployments until interrupted.

    ``fork``: as for ``IntakeWatcher.warm``; the watcher's OCR workers start before the
    watcher's thread and Prefect's runner do.
    """
    secret = api_auth_secret(settings)
    with prefect_server(settings, auth_string=secret) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        os.environ["PREFECT_API_AUTH_STRING"] = secret
        # Prefect reads its settings when first imported: only now, with the server's URL set.
        from prefect.exceptions import TerminationSignal
        from prefect.runner import Runner

        stop = threading.Event()
        watcher = None
        if settings.schedules.watch_intake:
            from chartvault.watch import IntakeWatcher

            watcher = IntakeWatcher(settings, _print_batch, settings.schedules.watch_poll_s)
            watcher.warm(fork=fork)  # forks before any thread of ours starts
        with web_app(settings, api_url.removesuffix("/api"), secret) as url:
            # The deployments are registered before the watcher's thread starts, so that the
            # watcher's first batch does not hold Prefect's shared client loop meanwhile.
            runner = Runner(pause_on_shutdown=False)
            for dep in deployments(settings.schedules):
                runner.add_deployment(dep)
            if watcher is not None:
                threading.Thread(target=watcher.serve_forever, args=(stop,),
                                 name="intake-watcher", daemon=True).start()
            print(f"Web app: {url}/  (sign in with your chartvault account; the first admin "
                  "comes from `chartvault account bootstrap`); API docs: "
                  f"{url}/api/docs; Prefect UI: {url}{UI_BASE}/ (administrators)", flush=True)
            print(f"Prefect server: {api_url.removesuffix('/api')} (127.0.0.1 only, API auth "
                  f"in {settings.data_dir / 'prefect' / 'api-auth'}; state in "
                  f"{settings.data_dir / 'prefect'}); serving deployments"
                  f"{', watching the intake folders' if watcher else ''}; Ctrl-C to stop",
                  flush=True)
            try:
                asyncio.run(runner.start())
            except (KeyboardInterrupt, TerminationSignal):
                log.info("serve: interrupted, shutting down")
            finally:
                stop.set()
                if watcher is not None:
                    watcher.close()
