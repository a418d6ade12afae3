"""Release-of-information calls of the CLI's API client (``chartvault.client.ApiClient``).

The same results as the in-process service's ``ReleaseActions``, rebuilt from the JSON
API (``chartvault.web.release``). Fulfilment has no API route: it writes a package on
the server host, so the client refuses it like any call without a route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from chartvault.release.model import Request, RequesterKind, Scope, Status


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def request_of(d: dict[str, Any]) -> Request:
    """A ``Request`` from its JSON form."""
    s = d["scope"]
    return Request(
        request_id=d["request_id"], requester_kind=RequesterKind(d["requester_kind"]),
        requester_name=d["requester_name"], authorization_doc_id=d["authorization_doc_id"],
        purpose=d["purpose"],
        scope=Scope(s["facility"], s["mrn"], _day(s["date_from"]), _day(s["date_to"]),
                    tuple(s["doc_types"])),
        due_date=date.fromisoformat(d["due_date"]), status=Status(d["status"]),
        status_reason=d["status_reason"], created_by=d["created_by"])


@dataclass(frozen=True)
class RemoteReport:
    """An accounting or access report fetched from the server (CSV; PDF on demand)."""

    csv_text: str
    fetch_pdf: Any  # () -> bytes: a second, separately audited read

    @property
    def subtitle(self) -> str:
        """How many rows the report has (its heading stays on the server)."""
        return f"{max(0, len(self.csv_text.splitlines()) - 1)} row(s)"

    def csv(self) -> str:
        """The report as CSV."""
        return self.csv_text

    def pdf(self) -> bytes:
        """The report as PDF."""
        data: bytes = self.fetch_pdf()
        return data


class ReleaseApi:
    """Mixed into ``ApiClient``: its ``_call`` does the HTTP and maps the errors."""

    def _call(self, method: str, path: str, bearer: str | None = None,
              **kw: Any) -> httpx.Response:
        raise NotImplementedError

    def release_request(self, bearer: str, *, requester_kind: str, requester_name: str,
                        purpose: str, mrn: str, facility: str | None = None,
                        date_from: date | None = None, date_to: date | None = None,
                        doc_types: Sequence[str] = (), authorization_doc_id: str | None = None,
                        due_date: date | None = None) -> Request:
        """Record a release request on the server."""
        body = {"requester_kind": requester_kind, "requester_name": requester_name,
                "purpose": purpose, "mrn": mrn, "facility": facility,
                "date_from": date_from.isoformat() if date_from else None,
                "date_to": date_to.isoformat() if date_to else None,
                "doc_types": list(doc_types), "authorization_doc_id": authorization_doc_id,
                "due_date": due_date.isoformat() if due_date else None}
        return request_of(self._call("POST", "/releases", bearer, json=body).json())

    def release_requests(self, bearer: str, status: str | None = None,
                         limit: int = 200) -> list[Request]:
        """Requests, open first, soonest due first."""
        params: dict[str, Any] = {"limit": limit} | ({"status": status} if status else {})
        got = self._call("GET", "/releases", bearer, params=params).json()
        return [request_of(r) for r in got["requests"]]

    def release_show(self, bearer: str, request_id: str) -> Any:
        """A request with its scope's documents and its disclosures."""
        from chartvault.client import _revive
        from chartvault.service.release import RequestDetail

        got = self._call("GET", f"/releases/{request_id}", bearer).json()
        return RequestDetail(request_of(got["request"]), tuple(got["in_scope"]),
                             tuple(_revive(got["disclosures"])))

    def release_review(self, bearer: str, request_id: str) -> Request:
        """Take a request into review."""
        return request_of(self._call("POST", f"/releases/{request_id}/review", bearer).json())

    def release_deny(self, bearer: str, request_id: str, reason: str) -> Request:
        """Deny a request with its reason."""
        return request_of(self._call("POST", f"/releases/{request_id}/deny", bearer,
                                     json={"reason": reason}).json())

    def _report(self, path: str, bearer: str, params: dict[str, Any]) -> RemoteReport:
        clean = {k: v for k, v in params.items() if v is not None}
        text = self._call("GET", path, bearer, params=clean | {"format": "csv"}).text
        return RemoteReport(text, lambda: self._call(
            "GET", path, bearer, params=clean | {"format": "pdf"}).content)

    def disclosure_accounting(self, bearer: str, mrn: str, facility: str | None = None,
                              years: int | None = None) -> RemoteReport:
        """The accounting of a patient's disclosures."""
        return self._report("/accounting", bearer,
                            {"mrn": mrn, "facility": facility, "years": years})

    def access_report(self, bearer: str, mrn: str, facility: str | None = None) -> RemoteReport:
        """Every audited read of a patient's documents."""
        return self._report("/access-report", bearer, {"mrn": mrn, "facility": facility})
