"""Signing in and out in a real browser: cookie flags, idle logoff, CSRF and tampering."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from chartvault.auth.roles import Role
from tests.support.browser import screenshot, sign_in
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc, password_of


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    w = build_world(tmp_path_factory.mktemp("signin"))
    file_doc(w, 1, retain_until=date(2090, 1, 1))
    w.person("alice", Role.AUDITOR)
    with serving(w) as url:
        yield w, url


def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_ends_it(
        site: tuple[World, str], page: object) -> None:
    w, url = site
    sign_in(page, url, "alice")
    screenshot(page, "sign_in_start_page")
    cookies = {c["name"]: c for c in page.context.cookies()}  # type: ignore[attr-defined]
    session = cookies["cv_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    bearer = session["value"]
    assert w.service.whoami(bearer).username == "alice"
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.get_by_text("You are signed out.").wait_for()  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="credential"):
        w.service.whoami(bearer)


def test_wrong_password_is_refused_on_the_page(site: tuple[World, str], page: object) -> None:
    _, url = site
    page.goto(url + "/login")  # type: ignore[attr-defined]
    page.get_by_label("User name").fill("alice")  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("not the password at all")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.get_by_role("alert").wait_for()  # type: ignore[attr-defined]
    assert "Sign-in failed" in page.get_by_role("alert").inner_text()  # type: ignore[attr-defined]
    assert "cv_session" not in {c["name"] for c in page.context.cookies()}  # type: ignore[attr-defined]


def test_a_tampered_cookie_is_sent_to_sign_in(site: tuple[World, str]) -> None:
    _, url = site
    r = httpx.get(url + "/", cookies={"cv_session": "cvs_forged.nothing"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_form_without_its_csrf_token_is_refused_and_audited(site: tuple[World, str]) -> None:
    w, url = site
    bearer = w.sign_in("alice")
    r = httpx.post(url + "/logout", cookies={"cv_session": bearer}, data={})
    assert r.status_code == 403
    ev = w.last_event()
    assert (ev["actor"], ev["action"], ev["outcome"]) == ("alice", "web_form", "refused")
    assert w.service.whoami(bearer).username == "alice"  # the forged sign-out did nothing
    login = httpx.post(url + "/login", data={"username": "alice",
                                             "password": password_of("alice")})
    assert login.status_code == 403 and "cv_session" not in login.cookies


def test_idle_session_is_logged_off(tmp_path: Path, page: object) -> None:
    import time

    w = build_world(tmp_path, session_idle_minutes=0.05)  # 3 s
    w.person("bob", Role.AUDITOR)
    with serving(w) as url:
        sign_in(page, url, "bob")
        time.sleep(4)
        page.goto(url + "/")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Sign in").wait_for()  # type: ignore[attr-defined]
        assert page.url.startswith(url + "/login")  # type: ignore[attr-defined]
        screenshot(page, "idle_logoff")
