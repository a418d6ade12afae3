"""`chartvault serve`: a long-lived Prefect server under the data directory serving the
scheduled deployments; a deployment run triggered through the API completes; a scan
dropped into the intake folder is archived by serve's intake watcher. The web app answers
beside it; Prefect wants its API auth string (kept 0600 under the data directory), and
its UI is reached through the web app's /prefect/ only by a signed-in administrator."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chartvault.synth.batch import generate_batch

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


AUTH: dict[str, str] = {}  # the Prefect API's Authorization header, once serve made it


def _call(url: str, body: dict[str, object] | None = None) -> object:
    """GET (or POST ``body``) the server's API; retried while it answers 503.

    Prefect's own client retries 502/503/429: its server answers 503 when its SQLite
    database is briefly busy (the watcher's first run writes to it while the test polls).
    """
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(10):
        req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json", **AUTH})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as err:
            if err.code != 503 or attempt == 9:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def _post(url: str, body: dict[str, object]) -> object:
    return _call(url, body)


def test_serve_runs_server_and_deployments(tmp_path: Path) -> None:
    port, web = _free_port(), _free_port()
    env = {**os.environ, "CHARTVAULT_DATA_DIR": str(tmp_path),
           "CHARTVAULT_SCHEDULES__SERVER_PORT": str(port), "CHARTVAULT_SETTLE_SECONDS": "0",
           "CHARTVAULT_WEB__PORT": str(web)}
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_HOME", None)
    exe = Path(sys.executable).parent / "chartvault"
    log = tmp_path / "serve.log"  # a file, not a pipe: a full pipe would stall serve's logging
    with log.open("wb") as sink:
        proc = subprocess.Popen([str(exe), "-v", "serve"], env=env, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        names: set[str] = set()
        deadline = time.monotonic() + 240
        deployments: list[dict[str, object]] = []
        while time.monotonic() < deadline and not {"ingest-poll", "fixity-check"} <= names:
            time.sleep(2)
            assert proc.poll() is None, log.read_text(errors="replace")[-20000:]
            secret = tmp_path / "prefect" / "api-auth"
            if not AUTH and secret.exists():
                assert secret.stat().st_mode & 0o777 == 0o600
                token = base64.b64encode(secret.read_text().strip().encode()).decode()
                AUTH["Authorization"] = f"Basic {token}"
            try:
                deployments = _post(api + "/deployments/filter", {})  # type: ignore[assignment]
            except OSError:
                continue
            names = {str(d["name"]) for d in deployments}
        assert {"ingest-poll", "fixity-check"} <= names
        _web_app_guards_the_prefect_ui(f"http://127.0.0.1:{web}", api, env)
        ingest_dep = next(d for d in deployments if d["name"] == "ingest-poll")
        assert not ingest_dep["schedules"], "the watcher ingests; the poll runs when triggered"
        # a scan dropped into the intake folder is archived by serve's own watcher
        stage = tmp_path / "stage"
        stage.mkdir()
        generate_batch(stage, 1, seed=5, formats=["png"])
        intake = tmp_path / "intake" / "default"
        intake.mkdir(parents=True, exist_ok=True)
        scan = next(stage.glob("*.png"))
        scan.rename(intake / scan.name)
        archived = 0
        while time.monotonic() < deadline + 60 and not archived:
            time.sleep(1)
            assert proc.poll() is None, log.read_text(errors="replace")[-20000:]
            if (tmp_path / "catalog.db").exists():
                with sqlite3.connect(tmp_path / "catalog.db") as db:
                    (archived,) = db.execute("SELECT count(*) FROM documents").fetchone()
        assert archived == 1
        assert not (intake / scan.name).exists()
        # the server's database lives under the data directory
        assert any((tmp_path / "prefect").rglob("*.db"))
        fix = next(d for d in deployments if d["name"] == "fixity-check")
        run = _post(f"{api}/deployments/{fix['id']}/create_flow_run", {})
        run_id = run["id"]  # type: ignore[index]
        state = None
        while time.monotonic() < deadline + 120:
            time.sleep(2)
            state = _call(f"{api}/flow_runs/{run_id}")["state"]["type"]  # type: ignore[index]
            if state in ("COMPLETED", "FAILED", "CRASHED"):
                break
        assert state == "COMPLETED"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = log.read_text(errors="replace")
    assert f"Web app: http://localhost:{web}/" in out
    assert f"Prefect UI: http://localhost:{web}/prefect/" in out
    assert "Starting temporary server" not in out, "serve talks to its own server only"


def _web_app_guards_the_prefect_ui(web: str, api: str, env: dict[str, str]) -> None:
    import httpx
    import pyotp

    # Prefect itself refuses a caller without the auth string
    bare = httpx.post(api + "/deployments/filter", json={}, timeout=10)
    assert bare.status_code == 401
    start = httpx.get(web + "/", timeout=10)
    assert start.status_code == 303 and start.headers["location"].startswith("/login")
    ui = httpx.get(web + "/prefect/", timeout=10)
    assert ui.status_code == 303 and ui.headers["location"] == "/login?next=/prefect/"
    assert httpx.get(web + "/prefect/api/health", timeout=10).status_code == 303
    # the first admin signs in; the UI answers through the web app, with no auth prompt
    exe = Path(sys.executable).parent / "chartvault"
    boot = subprocess.run([str(exe), "account", "bootstrap"], env=env, capture_output=True,
                          text=True, timeout=120, check=True).stdout
    otp = re.search(r"one-time password: (\S+)", boot)
    totp = re.search(r"TOTP secret: (\S+)", boot)
    assert otp and totp
    signed = httpx.post(web + "/api/v1/session", timeout=30, json={
        "username": "admin", "password": otp.group(1), "code": pyotp.TOTP(totp.group(1)).now(),
        "new_password": "a long new admin password 42"})
    assert signed.status_code == 200, signed.text
    cookies = {"cv_session": signed.json()["bearer"]}
    page = httpx.get(web + "/prefect/", cookies=cookies, timeout=30, follow_redirects=True)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    settings = httpx.get(web + "/prefect/ui-settings", cookies=cookies, timeout=30).json()
    assert settings["auth"] is None and settings["api_url"] == "/prefect/api"
    flows = httpx.post(web + "/prefect/api/deployments/filter", json={}, cookies=cookies,
                       timeout=30)
    assert flows.status_code == 200 and {d["name"] for d in flows.json()} >= {"fixity-check"}
    dash = httpx.get(web + "/admin", cookies=cookies, timeout=30)
    assert dash.status_code == 200 and "Open the Prefect UI" in dash.text
    assert "Prefect not reachable" not in dash.text
