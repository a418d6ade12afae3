"""Auditors and administrators in a real browser: a misspelt name found, a chart opened
and downloaded (bytes checked against the SHA-256), the chart's access trail, and the
dashboard shown to an admin and refused to an auditor."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date

import pytest

from chartvault.auth.roles import Role
from tests.support.browser import screenshot, sign_in
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str, str]]:
    w = build_world(tmp_path_factory.mktemp("auditor"))
    laura = file_doc(w, 4, retain_until=date(2090, 1, 1), family="Garcia", given="Laura",
                     mrn="MRN-4404")
    file_doc(w, 5, retain_until=date(2090, 1, 1), family="Garner", given="Louis")
    file_doc(w, 6, retain_until=date(2090, 1, 1), family="Smith", given="Laura")
    w.person("audrey", Role.AUDITOR)
    with serving(w) as url:
        yield w, url, laura


def test_search_by_a_misspelt_name_with_the_keyboard(site: tuple[World, str, str],
                                                      page: object) -> None:
    w, url, _ = site
    sign_in(page, url, "audrey")
    page.get_by_role("link", name="Search").first.click()  # type: ignore[attr-defined]
    name = page.get_by_label("Patient name")  # type: ignore[attr-defined]
    name.fill("Garsia, Laura")
    name.press("Enter")
    status = page.get_by_role("status")  # type: ignore[attr-defined]
    status.wait_for()
    assert "1 document on page 1" in status.inner_text()
    table = page.get_by_role("table", name="Search results, page 1")  # type: ignore[attr-defined]
    assert "Garcia, Laura" in table.inner_text() and "Smith" not in table.inner_text()
    screenshot(page, "search_misspelt_name")
    page.get_by_label("Patient name").fill("")  # type: ignore[attr-defined]
    page.get_by_label("Document type").select_option("discharge_summary")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Search").click()  # type: ignore[attr-defined]
    assert "0 documents" in page.get_by_role("status").inner_text()  # type: ignore[attr-defined]
    page.goto(url + "/search?dob=30.04.19x4")  # type: ignore[attr-defined]
    assert "04/30/1964" in page.get_by_role("alert").inner_text()  # type: ignore[attr-defined]
    assert w.last_event()["action"] == "search"


def test_open_a_document_and_download_it_verified(site: tuple[World, str, str],
                                                  page: object) -> None:
    w, url, laura = site
    sign_in(page, url, "audrey")
    page.goto(url + "/search?mrn=mrn4404")  # type: ignore[attr-defined]
    page.get_by_role("link", name=laura[:12] + "…").click()  # type: ignore[attr-defined]
    page.get_by_label("Purpose of use").select_option("audit")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Open the document").click()  # type: ignore[attr-defined]
    img = page.get_by_role("img", name="Page 1 of 1")  # type: ignore[attr-defined]
    img.wait_for()
    page.wait_for_function(  # type: ignore[attr-defined]
        "i => i.complete && i.naturalWidth > 100", arg=img.element_handle())
    meta = page.get_by_role("table", name=f"Document {laura}").inner_text()  # type: ignore[attr-defined]
    assert "Garcia, Laura" in meta and "MRN-4404" in meta
    view = [e for e in w.events() if e["action"] == "view_manifest"][-1]
    assert (view["actor"], view["doc_ids"], view["detail"]["purpose"]) == (
        "audrey", [laura], "audit")
    page.get_by_label("Purpose of use").select_option("legal")  # type: ignore[attr-defined]
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download").click()  # type: ignore[attr-defined]
    data = open(info.value.path(), "rb").read()
    row = w.catalog.get(laura)
    assert row is not None and hashlib.sha256(data).hexdigest() == row["sha256"]
    assert info.value.suggested_filename == f"{laura}.pdf"
    got = w.last_event()
    assert (got["action"], got["detail"]["purpose"]) == ("retrieve", "legal")
    screenshot(page, "document_view_and_download")
    page.get_by_label("The searchable PDF").check()  # type: ignore[attr-defined]
    with page.expect_download() as pdf:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download").click()  # type: ignore[attr-defined]
    assert open(pdf.value.path(), "rb").read(5) == b"%PDF-"


def test_audit_trail_by_patient_shows_the_view_just_made(site: tuple[World, str, str],
                                                        page: object) -> None:
    w, url, laura = site
    sign_in(page, url, "audrey")
    page.goto(url + f"/documents/{laura}?purpose=treatment")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Audit trail").first.click()  # type: ignore[attr-defined]
    page.get_by_label("Patient MRN").fill("MRN-4404")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show events").click()  # type: ignore[attr-defined]
    table = page.get_by_role("table", name="Audit events, newest first")  # type: ignore[attr-defined]
    first = table.get_by_role("row").nth(1).inner_text()
    assert "audrey" in first and "view_page" in first  # the page images came last
    views = table.get_by_role("row").filter(has_text="view_manifest").first.inner_text()
    assert "audrey" in views and "treatment" in views
    assert "svc:ingest" in table.inner_text() and "Smith" not in table.inner_text()
    screenshot(page, "audit_trail_by_patient")
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Export as CSV").click()  # type: ignore[attr-defined]
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("seq,at,actor,action") and "view_manifest" in text
    assert w.last_event()["action"] == "export"


def test_dashboard_for_admin_refused_to_auditor(site: tuple[World, str, str],
                                                page: object, browser: object) -> None:
    w, url, _ = site
    sign_in(page, url, "admin", w.code("admin"))
    page.get_by_role("link", name="Dashboard").first.click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Documents and pages per day").wait_for()  # type: ignore[attr-defined]
    chart = page.get_by_role("img", name="Documents archived per day")  # type: ignore[attr-defined]
    assert chart.count() == 1
    page.get_by_text("The same figures as a table").click()  # type: ignore[attr-defined]
    today = page.get_by_role("row", name=date.today().isoformat())  # type: ignore[attr-defined]
    assert today.inner_text().split() == [date.today().isoformat(), "3", "3"]
    assert "Prefect not reachable" in page.inner_text("main")  # type: ignore[attr-defined]
    screenshot(page, "dashboard_admin")
    other = browser.new_context(viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
    try:
        pg = other.new_page()
        sign_in(pg, url, "audrey")
        pg.get_by_text("Signed in as").wait_for()
        assert pg.get_by_role("link", name="Dashboard").count() == 0
        response = pg.goto(url + "/admin")
        assert response.status == 403
        assert pg.get_by_role("heading", name="Not permitted").count() == 1
        screenshot(pg, "dashboard_refused_auditor")
    finally:
        other.close()
    ev = w.last_event()
    assert (ev["actor"], ev["action"], ev["outcome"]) == ("audrey", "schedule_admin", "refused")
