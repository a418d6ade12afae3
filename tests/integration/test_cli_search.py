"""The CLI's search reads names, dates and types as the web page does (one service call):
a misspelt name, a birth date as printed on a chart, a misspelt type with a warning."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from chartvault.auth.roles import Role
from tests.support.world import build_world, file_doc

CHARTVAULT = str(Path(sys.executable).parent / "chartvault")


def test_cli_search_is_tolerant_and_warns(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    laura = file_doc(w, 4, retain_until=date(2090, 1, 1), family="Garcia", given="Laura")
    file_doc(w, 5, retain_until=date(2090, 1, 1), family="Smith", given="Laura")
    bearer = w.person("alice", Role.AUDITOR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARTVAULT_", "PREFECT_"))}
    env.update({"CHARTVAULT_DATA_DIR": str(w.settings.data_dir), "CHARTVAULT_TOKEN": bearer})

    def search(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CHARTVAULT, "search", *argv], env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    found = search("--name", "Garsia Laura", "--dob", "Jan 4 1970")
    assert found.returncode == 0, found.stderr
    assert found.stdout.split()[0] == laura and len(found.stdout.splitlines()) == 1
    typo = search("--type", "progres note")
    assert typo.returncode == 0 and typo.stdout == ""
    assert "did you mean 'progress_note'" in typo.stderr
    paged = search("--name", "Laura", "--limit", "1")  # one word: a family name
    assert paged.stdout == "" and "0 document(s)" in paged.stderr
    two = search("--type", "Progress note", "--limit", "1")
    assert len(two.stdout.splitlines()) == 1 and "more: --offset 1" in two.stderr
    rest = search("--type", "progress_note", "--limit", "1", "--offset", "1")
    assert len(rest.stdout.splitlines()) == 1 and rest.stdout != two.stdout
