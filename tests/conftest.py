"""Suite-wide rules.

Under ``CI=true`` a test skipped for a missing dependency is a failure: CI installs
everything, so a skip there hides a broken set-up. Tests that skip for other reasons
must say so with ``pytest.mark.skip_ok``... none do today.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() == "true" and report.skipped and not hasattr(
        report, "wasxfail"
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (a skip is a failure here): {report.longrepr}"


@pytest.fixture(scope="session")
def eval_dev() -> Path:
    """The shared evaluation set (never copied into the repository)."""
    dev = SHARED / "eval" / "dev"
    if not (dev / "truth.jsonl").exists():
        pytest.skip("../shared/eval/dev is not beside the checkout")
    return dev
