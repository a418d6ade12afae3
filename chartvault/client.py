"""The CLI's way to a running ``chartvault serve``: the service's calls over its JSON API.

With ``web.api_url`` set (``CHARTVAULT_WEB__API_URL``), people's commands talk to the
server instead of opening the archive themselves; the server's service checks, acts and
audits exactly as for the web pages. Only the calls below cross the wire: a command
without an API route says so rather than opening a local archive behind the server's back.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from chartvault.access import NotFound, Retrieved
from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.principal import Principal
from chartvault.auth.roles import Role
from chartvault.auth.signin import PasswordChangeRequired, SignedIn
from chartvault.catalog import SearchCriteria, SearchHit
from chartvault.catalog.audit import ChainReport
from chartvault.client_release import ReleaseApi
from chartvault.errors import ChartvaultError, IntegrityError, UserError
from chartvault.holds import HoldResult

# httpx logs every URL at INFO, query strings (names, MRNs) included
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _revive(value: Any) -> Any:
    """ISO strings back to dates and datetimes, as the in-process service returns them."""
    if isinstance(value, str):
        if _DATETIME.match(value):
            return datetime.fromisoformat(value)
        if _DATE.match(value):
            return date.fromisoformat(value)
    if isinstance(value, dict):
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


class ApiClient(ReleaseApi):
    """The subset of ``chartvault.service.Service`` that people's CLI commands use."""

    def __init__(self, base_url: str, timeout_s: float = 120.0) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()

    def not_remote(self, command: str) -> ChartvaultError:
        """The error of a command that has no API route yet."""
        return UserError(f"{command} is not available over the API yet: run it on the "
                         "server host without CHARTVAULT_WEB__API_URL")

    def _call(self, method: str, path: str, bearer: str | None = None,
              **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        try:
            r = self.http.request(method, self.base + path, headers=headers, **kw)
        except httpx.HTTPError as err:
            raise ChartvaultError(f"the chartvault API at {self.base} is not reachable "
                                  f"({type(err).__name__})", code="api_unreachable") from None
        if r.status_code < 400:
            return r
        try:
            body = r.json()
        except ValueError:
            body = {}
        message, code = str(body.get("message", r.reason_phrase)), str(body.get("error", ""))
        if r.status_code == 401:
            raise PasswordChangeRequired("a new password is required") \
                if code == "password_change_required" else Unauthenticated()
        if r.status_code == 403:
            raise Forbidden()
        if r.status_code == 404:
            raise NotFound(message)
        if r.status_code in (400, 422):
            raise UserError(message if r.status_code == 400 else "the request was refused as "
                            "invalid by the API", code=code or "user_error")
        raise ChartvaultError(f"the API failed ({r.status_code})", code="api_error")

    # --- sessions ----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, code: str | None = None, *,
                new_password: str | None = None) -> SignedIn:
        """Open a session on the server."""
        got = self._call("POST", "/session", json={
            "username": username, "password": password, "code": code,
            "new_password": new_password}).json()
        return SignedIn(got["bearer"], Principal("", got["username"],
                                                 frozenset(Role(r) for r in got["roles"]),
                                                 "session", None, bool(got["mfa"])))

    def sign_out(self, bearer: str) -> None:
        """End the session on the server."""
        self._call("DELETE", "/session", bearer)

    def whoami(self, bearer: str) -> Principal:
        """Whose bearer this is, as the server sees it."""
        got = self._call("GET", "/whoami", bearer).json()
        return Principal("", got["username"], frozenset(Role(r) for r in got["roles"]),
                         got["via"], got["token_id"], bool(got["mfa"]))

    # --- records -----------------------------------------------------------------------

    def _search(self, bearer: str, criteria: SearchCriteria) -> dict[str, Any]:
        params: dict[str, Any] = {"mrn": criteria.mrn, "facility": criteria.facility,
                                  "name": criteria.name, "dob": criteria.dob,
                                  "type": criteria.doc_type, "from": criteria.date_from,
                                  "to": criteria.date_to, "text": criteria.text,
                                  "limit": criteria.limit,
                                  "offset": getattr(criteria, "offset", 0) or None}
        clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()
                 if v is not None}
        got: dict[str, Any] = self._call("GET", "/documents", bearer, params=clean).json()
        return got

    @staticmethod
    def _hits(got: dict[str, Any]) -> list[SearchHit]:
        return [SearchHit(_revive({k: v for k, v in d.items() if k != "rank"}), d.get("rank"))
                for d in got["documents"]]

    def search(self, bearer: str, criteria: SearchCriteria) -> list[SearchHit]:
        """Search on the server."""
        return self._hits(self._search(bearer, criteria))

    def search_page(self, bearer: str, criteria: SearchCriteria) -> Any:
        """A page of search on the server, with its warnings."""
        from chartvault.service.records import SearchPage

        got = self._search(bearer, criteria)
        return SearchPage(self._hits(got), bool(got.get("has_more")),
                          tuple(got.get("warnings", ())), criteria)

    def show(self, bearer: str, doc_id: str, purpose: str | None = None) -> bytes:
        """A document's manifest."""
        params = {"purpose": purpose} if purpose else {}
        return self._call("GET", f"/documents/{doc_id}", bearer, params=params).content

    def retrieve(self, bearer: str, doc_id: str, out: Path,
                 purpose: str | None = None) -> Retrieved:
        """Download the original, verified against the SHA-256 the server catalogued."""
        if not purpose:
            raise UserError("a download over the API needs --purpose")
        r = self._call("GET", f"/documents/{doc_id}/original", bearer,
                       params={"purpose": purpose})
        got = hashlib.sha256(r.content).hexdigest()
        if got != r.headers.get("x-checksum-sha256"):
            raise IntegrityError(f"document {doc_id}: the download does not match its SHA-256")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        tmp.write_bytes(r.content)
        tmp.replace(out)
        return Retrieved(doc_id, out, got, len(r.content))

    def explain(self, bearer: str, doc_id: str) -> list[str]:
        """Which retention rule applied to a document."""
        return list(self._call("GET", f"/documents/{doc_id}/retention", bearer).json()["lines"])

    # --- holds, quarantine, plans, audit -------------------------------------------------

    def holds(self, bearer: str, active_only: bool = True) -> list[dict[str, Any]]:
        """Legal holds."""
        got = self._call("GET", "/holds", bearer, params={"active_only": active_only}).json()
        return list(_revive(got["holds"]))

    def hold_add(self, bearer: str, *, case_name: str, reason: str, doc_id: str | None = None,
                 mrn: str | None = None, facility: str | None = None) -> HoldResult:
        """Place a hold."""
        got = self._call("POST", "/holds", bearer, json={
            "case_name": case_name, "reason": reason, "doc_id": doc_id, "mrn": mrn,
            "facility": facility}).json()
        return HoldResult(got["hold_id"], tuple(got["doc_ids"]))

    def hold_release(self, bearer: str, hold_id: str) -> Any:
        """Release (or ask to release) a hold."""
        from chartvault.service.legal import ReleaseOutcome

        got = self._call("POST", f"/holds/{hold_id}/release", bearer).json()
        return ReleaseOutcome(got["hold_id"], bool(got["released"]), tuple(got["doc_ids"]))

    def quarantine_list(self, bearer: str, scope: str = "auto") -> list[dict[str, Any]]:
        """Quarantined inputs the caller may see."""
        got = self._call("GET", "/quarantine", bearer, params={"scope": scope}).json()
        return list(_revive(got["entries"]))

    def plans(self, bearer: str, limit: int = 50) -> list[dict[str, Any]]:
        """Disposition plans."""
        got = self._call("GET", "/plans", bearer, params={"limit": min(limit, 500)}).json()
        return list(_revive(got["plans"]))

    def sweep(self, bearer: str, as_of: date | None = None) -> str:
        """Plan dispositions on the server."""
        body = {"as_of": as_of.isoformat() if as_of else None}
        return str(self._call("POST", "/retention/sweep", bearer, json=body).json()["plan_id"])

    def reject_plan(self, bearer: str, plan_id: str) -> None:
        """Turn a plan down."""
        self._call("POST", f"/plans/{plan_id}/reject", bearer)

    def cancel_plan(self, bearer: str, plan_id: str) -> None:
        """Withdraw a plan."""
        self._call("POST", f"/plans/{plan_id}/cancel", bearer)

    # --- quarantine handling and the review queue ---------------------------------------

    def quarantine_release(self, bearer: str, quarantine_id: str, note: str = "") -> str:
        """Put a quarantined file back in its intake folder; the intake's name."""
        got = self._call("POST", f"/quarantine/{quarantine_id}/release", bearer,
                         json={"note": note}).json()
        return str(got["intake"])

    def quarantine_purge(self, bearer: str, quarantine_id: str, reason: str,
                         note: str = "") -> None:
        """Delete a quarantined copy, with a reason."""
        self._call("POST", f"/quarantine/{quarantine_id}/purge", bearer,
                   json={"reason": reason, "note": note})

    def review_list(self, bearer: str, batch_id: str | None = None, offset: int = 0,
                    limit: int = 50) -> Any:
        """A page of the review queue."""
        from chartvault.catalog.worklists import Page
        from chartvault.service.review import ReviewList

        params: dict[str, Any] = {"offset": offset, "limit": min(max(limit, 1), 200)}
        if batch_id:
            params["batch"] = batch_id
        got = _revive(self._call("GET", "/review/queue", bearer, params=params).json())
        return ReviewList(Page(got["documents"], got["total"], got["offset"], got["limit"]),
                          got["batches"])

    def review_item(self, bearer: str, doc_id: str) -> Any:
        """A flagged record with its fields, candidates and registry matches."""
        from chartvault.service.review import RegistryMatch, ReviewItem

        got = _revive(self._call("GET", f"/review/{doc_id}", bearer).json())
        return ReviewItem(got["doc_id"], got["row"], tuple(got["reasons"]),
                          tuple((t, s) for t, s in got["candidates"]), got["classifier"],
                          got["confidence"], tuple(got["flags"]), got["registry"],
                          [RegistryMatch(**m) for m in got["matches"]])

    def correct(self, bearer: str, doc_id: str, fields: dict[str, Any],
                note: str = "") -> Any:
        """Correct a record's type and patient."""
        from chartvault.corrections import Corrected

        body = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}
        got = self._call("POST", f"/review/{doc_id}/correct", bearer,
                         json={**body, "note": note}).json()
        return Corrected(got["doc_id"], tuple(got["changed"]), got["event_key"], got["kind"])

    def confirm(self, bearer: str, doc_id: str) -> Any:
        """Confirm a record as read."""
        from chartvault.corrections import Corrected

        got = self._call("POST", f"/review/{doc_id}/confirm", bearer).json()
        return Corrected(got["doc_id"], tuple(got["changed"]), got["event_key"], got["kind"])

    def confirm_batch(self, bearer: str, batch_id: str) -> list[str]:
        """Confirm every waiting record of a batch; their ids."""
        got = self._call("POST", f"/review/batches/{batch_id}/confirm", bearer).json()
        return list(got["confirmed"])

    def audit_verify(self, bearer: str) -> ChainReport:
        """Re-walk the audit chain on the server."""
        got = self._call("POST", "/audit/verify", bearer).json()
        return ChainReport(**got)

    def __getattr__(self, name: str) -> Any:
        """A service call with no API route: refuse clearly (never act locally)."""
        from chartvault.service import Service

        if name.startswith("_") or not hasattr(Service, name):
            raise AttributeError(name)

        def refuse(*_: Any, **__: Any) -> Any:
            raise self.not_remote(name.replace("_", " "))

        return refuse
