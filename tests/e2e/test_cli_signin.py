"""Who the installed ``chartvault`` command acts as: a signed-in account, never a name.

Real processes on a real archive of records past retention: ``login`` keeps a 0600
session file under the user's config directory, ``logout`` revokes it; a name in
``CHARTVAULT_USER`` is no identity; and the issue's hold-defeat scenario (legal places a
hold, a clerk releases it, a sweep and a second person's approval destroy the record)
now stops at its first forbidden step, audited, and the record survives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from chartvault.auth.roles import Role
from chartvault.catalog import Catalog
from chartvault.catalog.schema import audit_events
from chartvault.settings import Settings
from tests.e2e.expired import PATIENT, Expired
from tests.e2e.expired import expired_fixture as expired_fixture  # fixture, used by name
from tests.support.people import ENV, enrol_people
from tests.support.world import password_of

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

CHARTVAULT = str(Path(sys.executable).parent / "chartvault")


@dataclass(frozen=True)
class Site:
    data_dir: Path
    config: Path  # XDG_CONFIG_HOME of the person at the terminal
    bearers: dict[str, str]

    def run(self, *argv: str, user: str | None = None, name: str | None = None,
            stdin: str = "") -> subprocess.CompletedProcess[str]:
        """The command as ``user`` (its session as CHARTVAULT_TOKEN), else with only the
        token file of ``login``; ``name``: a CHARTVAULT_USER claim."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
        env.update({"CHARTVAULT_DATA_DIR": str(self.data_dir), "XDG_CONFIG_HOME": str(self.config),
                    **ENV})
        if user is not None:
            env["CHARTVAULT_TOKEN"] = self.bearers[user]
        if name is not None:
            env["CHARTVAULT_USER"] = name
        return subprocess.run([CHARTVAULT, *argv], env=env, capture_output=True, text=True,
                              input=stdin, timeout=180, check=False)

    def events(self, action: str) -> list[tuple[str, str]]:
        catalog = Catalog(Settings(data_dir=self.data_dir).sqlalchemy_url)
        try:
            with catalog.engine.connect() as conn:
                rows = conn.execute(select(audit_events.c.actor, audit_events.c.outcome)
                                    .where(audit_events.c.action == action)
                                    .order_by(audit_events.c.seq)).all()
        finally:
            catalog.close()
        return [(r[0], r[1]) for r in rows]


@pytest.fixture
def site(expired: Expired, tmp_path: Path) -> Site:
    dest = tmp_path / "data"
    shutil.copytree(expired.data_dir, dest, symlinks=True)
    return Site(dest, tmp_path / "config", expired.bearers)


def _line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_a_name_in_the_environment_is_no_identity(site: Site) -> None:
    for argv in (["search", "--mrn", PATIENT["mrn"]], ["hold", "list"],
                 ["retention", "sweep"], ["audit", "verify"]):
        done = site.run(*argv, name="auditor")
        assert done.returncode == 6 and "not signed in" in _line(done), done.stderr
        assert PATIENT["family"] not in done.stdout + done.stderr


def test_login_keeps_an_owner_only_session_and_logout_revokes_it(site: Site) -> None:
    done = site.run("login", "--username", "auditor", "--password-stdin",
                    stdin=password_of("auditor") + "\n\n")
    assert done.returncode == 0, done.stderr
    assert "signed in as auditor (roles: auditor)" in done.stdout
    token = site.config / "chartvault" / "token"
    assert token.stat().st_mode & 0o777 == 0o600
    assert (site.config / "chartvault").stat().st_mode & 0o777 == 0o700
    found = site.run("search", "--mrn", PATIENT["mrn"])
    assert found.returncode == 0, found.stderr
    assert PATIENT["family"] in found.stdout and "2 document(s)" in found.stderr
    who = site.run("whoami")
    assert who.returncode == 0 and who.stdout.startswith("auditor (roles: auditor; via session")
    bearer = token.read_text().strip()

    assert site.run("logout").returncode == 0
    assert not token.exists()
    gone = site.run("search", "--mrn", PATIENT["mrn"])
    assert gone.returncode == 6 and "not signed in" in _line(gone)
    # the revoked session is refused even when presented again, and the refusal audited
    env_try = subprocess.run(
        [CHARTVAULT, "search", "--mrn", PATIENT["mrn"]], capture_output=True, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")},
             "CHARTVAULT_DATA_DIR": str(site.data_dir), "CHARTVAULT_TOKEN": bearer},
        timeout=180, check=False)
    assert env_try.returncode == 6 and "Traceback" not in env_try.stderr
    assert ("auditor", "refused") in site.events("search")

    wrong = site.run("login", "--username", "auditor", "--password-stdin",
                     stdin="not the password\n\n")
    assert wrong.returncode == 6 and not token.exists()
    unknown = site.run("login", "--username", "nobody", "--password-stdin",
                       stdin="not the password\n\n")
    assert unknown.returncode == 6 and _line(unknown) == _line(wrong)


