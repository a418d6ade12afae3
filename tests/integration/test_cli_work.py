"""``chartvault quarantine release|purge`` and ``chartvault review ...`` as real processes,
on the same service calls as the pages: a person's bearer in ``CHARTVAULT_TOKEN``; in
process, and over a running server's API (the CLI's own data directory then empty)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

from chartvault.auth.roles import Role
from tests.support.quarantine import intake, quarantine_file
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc

API_URL: dict[str, str] = {}


def cv(w: World, bearer: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
    env.update(CHARTVAULT_DATA_DIR=str(w.settings.data_dir), CHARTVAULT_TOKEN=bearer,
               XDG_CONFIG_HOME=str(w.settings.data_dir.parent / "config"))
    if API_URL:
        env.update(CHARTVAULT_WEB__API_URL=API_URL["url"],
                   CHARTVAULT_DATA_DIR=str(w.settings.data_dir.parent / "client"))
    return subprocess.run([sys.executable, "-m", "chartvault.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.parametrize("over_api", [False, True], ids=["in_process", "over_api"])
def test_review_and_quarantine_from_the_command_line(tmp_path: Path, over_api: bool) -> None:
    w = build_world(tmp_path)
    with ExitStack() as stack:
        API_URL.clear()
        if over_api:
            API_URL["url"] = stack.enter_context(serving(w))
        try:
            _commands(w)
        finally:
            API_URL.clear()


def _commands(w: World) -> None:
    docs = [file_doc(w, n, retain_until=date(2090, 1, 1), review=True) for n in (1, 2, 3)]
    qid = quarantine_file(w, "Doe Jane.pdf")
    gone = quarantine_file(w, "Blank sheet.pdf")
    arch = w.person("arch1", Role.ARCHIVIST)
    scan = w.person("scan1", Role.SCANNER)

    listed = cv(w, arch, "review", "list")
    assert listed.returncode == 0, listed.stderr
    assert all(d in listed.stdout for d in docs) and "3 of 3 waiting" in listed.stdout
    shown = cv(w, arch, "review", "show", docs[0])
    assert "patient_given: Ann1" in shown.stdout and "identity_not_established" in shown.stdout
    fixed = cv(w, arch, "review", "correct", docs[0], "--family", "Okafor", "--dob",
               "1980-02-03")
    assert fixed.returncode == 0, fixed.stderr
    assert "corrected: birth_date, patient_family" in fixed.stdout
    assert (w.catalog.get(docs[0]) or {})["name_key"] == "okafor ann1"
    bad = cv(w, arch, "review", "correct", docs[1], "--dob", "02/03/1980")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    assert cv(w, arch, "review", "confirm", docs[1]).returncode == 0
    bulk = cv(w, arch, "review", "confirm-batch", "b-default")
    assert bulk.returncode == 0 and "1 record(s)" in bulk.stdout
    assert cv(w, scan, "review", "list").returncode == 7  # 403

    assert cv(w, scan, "quarantine", "release", qid).returncode == 7
    released = cv(w, arch, "quarantine", "release", qid)
    assert released.returncode == 0, released.stderr
    assert (w.settings.intake_path(intake(w, "default")) / "Doe Jane.pdf").is_file()
    purged = cv(w, arch, "quarantine", "purge", gone, "--reason", "not_a_medical_record")
    assert purged.returncode == 0, purged.stderr
    assert cv(w, arch, "quarantine", "purge", gone, "--reason", "rescanned").returncode == 2
