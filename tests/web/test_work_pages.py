"""The work side in a real browser: correct a flagged record's patient, release a
quarantined file, approve a plan as the second person, place and release a hold, and a
role refused a page it may not see. Each test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from chartvault.auth.roles import Role
from chartvault.catalog import SearchCriteria
from chartvault.events import RecordEvent
from chartvault.labels import labels_path
from chartvault.pipeline.batch import IngestRun
from tests.support import browser
from tests.support.browser import screenshot
from tests.support.quarantine import intake, quarantine_file
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc, password_of


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    w = build_world(tmp_path_factory.mktemp("work"))
    with serving(w) as url:
        yield w, url


def sign_in(pg: object, url: str, w: World, username: str) -> None:
    browser.sign_in(pg, url, username, w.code(username) if username in w.totp else None)


def go(pg: object, name: str) -> None:
    """Follow a link of the main navigation."""
    pg.get_by_role("navigation", name="Main").get_by_role(  # type: ignore[attr-defined]
        "link", name=name).click()


def test_correct_a_flagged_records_patient_and_find_it_by_the_new_name(
        site: tuple[World, str], page: object) -> None:
    w, url = site
    doc = file_doc(w, 11, retain_until=date(2090, 1, 1), review=True)
    w.person("rita", Role.ARCHIVIST)
    auditor = w.person("alma", Role.AUDITOR)
    sign_in(page, url, w, "rita")
    pg = page
    go(pg, "Review queue")
    pg.get_by_role("link", name=doc).click()  # type: ignore[attr-defined]
    image = pg.get_by_role("img", name=f"Page 1 of 1 of record {doc}")  # type: ignore[attr-defined]
    image.wait_for()
    pg.wait_for_function(  # type: ignore[attr-defined]
        "el => el.complete && el.naturalWidth > 500", arg=image.element_handle())
    assert pg.get_by_label("Patient family name").input_value() == "Testperson"  # type: ignore[attr-defined]
    pg.get_by_label("Patient family name").fill("Garsia")  # type: ignore[attr-defined]
    pg.get_by_label("Patient given name(s)").fill("Laura")  # type: ignore[attr-defined]
    pg.get_by_label("Date of birth").fill("1964-04-30")  # type: ignore[attr-defined]
    pg.get_by_label("Document type").select_option("discharge_summary")  # type: ignore[attr-defined]
    screenshot(pg, "review_correction_form")
    pg.get_by_role("button", name="Save correction").click()  # type: ignore[attr-defined]
    pg.get_by_role("status").wait_for()  # type: ignore[attr-defined]
    assert "Correction saved" in pg.get_by_role("status").inner_text()  # type: ignore[attr-defined]
    assert pg.get_by_role("link", name=doc).count() == 0  # type: ignore[attr-defined]
    screenshot(pg, "review_queue_after_correction")
    hits = w.service.search(auditor, SearchCriteria(name="Garsia, Laura"))
    assert [h.row["doc_id"] for h in hits] == [doc]
    row = hits[0].row
    assert (row["doc_type"], row["birth_date"], row["needs_review"]) == (
        "discharge_summary", date(1964, 4, 30), False)
    events = [k for k in w.store.list(f"records/{doc}/events/") if "-correction-" in k]
    assert len(events) == 1
    event = RecordEvent.model_validate_json(w.store.get(events[0]))
    assert event.actor == "rita" and event.data["fields"]["patient_family"] == "Garsia"
    assert doc in labels_path(w.settings.data_dir).read_text()


def test_a_bad_date_is_refused_on_the_form_with_an_alert(
        site: tuple[World, str], page: object) -> None:
    w, url = site
    doc = file_doc(w, 12, retain_until=date(2090, 1, 1), review=True)
    w.person("remo", Role.ARCHIVIST)
    sign_in(page, url, w, "remo")
    bearer = next(c["value"] for c in page.context.cookies()  # type: ignore[attr-defined]
                  if c["name"] == "cv_session")
    csrf = page.goto(url + f"/review/{doc}")  # type: ignore[attr-defined]
    assert csrf is not None and csrf.status == 200
    token = page.locator("input[name=csrf]").first.input_value()  # type: ignore[attr-defined]
    r = httpx.post(url + f"/review/{doc}", cookies={"cv_session": bearer}, data={
        "csrf": token, "action": "correct", "doc_type": "progress_note",
        "patient_family": "Testperson", "birth_date": "30.04.1964"})
    assert r.status_code == 400 and 'role="alert"' in r.text and "not a date" in r.text
    assert (w.catalog.get(doc) or {})["needs_review"]


def test_release_a_quarantined_file(site: tuple[World, str], page: object) -> None:
    w, url = site
    qid = quarantine_file(w, "ward 3/Garcia Laura 1964-04-30.pdf")
    w.person("ruth", Role.ARCHIVIST)
    w.person("sam", Role.SCANNER, intakes=("default",))
    sign_in(page, url, w, "sam")  # the scanner sees its intake's entry, and cannot release
    go(page, "Quarantine")
    row = page.get_by_role("row").filter(has_text=qid)  # type: ignore[attr-defined]
    assert "Garcia Laura 1964-04-30.pdf" in row.inner_text()
    assert "the file looks half-written (truncated)" in row.inner_text()
    assert row.get_by_role("button").count() == 0
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    sign_in(page, url, w, "ruth")
    go(page, "Intake")  # the status counts the entry and its batch
    line = page.get_by_role("table", name="Intake folders now and over the last 24 hours")  # type: ignore[attr-defined]
    cells = line.get_by_role("row").filter(has_text="Main Facility").get_by_role("cell")
    assert int(cells.nth(8).inner_text()) >= 1  # quarantined (open)
    batches = page.get_by_role("table", name="Last batches")  # type: ignore[attr-defined]
    assert batches.get_by_role("row").count() >= 2
    screenshot(page, "intake_status")
    go(page, "Quarantine")
    screenshot(page, "quarantine_before_release")
    row = page.get_by_role("row").filter(has_text=qid)  # type: ignore[attr-defined]
    row.get_by_role("button", name="Release and retry").click()
    page.get_by_role("status").wait_for()  # type: ignore[attr-defined]
    assert "back in its intake folder" in page.get_by_role("status").inner_text()  # type: ignore[attr-defined]
    assert page.get_by_role("row").filter(has_text=qid).count() == 0  # type: ignore[attr-defined]
    screenshot(page, "quarantine_after_release")
    folder = w.settings.intake_path(intake(w, "default"))
    assert (folder / "ward 3" / "Garcia Laura 1964-04-30.pdf").is_file()
    ev = [e for e in w.events() if e["action"] == "quarantine_release"][-1]
    assert ev["actor"] == "ruth" and ev["detail"]["quarantine_id"] == qid
    run = IngestRun(w.settings, intake(w, "default"), w.store, w.catalog)
    claims = run.claim_all()  # the next run takes it
    assert [c.info()["original_name"] for c in claims] == ["ward 3/Garcia Laura 1964-04-30.pdf"]
    for c in claims:
        run.inspect(c)
    page.get_by_role("link", name="Handled entries").click()  # type: ignore[attr-defined]
    assert "released by ruth" in page.get_by_role("row").filter(  # type: ignore[attr-defined]
        has_text=qid).inner_text()


def test_approve_a_plan_as_the_second_person(site: tuple[World, str], page: object) -> None:
    w, url = site
    doc = file_doc(w, 13, retain_until=date(2001, 5, 6))
    w.person("ann", Role.ARCHIVIST)
    rob = w.person("rob", Role.RECORDS_MANAGER)  # signed in with this step's code
    sign_in(page, url, w, "ann")  # the archivist plans the sweep on the page
    go(page, "Disposition plans")
    page.get_by_role("button", name="Plan a sweep of records due today").click()  # type: ignore[attr-defined]
    page.get_by_text("Sweep done").wait_for()  # type: ignore[attr-defined]
    plan_id = page.url.rsplit("/", 1)[1].split("?")[0]  # type: ignore[attr-defined]
    assert page.get_by_role("button", name="Approve and carry out").count() == 0  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    # rob's session (a TOTP sign-in) in the browser: the next code is for the approval
    page.context.add_cookies([{"name": "cv_session", "value": rob,  # type: ignore[attr-defined]
                               "url": url}])
    page.goto(url + f"/plans/{plan_id}")  # type: ignore[attr-defined]
    item = page.get_by_role("row").filter(has_text=doc)  # type: ignore[attr-defined]
    assert "rule adult-10y.v1" in item.inner_text()
    assert "retain until 2001-05-06 < as of" in item.inner_text()
    page.get_by_label("Your password").fill(password_of("rob"))  # type: ignore[attr-defined]
    page.get_by_label("Authenticator code").fill("000000")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Approve and carry out").click()  # type: ignore[attr-defined]
    page.get_by_role("alert").wait_for()  # type: ignore[attr-defined]
    assert "Re-authentication failed" in page.get_by_role("alert").inner_text()  # type: ignore[attr-defined]
    assert (w.catalog.plan(plan_id) or {})["status"] == "planned"
    page.get_by_label("Your password").fill(password_of("rob"))  # type: ignore[attr-defined]
    page.get_by_label("Authenticator code").fill(w.code("rob"))  # type: ignore[attr-defined]
    screenshot(page, "plan_before_approval")
    page.get_by_role("button", name="Approve and carry out").click()  # type: ignore[attr-defined]
    page.get_by_text("Plan approved and carried out").wait_for()  # type: ignore[attr-defined]
    plan = w.catalog.plan(plan_id)
    assert plan is not None and plan["status"] == "done" and plan["approved_by"] == "rob"
    assert (w.catalog.get(doc) or {})["status"] == "destroyed"
    screenshot(page, "plan_after_approval")
    with page.expect_download() as got:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Download (PDF)").click()  # type: ignore[attr-defined]
    path = got.value.path()
    assert open(path, "rb").read(5) == b"%PDF-"


def test_place_and_release_a_hold(site: tuple[World, str], page: object) -> None:
    w, url = site
    doc = file_doc(w, 14, retain_until=date(2090, 1, 1), mrn="MRN5514")
    w.person("lee", Role.LEGAL)
    sign_in(page, url, w, "lee")
    go(page, "Holds")
    page.get_by_label("Every record of a patient (also those filed later)").check()  # type: ignore[attr-defined]
    page.get_by_label("Patient MRN").fill("mrn 5514")  # type: ignore[attr-defined]
    page.get_by_label("Case", exact=True).fill("Doe v. Hospital")  # type: ignore[attr-defined]
    page.get_by_label("Reason", exact=True).fill("litigation")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Place hold").click()  # type: ignore[attr-defined]
    page.get_by_text("Hold placed").wait_for()  # type: ignore[attr-defined]
    assert (w.catalog.get(doc) or {})["legal_hold"]
    row = page.get_by_role("row").filter(has_text="Doe v. Hospital")  # type: ignore[attr-defined]
    assert "patient MRN MRN5514 at Main Facility" in row.inner_text()
    screenshot(page, "holds_placed")
    row.get_by_role("button", name="Release").click()
    page.get_by_text("Hold released.").wait_for()  # type: ignore[attr-defined]
    assert not (w.catalog.get(doc) or {})["legal_hold"]


@pytest.mark.parametrize(("who", "role", "path"), [
    ("sid", Role.SCANNER, "/review"), ("lou", Role.LEGAL, "/plans"),
    ("amy", Role.AUDITOR, "/quarantine")])
def test_a_role_is_refused_a_page_it_may_not_see(site: tuple[World, str], page: object,
                                                who: str, role: Role, path: str) -> None:
    w, url = site
    w.person(who, role)
    sign_in(page, url, w, who)
    nav = page.get_by_role("navigation", name="Main")  # type: ignore[attr-defined]
    assert nav.get_by_role("link", name={"/review": "Review queue", "/plans": "Disposition plans",
                                         "/quarantine": "Quarantine"}[path]).count() == 0
    response = page.goto(url + path)  # type: ignore[attr-defined]
    assert response is not None and response.status == 403
    assert page.get_by_role("alert").inner_text() == "not permitted"  # type: ignore[attr-defined]
    ev = w.last_event()
    assert (ev["actor"], ev["outcome"]) == (who, "refused")
    screenshot(page, f"refused_{role.value}_{path.strip('/')}")


def test_purge_with_the_keyboard_only(site: tuple[World, str], page: object) -> None:
    w, url = site
    qid = quarantine_file(w, "Blank cover sheet.pdf")
    w.person("kai", Role.ARCHIVIST)
    sign_in(page, url, w, "kai")
    page.goto(url + "/quarantine")  # type: ignore[attr-defined]
    target = f"why-{qid}"
    for _ in range(80):  # Tab through the page until the entry's purge reason has focus
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate("document.activeElement.id") == target:  # type: ignore[attr-defined]
            break
    else:
        pytest.fail("the purge reason cannot be reached with Tab")
    page.keyboard.press("ArrowDown")  # type: ignore[attr-defined]
    chosen = page.locator(f"#{target}").input_value()  # type: ignore[attr-defined]
    assert chosen == "duplicate_of_archived"
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.type("blank page, not a record")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.textContent") == "Purge"  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.get_by_role("status").wait_for()  # type: ignore[attr-defined]
    assert "Purged" in page.get_by_role("status").inner_text()  # type: ignore[attr-defined]
    ev = [e for e in w.events() if e["action"] == "quarantine_purge"][-1]
    assert (ev["actor"], ev["detail"]["quarantine_id"], ev["detail"]["purge_reason"]) == (
        "kai", qid, "duplicate_of_archived")
    screenshot(page, "quarantine_purged_by_keyboard")
