"""Release requests, accounting and access reports over the JSON API (a real uvicorn)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx

from chartvault.auth.roles import Role
from tests.support.records import file_record
from tests.support.web import serving
from tests.support.world import build_world


def test_requests_and_reports_over_the_api(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    try:
        doc = file_record(w, 1, served=date(2021, 2, 3), mrn="MRN77")
        arch, rm = w.person("arch1", Role.ARCHIVIST), w.person("rm1", Role.RECORDS_MANAGER)
        aud, scan = w.person("aud1", Role.AUDITOR), w.person("scan1", Role.SCANNER)
        with serving(w) as base, httpx.Client(base_url=f"{base}/api/v1") as http:
            def as_(b: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {b}"}

            made = http.post("/releases", headers=as_(arch), json={
                "requester_kind": "patient", "requester_name": "P", "purpose": "own copy",
                "mrn": "MRN77"})
            assert made.status_code == 201, made.text
            rid = made.json()["request_id"]
            assert made.json()["status"] == "received"
            bad = http.post("/releases", headers=as_(arch), json={
                "requester_kind": "attorney", "requester_name": "X", "purpose": "p",
                "mrn": "MRN77"})
            assert bad.status_code == 400 and bad.json()["error"] == "release_error"
            refused = http.post("/releases", headers=as_(scan), json={
                "requester_kind": "patient", "requester_name": "P", "purpose": "p",
                "mrn": "MRN77"})
            assert refused.status_code == 403
            assert w.last_event()["outcome"] == "refused"
            listed = http.get("/releases", headers=as_(rm)).json()["requests"]
            assert [r["request_id"] for r in listed] == [rid]
            shown = http.get(f"/releases/{rid}", headers=as_(rm)).json()
            assert shown["in_scope"] == [doc] and shown["request"]["scope"]["mrn"] == "MRN77"
            assert http.post(f"/releases/{rid}/review", headers=as_(arch)).json()[
                "status"] == "in_review"
            assert http.post(f"/releases/{rid}/deny", headers=as_(arch),
                             json={"reason": "x"}).status_code == 403
            denied = http.post(f"/releases/{rid}/deny", headers=as_(rm),
                               json={"reason": "duplicate"})
            assert denied.json()["status"] == "denied"
            assert http.get("/releases/rq-nosuch", headers=as_(rm)).status_code == 404

            w.service.show(aud, doc)
            report = http.get("/access-report", headers=as_(aud), params={"mrn": "MRN77"})
            assert report.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(report.text)))
            assert [(r["actor"], r["action"]) for r in rows] == [("aud1", "view_manifest")]
            acc = http.get("/accounting", headers=as_(aud),
                           params={"mrn": "MRN77", "format": "pdf"})
            assert acc.status_code == 200 and acc.content.startswith(b"%PDF")
            assert http.get("/accounting", headers=as_(arch),
                            params={"mrn": "MRN77"}).status_code == 403
    finally:
        w.catalog.close()


def _cli(url: str, home: Path, bearer: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
    env.update(CHARTVAULT_DATA_DIR=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               CHARTVAULT_WEB__API_URL=url, CHARTVAULT_TOKEN=bearer)
    return subprocess.run([sys.executable, "-m", "chartvault.cli", "release", *argv], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_release_cli_over_the_api(tmp_path: Path) -> None:
    w = build_world(tmp_path / "server")
    try:
        file_record(w, 1, served=date(2021, 2, 3), mrn="MRN78")
        arch, rm = w.person("arch1", Role.ARCHIVIST), w.person("rm1", Role.RECORDS_MANAGER)
        home = tmp_path / "client"  # the CLI's own data directory stays empty
        with serving(w) as url:
            made = _cli(url, home, arch, "request", "--mrn", "MRN78", "--requester-kind",
                        "patient", "--requester", "P", "--purpose", "own copy")
            assert made.returncode == 0, made.stderr
            rid = made.stdout.split()[0]
            assert rid in _cli(url, home, arch, "list").stdout
            assert _cli(url, home, arch, "review", rid).returncode == 0
            fulfil = _cli(url, home, rm, "fulfil", rid, "--out", str(tmp_path / "o"))
            assert fulfil.returncode == 2 and "not available over the API" in fulfil.stderr
            assert _cli(url, home, rm, "deny", rid, "--reason", "dup").returncode == 0
            shown = _cli(url, home, rm, "show", rid)
            assert "denied" in shown.stdout and "reason: dup" in shown.stdout
            acc = _cli(url, home, rm, "accounting", "--mrn", "MRN78")
            assert acc.returncode == 0 and acc.stdout.startswith("date,recipient")
            assert _cli(url, home, arch, "accounting", "--mrn", "MRN78").returncode == 7
        assert not (home / "data" / "catalog.db").exists()
    finally:
        w.catalog.close()
