"""An archive whose records are genuinely past retention, and the real CLI to drive it.

Import ``expired_fixture`` and ``old_fixture`` into a test module to use ``old``.
Charts dated 2008-2010 are generated born-digital (quick to file) and ingested by the
real flow: the schedule stamps retain-until dates that have passed, so Object Lock lets
the real store (real clock) delete them: no clock is faked anywhere. One imaging report
(rule ``imaging-purge-10y``: purge), two notes of one patient (destroy) and a corrupt
file (quarantine).

The CLI acts as signed-in accounts (``PEOPLE``, made once per module archive, so every
copy holds their sessions): ``old("auditor", ...)`` presents the auditor's session as
``CHARTVAULT_TOKEN``; an approval re-authenticates with the password on stdin.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chartvault.auth.roles import Role
from tests.support.people import ENV, sign_in_people
from tests.support.world import password_of

PATIENT = {"family": "Olderby", "given": "Marta", "mrn": "MR551203", "birth_date": "1950-02-03",
           "sex": "F"}
PRINTED_FACILITY = "Riverside General Hospital"  # printed on the charts; routing decides
R = Role
PEOPLE: dict[str, tuple[Role, ...]] = {
    "auditor": (R.AUDITOR,),
    "clerk": (R.ARCHIVIST,),
    "counsel": (R.LEGAL,),
    "records.manager": (R.ARCHIVIST, R.RECORDS_MANAGER),  # sweeps, so may not approve
    "second.person": (R.RECORDS_MANAGER,),
    # test_cli_errors: every command's user errors, so every role a person may hold
    "records.clerk": (R.ARCHIVIST, R.RECORDS_MANAGER, R.LEGAL, R.AUDITOR),
}


@dataclass
class Expired:
    """Where the archive is, and what it holds."""

    data_dir: Path
    bearers: dict[str, str]


def _charts(intake: Path) -> None:
    from chartvault.synth.content import make_document
    from chartvault.synth.render import render

    charts: list[tuple[int, str, str, dict[str, Any]]] = [
        (5101, "imaging_report", "2009-03-02", {}),
        (5102, "progress_note", "2008-05-06", PATIENT),
        (5103, "progress_note", "2010-07-08", PATIENT),
    ]
    for seed, doc_type, served, patient in charts:
        overrides: dict[str, Any] = {"service_date": served, "document_date": served,
                                     "facility": PRINTED_FACILITY,
                                     "patient": patient or {"birth_date": "1951-04-05"}}
        render(make_document(seed, doc_type, overrides=overrides), "pdf_text",
               intake / f"old_{seed}.pdf", seed=seed)
    (intake / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF garbage")


def build(data_dir: Path) -> Expired:
    """Generate and ingest the charts into ``data_dir`` (the real ingest flow)."""
    intake = data_dir / "intake" / "default"
    intake.mkdir(parents=True)
    _charts(intake)
    saved = dict(os.environ)
    os.environ.update({"CHARTVAULT_DATA_DIR": str(data_dir), "CHARTVAULT_SETTLE_SECONDS": "0",
                       "CHARTVAULT_KEEP_PROCESSED": "true"})  # local copies destruction reaches
    try:
        import flows.ingest

        flows.ingest.ingest()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Expired(data_dir, sign_in_people(data_dir, PEOPLE))


@pytest.fixture(scope="module", name="expired")
def expired_fixture(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Expired:
    """The ingested archive, once per module; tests work on copies (``old``)."""
    return build(tmp_path_factory.mktemp("cv-expired"))


def one_line(err: str) -> str:
    """The single line a refused command printed, with no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@dataclass
class Cli:
    """``chartvault.cli.main`` on a copy of an archive, as a signed-in person of ``PEOPLE``
    (any other name: no credential at all, as for the maintenance verbs)."""

    data_dir: Path
    bearers: dict[str, str]
    capsys: pytest.CaptureFixture[str]

    def __call__(self, user: str, *argv: str) -> tuple[int, str, str]:
        from chartvault.cli import main

        saved = dict(os.environ)  # the CLI sets Prefect and logging defaults for its process
        os.environ.pop("CHARTVAULT_TOKEN", None)
        os.environ.update({"CHARTVAULT_DATA_DIR": str(self.data_dir),
                           "CHARTVAULT_SETTLE_SECONDS": "0", **ENV})
        if user in self.bearers:
            os.environ["CHARTVAULT_TOKEN"] = self.bearers[user]
        args = list(argv)
        stdin = sys.stdin
        if args[:2] == ["retention", "approve"]:  # re-authentication at approval
            args.append("--password-stdin")
            sys.stdin = io.StringIO(password_of(user) + "\n")
        self.capsys.readouterr()
        try:
            code = main(args)
        finally:
            sys.stdin = stdin
            os.environ.clear()
            os.environ.update(saved)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture(name="old")
def old_fixture(expired: Expired, tmp_path: Path,
                capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """A private copy of the expired archive and the CLI on it."""
    dest = tmp_path / "data"
    shutil.copytree(expired.data_dir, dest, symlinks=True)
    yield Cli(dest, expired.bearers, capsys)
