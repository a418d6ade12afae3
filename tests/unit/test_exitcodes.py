"""One exit-code table: the errors map to it, and the README lists every code in it."""

from __future__ import annotations

import re
from pathlib import Path

from chartvault import exitcodes
from chartvault.access import NotFound as AccessNotFound
from chartvault.auth.accounts import AccountError
from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.signin import PasswordChangeRequired
from chartvault.cli_session import NotSignedIn
from chartvault.disposition import DispositionError
from chartvault.errors import ChartvaultError, NotFound, StorageError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_errors_map_to_the_table() -> None:
    cases: list[tuple[ChartvaultError, int]] = [
        (Unauthenticated(), exitcodes.EXIT_UNAUTHENTICATED),
        (NotSignedIn(), exitcodes.EXIT_UNAUTHENTICATED),
        (PasswordChangeRequired("change it"), exitcodes.EXIT_UNAUTHENTICATED),
        (Forbidden(), exitcodes.EXIT_FORBIDDEN),
        (NotFound("no plan p-1"), exitcodes.EXIT_NOT_FOUND),
        (AccessNotFound("document d-1 is not in the archive"), exitcodes.EXIT_NOT_FOUND),
        (DispositionError("plan p-1 is done"), exitcodes.EXIT_USER),
        (AccountError("that username is taken"), exitcodes.EXIT_USER),
        (StorageError("store down"), exitcodes.EXIT_FAILED),
    ]
    for err, code in cases:
        assert exitcodes.status(err) == code, (type(err).__name__, code)
    assert Unauthenticated.exit_code == exitcodes.EXIT_UNAUTHENTICATED
    assert Forbidden.exit_code == exitcodes.EXIT_FORBIDDEN


def test_readme_lists_every_code() -> None:
    table = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    codes = {v for k, v in vars(exitcodes).items() if k.startswith("EXIT_")}
    assert listed == codes
