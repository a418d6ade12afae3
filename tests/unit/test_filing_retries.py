"""Filing retries a document, keeps patient data out of what it logs, and gives up cleanly.

The fault is a transient one (a storage or database hiccup) that cannot be provoked on
demand against real services, so a stand-in run raises it; everything else is real.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from chartvault.errors import StorageError, StorageUnavailable
from flows.ingest import Deferred, file_one


class FlakyRun:
    """Fails ``failures`` times with a message quoting patient data, then files."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def file(self, claim: Any, info: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise ValueError("could not index patient DOE, JANE MRN 1050080")
        return type("Filed", (), {"doc_id": "d-1", "status": "archived"})()


class Claim:
    claim_id = "c-42"
    source = Path("/nonexistent")


def test_a_transient_failure_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    run = FlakyRun(failures=1)
    with caplog.at_level(logging.DEBUG):
        filed = file_one(run, Claim(), None, attempts=3, delay_s=0)  # type: ignore[arg-type]
    assert filed is not None and filed.doc_id == "d-1" and run.calls == 2
    assert "c-42" in caplog.text and "DOE" not in caplog.text and "1050080" not in caplog.text


def test_a_lasting_failure_gives_up_and_leaves_the_claim(caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    run = FlakyRun(failures=5)
    with caplog.at_level(logging.DEBUG):
        assert file_one(run, Claim(), None, attempts=3, delay_s=0) is None  # type: ignore[arg-type]
    assert run.calls == 3
    assert "attempt 3/3 failed" in caplog.text and "ValueError" in caplog.text
    assert "DOE" not in caplog.text and "1050080" not in caplog.text


class FailingRun:
    """Fails every time with ``exc``."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def file(self, claim: Any, info: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize(("exc", "counted"), [
    (ValueError("bad content DOE, JANE"), 1),  # the document's own failure: counts
    (StorageError("object exists with other content"), 1),  # a refusal, not an outage
    (StorageUnavailable("store down"), 0),  # an outage: does not count
    (ConnectionError("catalog unreachable"), 0),
])
def test_only_the_documents_own_failures_count_towards_quarantine(
        tmp_path: Path, exc: Exception, counted: int) -> None:
    from chartvault.pipeline.intake import claim

    (tmp_path / "DOE_JANE.pdf").write_bytes(b"%PDF-1.4")
    c = claim(tmp_path / "DOE_JANE.pdf", tmp_path, "default")
    c.count_attempt()
    result = file_one(FailingRun(exc), c, None, attempts=2, delay_s=0)  # type: ignore[arg-type]
    assert isinstance(result, Deferred) if counted == 0 else result is None
    assert c.attempts() == counted
