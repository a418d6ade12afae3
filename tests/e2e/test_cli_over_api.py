"""People's CLI commands against a running server: the installed ``chartvault`` with
``CHARTVAULT_WEB__API_URL`` talks HTTP to the server's service. Its own data directory
stays empty, so every answer below can only have come over the API."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from chartvault.auth.roles import Role
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc, password_of

CHARTVAULT = str(Path(sys.executable).parent / "chartvault")


@dataclass
class Remote:
    world: World
    url: str
    home: Path  # the CLI user's own (empty) data directory and config

    def run(self, *argv: str, token: str | None = None, stdin: str = ""
            ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
        env.update({"CHARTVAULT_DATA_DIR": str(self.home / "data"),
                    "XDG_CONFIG_HOME": str(self.home / "config"),
                    "CHARTVAULT_WEB__API_URL": self.url})
        if token:
            env["CHARTVAULT_TOKEN"] = token
        return subprocess.run([CHARTVAULT, *argv], env=env, capture_output=True, text=True,
                              input=stdin, timeout=120, check=False)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    w = build_world(tmp_path_factory.mktemp("server"))
    file_doc(w, 1, retain_until=date(2090, 1, 1))
    w.person("ava", Role.AUDITOR)
    w.person("leo", Role.LEGAL)
    with serving(w) as url:
        yield Remote(w, url, tmp_path_factory.mktemp("client"))


def test_login_search_retrieve_logout_over_the_api(remote: Remote, tmp_path: Path) -> None:
    login = remote.run("login", "--username", "ava", "--password-stdin",
                       stdin=password_of("ava") + "\n\n")
    assert login.returncode == 0, login.stderr
    who = remote.run("whoami")
    assert who.returncode == 0 and who.stdout.startswith("ava (roles: auditor")
    found = remote.run("search", "--mrn", "MRN1001", "--json")
    assert found.returncode == 0, found.stderr
    doc_id = remote.world.doc_ids[0]
    assert doc_id in found.stdout
    out = tmp_path / "copy.pdf"
    got = remote.run("retrieve", doc_id, "--out", str(out), "--purpose", "audit")
    assert got.returncode == 0, got.stderr
    row = remote.world.catalog.get(doc_id)
    assert row is not None and hashlib.sha256(out.read_bytes()).hexdigest() == row["sha256"]
    ev = remote.world.last_event()
    assert (ev["actor"], ev["action"], ev["detail"]["purpose"]) == ("ava", "retrieve", "audit")
    assert not (remote.home / "data" / "catalog.db").exists()  # nothing was opened locally
    assert remote.run("logout").returncode == 0
    assert remote.run("whoami").returncode == 6


def test_refusals_over_the_api_keep_the_cli_exit_codes(remote: Remote) -> None:
    ava = remote.world.sign_in("ava")
    r = remote.run("hold", "add", "--case", "C-1", "--reason", "x", "--document",
                   remote.world.doc_ids[0], token=ava)
    assert r.returncode == 7 and "not permitted" in r.stderr
    assert remote.world.last_event()["outcome"] == "refused"
    missing = remote.run("show", "0" * 24, token=ava)
    assert missing.returncode == 3
    nobody = remote.run("search", "--mrn", "MRN1001", token="cvs_forged.token")
    assert nobody.returncode == 6
    no_purpose = remote.run("retrieve", remote.world.doc_ids[0], "--out", "/tmp/x.pdf",
                            token=ava)
    assert no_purpose.returncode == 2 and "--purpose" in no_purpose.stderr
    not_remote = remote.run("retention", "approve", "p-1", token=ava, stdin="\n\n")
    assert not_remote.returncode == 2 and "not available over the API" in not_remote.stderr
