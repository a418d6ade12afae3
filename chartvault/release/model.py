"""What a release request is: requester, authorisation, purpose, scope, due date, status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import RowMapping

from chartvault.errors import UserError


class RequesterKind(StrEnum):
    """Who asks (HIPAA treats the patient's own request, 164.524, apart from others)."""

    PATIENT = "patient"
    PROVIDER = "provider"
    PAYER = "payer"
    ATTORNEY = "attorney"
    COURT = "court"


class Status(StrEnum):
    """Where a request stands; fulfilled and denied are final."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    FULFILLED = "fulfilled"
    DENIED = "denied"


class ReleaseError(UserError):
    """A release request cannot be carried out as asked (ids only in the message)."""

    code = "release_error"


class OutOfScope(ReleaseError):
    """A document asked for lies outside the request's scope: it is never released."""

    code = "out_of_scope"


@dataclass(frozen=True)
class Scope:
    """What a request covers: one patient, optionally a date range and document types."""

    facility: str
    mrn: str
    date_from: date | None = None
    date_to: date | None = None
    doc_types: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for cover sheets: dates and types (the patient is printed apart)."""
        span = f"{self.date_from or 'any date'} to {self.date_to or 'any date'}"
        types = ", ".join(self.doc_types) if self.doc_types else "all document types"
        return f"{span}; {types}"


@dataclass(frozen=True)
class Request:
    """A release request as catalogued."""

    request_id: str
    requester_kind: RequesterKind
    requester_name: str
    authorization_doc_id: str | None
    purpose: str
    scope: Scope
    due_date: date
    status: Status
    status_reason: str | None
    created_by: str

    @classmethod
    def of(cls, row: RowMapping | dict[str, Any]) -> Request:
        """The request of a ``release_requests`` row."""
        return cls(
            request_id=row["request_id"], requester_kind=RequesterKind(row["requester_kind"]),
            requester_name=row["requester_name"],
            authorization_doc_id=row["authorization_doc_id"], purpose=row["purpose"],
            scope=Scope(row["facility"], row["mrn"], row["date_from"], row["date_to"],
                        tuple(row["doc_types"] or ())),
            due_date=row["due_date"], status=Status(row["status"]),
            status_reason=row["status_reason"], created_by=row["created_by"])
