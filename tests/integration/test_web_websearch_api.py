"""The auditors' and administrators' API routes over a real HTTP server: tolerant search,
the searchable-PDF download, the audit trail (by patient, user, period; CSV) and the
dashboard, each allowed for its role, refused (audited) for the others."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from chartvault.auth.roles import Role
from tests.support.web import free_port, serving
from tests.support.world import World, build_world, file_doc


@dataclass
class Api:
    world: World
    url: str
    docs: list[str]
    bearers: dict[str, str]

    def call(self, path: str, who: str | None, **params: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.bearers[who]}"} if who else {}
        return httpx.get(self.url + path, headers=headers, params=params,  # type: ignore[arg-type]
                         timeout=30)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    w = build_world(tmp_path_factory.mktemp("wsapi"))
    docs = [file_doc(w, n, retain_until=date(2090, 1, 1)) for n in (1, 2, 3)]
    bearers = {r.value: w.person(r.value + "1", r) for r in Role if r is not Role.ADMIN}
    bearers["admin"] = w.admin
    bearers["auditor2"] = w.person("auditor2", Role.AUDITOR)
    with serving(w) as url:
        yield Api(w, url, docs, bearers)


def test_search_finds_a_misspelt_name_and_pages(api: Api) -> None:
    r = api.call("/api/v1/documents", "auditor", name="Testpersen, Ann2")
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["documents"][0]["doc_id"] == api.docs[1] and got["warnings"] == []
    assert 80 <= got["documents"][0]["name_score"] < 100
    first = api.call("/api/v1/documents", "auditor", name="Testperson", limit=2).json()
    second = api.call("/api/v1/documents", "auditor", name="Testperson", limit=2,
                      offset=2).json()
    assert first["has_more"] and not second["has_more"]
    seen = [d["doc_id"] for d in first["documents"] + second["documents"]]
    assert sorted(seen) == sorted(api.docs)
    ev = api.world.last_event()
    assert ev["action"] == "search" and ev["detail"]["criteria"] == ["name"]
    assert "Testperson" not in str(ev)  # criteria named, never their values


@pytest.mark.parametrize("dob", ["01/02/1970", "02.01.1970", "1970-01-02", "Jan 2 1970",
                                 "2 January 1970"])
def test_dob_in_common_formats(api: Api, dob: str) -> None:
    r = api.call("/api/v1/documents", "auditor", dob=dob)
    assert [d["doc_id"] for d in r.json()["documents"]] == [api.docs[1]], dob


def test_unreadable_dob_is_a_400_that_does_not_repeat_it(api: Api) -> None:
    r = api.call("/api/v1/documents", "auditor", dob="the thirtieth")
    assert r.status_code == 400 and "the thirtieth" not in r.text
    assert "04/30/1964" in r.json()["message"]


def test_misspelt_type_warns_with_a_suggestion(api: Api) -> None:
    r = api.call("/api/v1/documents", "auditor", type="progres note")
    body = r.json()
    assert r.status_code == 200 and body["documents"] == []
    assert "'progress_note'" in body["warnings"][0]
    by_label = api.call("/api/v1/documents", "auditor", type="Progress note").json()
    assert len(by_label["documents"]) == 3 and by_label["warnings"] == []


def test_text_search_returns_marked_snippets(api: Api) -> None:
    r = api.call("/api/v1/documents", "auditor", text="follow-up", mrn="MRN1003")
    (hit,) = r.json()["documents"]
    assert "Testperson \x02follow-up\x03 visit" in hit["snippet"]


def test_searchable_pdf_download_with_purpose(api: Api) -> None:
    path = f"/api/v1/documents/{api.docs[0]}/rendition"
    assert api.call(path, "auditor").status_code == 422  # no purpose
    got = api.call(path, "auditor", purpose="legal")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert hashlib.sha256(got.content).hexdigest() == got.headers["x-checksum-sha256"]
    ev = api.world.last_event()
    assert (ev["actor"], ev["action"], ev["detail"]["purpose"], ev["detail"]["via"]) == (
        "auditor1", "rendition", "legal", "download")
    assert api.call(path, "legal", purpose="legal").status_code == 403
    assert api.world.last_event()["outcome"] == "refused"
    assert api.call(path, None, purpose="legal").status_code == 401


def test_page_preview_records_its_purpose(api: Api) -> None:
    r = api.call(f"/api/v1/documents/{api.docs[0]}/pages/1", "auditor", purpose="treatment")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    ev = api.world.last_event()
    assert ev["action"] == "view_page" and ev["detail"]["purpose"] == "treatment"


def test_trail_by_patient_shows_who_opened_the_chart(api: Api) -> None:
    doc = api.docs[2]
    assert api.call(f"/api/v1/documents/{doc}", "auditor2", purpose="payment").status_code == 200
    r = api.call("/api/v1/audit/trail", "auditor", mrn="mrn-1003")
    body = r.json()
    assert r.status_code == 200 and body["patient_documents"] == 1
    first = body["events"][0]
    assert (first["actor"], first["action"], first["doc_ids"]) == (
        "auditor2", "view_manifest", [doc])
    assert first["detail"]["purpose"] == "payment"
    assert all(doc in e["doc_ids"] for e in body["events"])
    assert any(e["actor"] == "svc:ingest" for e in body["events"])  # its filing too
    assert api.call("/api/v1/audit/trail", "auditor", mrn="NOSUCH").json()["events"] == []


def test_trail_by_user_and_by_period(api: Api) -> None:
    mine = api.call("/api/v1/audit/trail", "auditor", user="auditor2").json()["events"]
    assert mine and {e["actor"] for e in mine} == {"auditor2"}
    today = date.today().isoformat()
    todays = api.call("/api/v1/audit/trail", "auditor", since=today, until=today, limit=5)
    assert todays.status_code == 200 and todays.json()["has_more"]
    past = api.call("/api/v1/audit/trail", "auditor", **{"from": "01/01/2000",
                                                        "to": "Dec 31 2000"})
    assert past.json()["events"] == []


def test_trail_csv_is_an_audited_export(api: Api) -> None:
    r = api.call("/api/v1/audit/trail.csv", "auditor", user="auditor2")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["actor"] for row in rows} == {"auditor2"}
    ev = api.world.last_event()
    assert (ev["action"], ev["detail"]["what"], ev["detail"]["events"]) == (
        "export", "audit_trail", len(rows))


@pytest.mark.parametrize("path", ["/api/v1/audit/trail", "/api/v1/audit/trail.csv"])
@pytest.mark.parametrize("who", ["archivist", "legal", "admin", "records_manager"])
def test_trail_is_refused_to_other_roles(api: Api, path: str, who: str) -> None:
    r = api.call(path, who, user="auditor2")
    assert r.status_code == 403
    ev = api.world.last_event()
    assert ev["outcome"] == "refused" and ev["action"] == "audit_read"
    assert api.call(path, None).status_code == 401


def test_dashboard_for_admin_only(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")  # closed
    started = time.monotonic()
    r = api.call("/api/v1/dashboard", "admin", days=7)
    assert r.status_code == 200 and time.monotonic() - started < 5
    body = r.json()
    assert len(body["per_day"]) == 7 and body["per_day"][-1]["documents"] == 3
    assert body["per_day"][-1]["pages"] == 3 and body["prefect_reachable"] is False
    assert body["review_backlog"] == 0 and body["quarantined"] == 0
    for who in ("auditor", "archivist", "records_manager"):
        assert api.call("/api/v1/dashboard", who).status_code == 403
        assert api.world.last_event()["action"] == "schedule_admin"


def test_prefect_ui_needs_an_admin_and_a_running_serve(api: Api) -> None:
    def ui(who: str | None) -> httpx.Response:
        cookies = {"cv_session": api.bearers[who]} if who else {}
        return httpx.get(api.url + "/prefect/", cookies=cookies, timeout=30)

    anonymous = ui(None)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert ui("auditor").status_code == 403
    assert api.world.last_event()["action"] == "schedule_admin"
    outside = ui("admin")  # this app was not started by ``chartvault serve``
    assert outside.status_code == 404 and "chartvault serve" in outside.text


def test_page_download_needs_the_form_token_and_a_purpose(api: Api) -> None:
    cookies = {"cv_session": api.bearers["auditor"]}
    path = f"{api.url}/documents/{api.docs[0]}/download"
    forged = httpx.post(path, cookies=cookies, data={"purpose": "audit"}, timeout=30)
    assert forged.status_code == 403
    assert api.world.last_event()["action"] == "web_form"
    from chartvault.web import security

    token = security.csrf_token(security.load_key(api.world.settings.data_dir),
                                api.bearers["auditor"])
    no_purpose = httpx.post(path, cookies=cookies, data={"csrf": token}, timeout=30)
    assert no_purpose.status_code == 400
    ev = api.world.last_event()
    assert (ev["action"], ev["outcome"], ev["detail"]["why"]) == ("retrieve", "refused",
                                                                  "no_purpose")
    ok = httpx.post(path, cookies=cookies, data={"csrf": token, "purpose": "operations"},
                    timeout=30)
    row = api.world.catalog.get(api.docs[0])
    assert ok.status_code == 200 and row is not None
    assert hashlib.sha256(ok.content).hexdigest() == row["sha256"]
