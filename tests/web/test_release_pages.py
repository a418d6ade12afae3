"""Release requests in a real browser: recorded by an archivist, due soon first, taken into
review, denied with a reason by a records manager; roles without the action see no link
and get the refusal page (audited)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from chartvault.auth.roles import Role
from chartvault.release.model import Status
from tests.support.browser import screenshot, sign_in
from tests.support.records import file_record
from tests.support.web import serving
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    w = build_world(tmp_path_factory.mktemp("release-pages"))
    file_record(w, 1, served=date(2021, 2, 3), mrn="MRN55")
    w.person("arch1", Role.ARCHIVIST)
    w.person("rm1", Role.RECORDS_MANAGER)
    w.person("scan1", Role.SCANNER)
    with serving(w) as url:
        yield w, url


def test_record_review_and_deny_a_request(site: tuple[World, str], page: object) -> None:
    w, url = site
    pg: object = page
    soon = w.service.release_request(w.sign_in("arch1"), requester_kind="patient",
                                     requester_name="Early Bird", purpose="own copy",
                                     mrn="MRN55", due_date=date.today() + timedelta(days=2))
    sign_in(pg, url, "arch1")
    pg.get_by_role("navigation", name="Main").get_by_role(  # type: ignore[attr-defined]
        "link", name="Releases").click()
    pg.get_by_label("Requester kind").select_option("patient")  # type: ignore[attr-defined]
    pg.get_by_label("Requester", exact=True).fill("Pat Fifty")  # type: ignore[attr-defined]
    pg.get_by_label("Purpose").fill("personal records")  # type: ignore[attr-defined]
    pg.get_by_label("Patient MRN").fill("MRN55")  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Record request").click()  # type: ignore[attr-defined]
    pg.get_by_text("Request recorded.").wait_for()  # type: ignore[attr-defined]
    rid = pg.url.rsplit("/", 1)[1].split("?")[0]  # type: ignore[attr-defined]
    assert pg.locator("#status").inner_text() == "received"  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Take into review").click()  # type: ignore[attr-defined]
    pg.get_by_text("Request taken into review.").wait_for()  # type: ignore[attr-defined]
    assert pg.get_by_role("button", name="Deny").count() == 0  # type: ignore[attr-defined]

    pg.goto(url + "/releases")  # type: ignore[attr-defined]
    rows = pg.locator("tbody tr").all_inner_texts()  # type: ignore[attr-defined]
    assert soon.request_id in rows[0] and "due soon" in rows[0]  # soonest due first
    assert any(rid in r for r in rows[1:])
    screenshot(pg, "release_requests")

    pg.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    sign_in(pg, url, "rm1", w.code("rm1"))
    pg.goto(f"{url}/releases/{rid}")  # type: ignore[attr-defined]
    pg.get_by_label("Reason for the denial").fill("not signed")  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Deny").click()  # type: ignore[attr-defined]
    pg.get_by_text("Request denied.").wait_for()  # type: ignore[attr-defined]
    assert pg.locator("#status").inner_text() == "denied: not signed"  # type: ignore[attr-defined]
    arch = w.sign_in("arch1")  # no second TOTP code within the same 30 s step
    assert w.service.release_show(arch, rid).request.status == Status.DENIED


def test_a_scanner_sees_no_releases_and_is_refused(site: tuple[World, str],
                                                  page: object) -> None:
    w, url = site
    pg: object = page
    sign_in(pg, url, "scan1")
    assert pg.get_by_role("link", name="Releases").count() == 0  # type: ignore[attr-defined]
    before = w.last_seq()
    response = pg.goto(url + "/releases")  # type: ignore[attr-defined]
    assert response.status == 403
    refused = [(e["actor"], e["action"], e["outcome"]) for e in w.events(before)]
    assert ("scan1", "release_request", "refused") in refused