def test_first_login_from_stdin_reads_only_the_lines_the_account_needs(
        tmp_path: Path) -> None:
    got = enrol_people(tmp_path / "data", {"plain": (Role.AUDITOR,), "second": (Role.LEGAL,),
                                     "older": (Role.AUDITOR,)})
    assert got["plain"].totp_secret is None and got["second"].totp_secret
    site = Site(tmp_path / "data", tmp_path / "config", {})

    def login(name: str, *lines: str) -> subprocess.CompletedProcess[str]:
        return site.run("login", "--username", name, "--password-stdin",
                        stdin="".join(line + "\n" for line in lines))

    # no TOTP: the one-time password, then the new password, and no empty line between
    done = login("plain", str(got["plain"].one_time_password), password_of("plain"))
    assert done.returncode == 0, done.stderr
    assert "signed in as plain" in done.stdout
    assert login("plain", password_of("plain")).returncode == 0  # the new one holds
    assert login("plain", str(got["plain"].one_time_password)).returncode == 6
    # the empty line that was needed before still does
    done = login("older", str(got["older"].one_time_password), "", password_of("older"))
    assert done.returncode == 0, done.stderr
    # TOTP: the one-time password, the code, the new password
    otp = pyotp.TOTP(str(got["second"].totp_secret))
    done = login("second", str(got["second"].one_time_password), otp.now(),
                 password_of("second"))
    assert done.returncode == 0, done.stderr
    assert "signed in as second (roles: legal)" in done.stdout
    assert login("second", password_of("second")).returncode == 6  # a code is still needed
    done = login("second", password_of("second"), otp.at(time.time() + 30))  # a newer step
    assert done.returncode == 0, done.stderr
    assert [e for e in site.events("sign_in") if e[1] == "ok"] == [
        ("admin", "ok"), ("plain", "ok"), ("plain", "ok"), ("older", "ok"), ("second", "ok"),
        ("second", "ok")]


def test_hold_defeat_scenario_stops_at_its_first_forbidden_step(site: Site) -> None:
    """Issue 13's scenario through the installed command, step by step."""
    # the old way: a name claims to be legal; there is no hold
    claim = site.run("hold", "add", "--patient", PATIENT["mrn"], "--case", "C-13",
                     "--reason", "litigation", name="legal")
    assert claim.returncode == 6 and "not signed in" in _line(claim)
    # legal (signed in with TOTP) places the hold
    placed = site.run("hold", "add", "--patient", PATIENT["mrn"], "--case", "C-13",
                      "--reason", "litigation", user="counsel")
    assert placed.returncode == 0, placed.stderr
    hold_id = placed.stdout.split()[1]
    assert "set on 2 document(s)" in placed.stdout
    # a clerk releases it: the first forbidden step, refused and audited
    release = site.run("hold", "release", hold_id, user="clerk")
    assert release.returncode == 7 and _line(release) == "chartvault: not permitted"
    assert ("clerk", "refused") in site.events("hold_release")
    listed = site.run("hold", "list", user="counsel")
    assert listed.returncode == 0 and f"{hold_id}  active" in listed.stdout
    # the sweep and the second person's approval go ahead, and spare the held records
    swept = site.run("retention", "sweep", user="records.manager")
    assert swept.returncode == 0, swept.stderr
    plan = swept.stdout.split("disposition plan ", 1)[1].split()[0]
    # the requester may not approve its own plan (two-person rule, audited)
    own = site.run("retention", "approve", plan, "--password-stdin", user="records.manager",
                   stdin=password_of("records.manager") + "\n")
    assert own.returncode == 7 and "not permitted" in _line(own)
    assert ("records.manager", "refused") in site.events("retention_approve")
    approved = site.run("retention", "approve", plan, "--password-stdin", user="second.person",
                        stdin=password_of("second.person") + "\n")
    assert approved.returncode == 0, approved.stderr
    found = site.run("search", "--mrn", PATIENT["mrn"], user="auditor")
    assert found.returncode == 0 and "2 document(s)" in found.stderr
    assert '"destroyed": 0' in approved.stdout and '"purged": 1' in approved.stdout


def test_maintenance_makes_an_owner_only_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
    done = subprocess.run([CHARTVAULT, "migrate"], capture_output=True, text=True, timeout=180,
                          env={**env, "CHARTVAULT_DATA_DIR": str(data)}, check=False)
    assert done.returncode == 0, done.stderr
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "catalog.db").stat().st_mode & 0o777 == 0o600
