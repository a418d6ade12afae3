"""Every ordinary mistake ends in one line on stderr, a documented exit code, no traceback.

The installed ``chartvault`` command runs as a separate process (what a user types), on
a real archive with a destroyed record; README "Exit codes" lists the codes asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from chartvault.catalog import Catalog
from chartvault.disposition import approve, execute, sweep
from chartvault.settings import Settings
from storage.factory import open_store
from tests.e2e.expired import Expired
from tests.e2e.expired import expired_fixture as expired_fixture  # fixture, used by name
from tests.support.people import ENV
from tests.support.world import password_of

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

CHARTVAULT = str(Path(sys.executable).parent / "chartvault")


@dataclass(frozen=True)
class World:
    data_dir: Path
    destroyed: str
    archived: str
    bearer: str  # records.clerk's session


@pytest.fixture(scope="module")
def world(expired: Expired, tmp_path_factory: pytest.TempPathFactory) -> World:
    dest = tmp_path_factory.mktemp("cv-errors") / "data"
    shutil.copytree(expired.data_dir, dest, symlinks=True)
    settings = Settings(data_dir=dest)
    catalog = Catalog(settings.sqlalchemy_url)
    plan = sweep(catalog, date.today(), "records.manager")
    approve(catalog, plan, "second.person")
    report = execute(catalog, open_store(settings), plan, "svc:retention-execute", dest)
    assert report.done and report.purged
    catalog.close()
    return World(dest, report.done[0], report.purged[0], expired.bearers["records.clerk"])


def run(world: World, *argv: str, token: bool = True) -> subprocess.CompletedProcess[str]:
    """The installed command as records.clerk (its session as ``CHARTVAULT_TOKEN``); the
    password on stdin re-authenticates an approval."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARTVAULT_", "PREFECT_"))}
    env.update({"CHARTVAULT_DATA_DIR": str(world.data_dir), **ENV})
    if token:
        env["CHARTVAULT_TOKEN"] = world.bearer
    return subprocess.run([CHARTVAULT, *argv], env=env, capture_output=True, text=True,
                          input=password_of("records.clerk") + "\n", timeout=120, check=False)


MISSING = "/nonexistent/truth.jsonl"
CASES: list[tuple[list[str], int, str]] = [
    (["retention", "show", "p-nope"], 3, "no plan p-nope"),
    (["retention", "approve", "p-nope"], 3, "no plan p-nope"),
    (["retention", "reject", "p-nope"], 3, "no plan p-nope"),
    (["retention", "cancel", "p-nope"], 3, "no plan p-nope"),
    (["retention", "resume", "p-nope"], 3, "no plan p-nope"),
    (["retention", "abandon", "p-nope"], 3, "no plan p-nope"),
    (["retention", "execute", "p-nope"], 3, "no plan p-nope"),
    (["retention", "certificate", "p-nope", "--out", "{tmp}/c.pdf"], 3, "no plan p-nope"),
    (["retention", "certificate", "{destroyed}", "--out", "{tmp}/c.pdf"], 3,
     "is a document id, not a plan"),
    (["retention", "explain", "d-nope"], 3, "document d-nope is not in the archive"),
    (["hold", "release", "h-nope"], 3, "no hold h-nope"),
    (["hold", "add", "--patient", "ZZ-000-1", "--case", "C", "--reason", "r"], 3,
     "no document in the archive has this MRN"),
    (["hold", "add", "--document", "d-nope", "--case", "C", "--reason", "r"], 3,
     "document d-nope is not in the archive"),
    (["hold", "add", "--document", "{destroyed}", "--case", "C", "--reason", "r"], 2,
     "was destroyed"),
    (["show", "d-nope"], 3, "document d-nope is not in the archive"),
    (["show", "{destroyed}"], 3, "was destroyed under plan p-"),
    (["retrieve", "d-nope", "--out", "{tmp}/x"], 3, "d-nope"),
    (["rendition", "d-nope"], 3, "document d-nope is not in the archive"),
    (["rendition", "{archived}"], 2, "was purged"),
    (["evaluate", "--truth", MISSING, "--pred", MISSING], 3, "--truth: no such file"),
    (["train", "--labeled", MISSING, "--out", "{tmp}/m"], 3, "--labeled: no such file"),
    (["ingest", "--intake", "nope"], 3, "no intake named 'nope'; configured: default"),
    (["retention", "sweep", "--as-of", "2200-01-01"], 2, "later than today"),
    (["retention", "sweep", "--as-of", "someday"], 2, "invalid fromisoformat value"),
    (["no-such-command"], 2, "invalid choice"),
    (["search"], 2, "give at least one criterion"),
    (["search", "--dob", "30.04.19x4"], 2, "date of birth not understood; write it like"),
    (["search", "--to", "soon"], 2, "--to not understood"),
    (["catalog", "rebuild"], 2, "the target catalog is not empty"),
]


@pytest.mark.parametrize(("argv", "code", "message"), CASES,
                         ids=[" ".join(c[0][:3]) for c in CASES])
def test_user_error_is_one_line_with_its_exit_code(
        world: World, tmp_path: Path, argv: list[str], code: int, message: str) -> None:
    args = [a.format(destroyed=world.destroyed, archived=world.archived, tmp=tmp_path)
            for a in argv]
    t0 = time.perf_counter()
    done = run(world, *args)
    seconds = time.perf_counter() - t0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    assert message in lines[0], lines[0]
    assert done.returncode == code, (done.returncode, done.stderr)
    if argv[0] == "ingest":  # refused before any worker or Prefect starts
        assert seconds < 10, seconds


def test_verbose_shows_the_traceback(world: World) -> None:
    done = run(world, "-v", "show", "d-nope")
    assert done.returncode != 0 and "Traceback" in done.stderr and "NotFound" in done.stderr


def test_unknown_mrn_with_a_facility_is_a_patient_hold_for_later_documents(world: World) -> None:
    done = run(world, "hold", "add", "--patient", "ZZ-000-1", "--facility", "Main Facility",
               "--case", "C", "--reason", "r")
    assert done.returncode == 0, done.stderr
    assert "set on 0 document(s)" in done.stdout


def test_refusals_leave_audit_events(world: World) -> None:
    from sqlalchemy import select

    from chartvault.catalog.schema import audit_events

    for argv in (["hold", "release", "h-gone"], ["retention", "approve", "p-gone"],
                 ["hold", "add", "--document", "d-gone", "--case", "C", "--reason", "r"]):
        assert run(world, *argv).returncode == 3
    catalog = Catalog(Settings(data_dir=world.data_dir).sqlalchemy_url)
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(audit_events.c.actor, audit_events.c.action,
                                   audit_events.c.detail)
                            .where(audit_events.c.outcome == "refused")).all()
    assert ("records.clerk", "hold_released", {"hold_id": "h-gone", "why": "not_found"}) in rows
    assert ("records.clerk", "retention_approve",
            {"plan_id": "p-gone", "why": "unknown_plan"}) in rows
    assert ("records.clerk", "hold_set", {"doc_id": "d-gone", "why": "not_found"}) in rows
    assert catalog.verify_audit().ok
