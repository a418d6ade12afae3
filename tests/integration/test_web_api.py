"""The JSON API over a real HTTP server: each endpoint works for the role that may use
it, and is refused (401 or 403, audited, revealing nothing) for everyone else."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from chartvault.auth.roles import Role
from tests.support.web import serving
from tests.support.world import World, build_world, file_doc, password_of


@dataclass
class Api:
    world: World
    url: str
    doc: str
    bearers: dict[str, str]

    def call(self, method: str, path: str, who: str | None = None,
             **kw: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.bearers[who]}"} if who else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=30,
                             **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    w = build_world(tmp_path_factory.mktemp("api"))
    doc = file_doc(w, 1, retain_until=date(2090, 1, 1))
    file_doc(w, 2, retain_until=date(2090, 1, 1), review=True)
    bearers = {r.value: w.person(r.value + "1", r) for r in Role if r is not Role.ADMIN}
    bearers["admin"] = w.admin
    with serving(w) as url:
        yield Api(w, url, doc, bearers)


def test_sign_in_returns_a_bearer_and_whoami_names_it(api: Api) -> None:
    r = httpx.post(api.url + "/api/v1/session", json={
        "username": "auditor1", "password": password_of("auditor1")}, timeout=30)
    assert r.status_code == 200, r.text
    bearer = r.json()["bearer"]
    me = httpx.get(api.url + "/api/v1/whoami", headers={"Authorization": f"Bearer {bearer}"})
    assert me.json()["username"] == "auditor1" and me.json()["roles"] == ["auditor"]
    out = httpx.delete(api.url + "/api/v1/session", headers={"Authorization": f"Bearer {bearer}"})
    assert out.status_code == 204
    again = httpx.get(api.url + "/api/v1/whoami", headers={"Authorization": f"Bearer {bearer}"})
    assert again.status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_401(api: Api) -> None:
    bad = [httpx.post(api.url + "/api/v1/session", json=body, timeout=30) for body in (
        {"username": "auditor1", "password": "wrong password here"},
        {"username": "nobody-at-all", "password": "wrong password here"})]
    assert [r.status_code for r in bad] == [401, 401]
    assert bad[0].json() == bad[1].json()


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer cvt_forged.secret", "Basic abc"])
def test_missing_or_forged_bearer_is_401(api: Api, header: str) -> None:
    r = httpx.get(api.url + "/api/v1/documents", headers={"Authorization": header} if header
                  else {})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert set(r.json()) == {"error", "message"}


def test_search_and_download_verify_against_the_sha256(api: Api) -> None:
    r = api.call("GET", "/api/v1/documents", "auditor", params={"mrn": "MRN1001"})
    assert r.status_code == 200
    assert [d["doc_id"] for d in r.json()["documents"]] == [api.doc]
    got = api.call("GET", f"/api/v1/documents/{api.doc}/original", "auditor",
                   params={"purpose": "audit"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(got.content).hexdigest() == got.headers["x-checksum-sha256"]
    row = api.world.catalog.get(api.doc)
    assert row is not None and got.headers["x-checksum-sha256"] == row["sha256"]
    ev = api.world.last_event()
    assert ev["action"] == "retrieve" and ev["actor"] == "auditor1"
    assert ev["detail"]["purpose"] == "audit"


def test_download_needs_a_known_purpose(api: Api) -> None:
    path = f"/api/v1/documents/{api.doc}/original"
    assert api.call("GET", path, "auditor").status_code == 422
    assert api.call("GET", path, "auditor", params={"purpose": "curiosity"}).status_code == 422


def test_manifest_and_unknown_document(api: Api) -> None:
    ok = api.call("GET", f"/api/v1/documents/{api.doc}", "auditor",
                  params={"purpose": "treatment"})
    assert ok.status_code == 200 and ok.json()["doc_id"] == api.doc
    assert api.world.last_event()["detail"]["purpose"] == "treatment"
    missing = api.call("GET", "/api/v1/documents/" + "0" * 24, "auditor")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


# (method, path, body, role allowed): each route once for a permitted role and, below,
# refused for a role without it
ROUTES: list[tuple[str, str, dict[str, object] | None, str]] = [
    ("GET", "/api/v1/documents", None, "auditor"),
    ("GET", "/api/v1/intake/batches", None, "scanner"),
    ("GET", "/api/v1/quarantine", None, "archivist"),
    ("GET", "/api/v1/review", None, "archivist"),
    ("GET", "/api/v1/holds", None, "legal"),
    ("GET", "/api/v1/plans", None, "records_manager"),
    ("GET", "/api/v1/audit/events", None, "auditor"),
    ("POST", "/api/v1/audit/verify", None, "auditor"),
    ("POST", "/api/v1/fixity", None, "archivist"),
]


@pytest.mark.parametrize(("method", "path", "body", "role"), ROUTES)
def test_route_allows_its_role(api: Api, method: str, path: str,
                               body: dict[str, object] | None, role: str) -> None:
    r = api.call(method, path, role, json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("method", "path", "body", "role"), ROUTES)
@pytest.mark.parametrize("other", ["scanner", "legal", "admin"])
def test_route_refuses_other_roles_and_audits(api: Api, method: str, path: str,
                                              body: dict[str, object] | None, role: str,
                                              other: str) -> None:
    from chartvault.auth.roles import MATRIX, Action

    r = api.call(method, path, other, json=body)
    allowed = r.status_code == 200
    if allowed:  # the matrix grants this role the route too (scanner: batches)
        return
    assert r.status_code == 403, r.text
    assert r.json() == {"error": "forbidden", "message": "not permitted"}
    ev = api.world.last_event()
    assert ev["actor"] == other + ("1" if other != "admin" else "")
    assert ev["outcome"] == "refused"
    assert any(a.value == ev["action"] for a in Action) and not MATRIX[Role(other)] >= {
        Action(ev["action"])}


def test_holds_place_and_release_as_legal_only(api: Api) -> None:
    body = {"case_name": "Case 7", "reason": "litigation", "doc_id": api.doc}
    assert api.call("POST", "/api/v1/holds", "archivist", json=body).status_code == 403
    placed = api.call("POST", "/api/v1/holds", "legal", json=body)
    assert placed.status_code == 201, placed.text
    hold_id = placed.json()["hold_id"]
    assert api.call("POST", f"/api/v1/holds/{hold_id}/release", "admin").status_code == 403
    released = api.call("POST", f"/api/v1/holds/{hold_id}/release", "legal")
    assert released.status_code == 200 and released.json()["released"] is True
    again = api.call("POST", f"/api/v1/holds/{hold_id}/release", "legal")
    assert again.status_code == 400


def test_sweep_in_the_future_is_refused_with_400(api: Api) -> None:
    r = api.call("POST", "/api/v1/retention/sweep", "archivist", json={"as_of": "2200-01-01"})
    assert r.status_code == 400 and "later than today" in r.json()["message"]
    assert api.call("POST", "/api/v1/retention/sweep", "auditor", json={}).status_code == 403


def test_openapi_describes_bearer_auth_and_the_docs_page_lists_routes(api: Api) -> None:
    schema = httpx.get(api.url + "/api/openapi.json").json()
    assert "/api/v1/documents/{doc_id}/original" in schema["paths"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    page = httpx.get(api.url + "/api/docs")
    assert page.status_code == 200 and "/api/v1/holds" in page.text
    assert "cdn" not in page.text.lower()


def test_tokens_are_minted_from_sessions_only(api: Api) -> None:
    made = api.call("POST", "/api/v1/tokens", "auditor", json={"role": "auditor", "days": 1})
    assert made.status_code == 201, made.text
    token = made.json()["bearer"]
    r = httpx.get(api.url + "/api/v1/documents", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    from_token = httpx.post(api.url + "/api/v1/tokens", json={"role": "auditor"},
                            headers={"Authorization": f"Bearer {token}"})
    assert from_token.status_code == 400
    held = api.call("POST", "/api/v1/tokens", "auditor", json={"role": "legal"})
    assert held.status_code == 403
    gone = api.call("DELETE", f"/api/v1/tokens/{made.json()['token_id']}", "auditor")
    assert gone.status_code == 204
    after = httpx.get(api.url + "/api/v1/documents", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401


def test_page_preview_for_auditor_and_for_archivist_only_under_review(api: Api) -> None:
    import io

    from PIL import Image

    r = api.call("GET", f"/api/v1/documents/{api.doc}/pages/1", "auditor")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).width > 500
    assert api.call("GET", f"/api/v1/documents/{api.doc}/pages/2", "auditor").status_code == 404
    assert api.call("GET", f"/api/v1/documents/{api.doc}/pages/1", "archivist"
                    ).status_code == 403  # filed, not under review
    flagged = api.world.doc_ids[1]
    assert api.call("GET", f"/api/v1/documents/{flagged}/pages/1", "archivist"
                    ).status_code == 200
    assert api.call("GET", f"/api/v1/documents/{flagged}/pages/1", "legal").status_code == 403


def test_no_patient_data_in_the_server_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        api.call("GET", "/api/v1/documents", "auditor", params={"name": "Testperson, Ann1",
                                                               "mrn": "MRN1001"})
        api.call("GET", "/api/v1/documents", "legal", params={"mrn": "MRN1001"})
    # the test's own HTTP client (httpx, httpcore) logs its URLs; the server must not
    server = [r.getMessage() for r in caplog.records
              if not r.name.startswith(("httpx", "httpcore"))]
    assert not [m for m in server if "Testperson" in m or "MRN1001" in m]
    access = logging.getLogger("uvicorn.access")
    assert not access.filter(logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                                '127.0.0.1 - "GET /api/v1/documents?mrn=MRN1001"',
                                                None, None))
