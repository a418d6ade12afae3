"""Debian's chromium driven by Playwright (nothing downloaded); screenshots per test."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("CHARTVAULT_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (scripts/setup.sh --with-servers)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context per test; its last screen is saved under test-artifacts/."""
    context = browser.new_context(viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        pg.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    finally:
        context.close()


def screenshot(pg: object, name: str) -> Path:
    """Save a named screenshot of the current page (a step inside a test)."""
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def sign_in(pg: object, url: str, username: str, code: str | None = None) -> None:
    """Sign ``username`` in through the login form (test password, TOTP code if given)."""
    from tests.support.world import password_of

    pg.goto(url + "/login")  # type: ignore[attr-defined]
    pg.get_by_label("User name").fill(username)  # type: ignore[attr-defined]
    pg.get_by_label("Password").fill(password_of(username))  # type: ignore[attr-defined]
    if code:
        pg.get_by_label("Authenticator code").fill(code)  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    pg.get_by_text("Signed in as").wait_for()  # type: ignore[attr-defined]
