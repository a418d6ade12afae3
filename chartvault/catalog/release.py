"""Queries of release of information: requests, disclosures, scope and FHIR look-ups.

The one place with SQL for ``chartvault.release`` and ``chartvault.service.release``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from chartvault.catalog.schema import (
    audit_events,
    disclosures,
    document_sha1,
    documents,
    fhir_patients,
    release_requests,
)

OPEN = ("received", "in_review")

# The date a record is "of": when the care happened, else when it was written.
SERVED = func.coalesce(documents.c.service_date, documents.c.document_date)


def _upsert_nothing(conn: Connection, table: Any, values: Mapping[str, Any],
                    key: str) -> None:
    ins = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    conn.execute(ins(table).values(dict(values)).on_conflict_do_nothing(index_elements=[key]))


# --- requests -----------------------------------------------------------------------------


def add_request(conn: Connection, values: Mapping[str, Any]) -> None:
    """Insert a new release request."""
    conn.execute(insert(release_requests).values(dict(values)))


def request(conn: Connection, request_id: str, lock: bool = False) -> RowMapping | None:
    """One release request (locked for update when asked, PostgreSQL)."""
    q = select(release_requests).where(release_requests.c.request_id == request_id)
    if lock:
        q = q.with_for_update()
    return conn.execute(q).mappings().first()


def set_request(conn: Connection, request_id: str, expect: Sequence[str],
                values: Mapping[str, Any]) -> bool:
    """Update a request if its status is one of ``expect``; whether it was."""
    res = conn.execute(update(release_requests).where(
        release_requests.c.request_id == request_id,
        release_requests.c.status.in_(list(expect))).values(dict(values)))
    return bool(res.rowcount)


def requests(conn: Connection, statuses: Sequence[str] | None,
             limit: int) -> Sequence[RowMapping]:
    """Requests, open ones first and those due soonest first among them."""
    closed_last = case((release_requests.c.status.in_(OPEN), 0), else_=1)
    q = (select(release_requests)
         .order_by(closed_last, release_requests.c.due_date, release_requests.c.created_at)
         .limit(limit))
    if statuses:
        q = q.where(release_requests.c.status.in_(list(statuses)))
    return conn.execute(q).mappings().all()


# --- documents of a scope ---------------------------------------------------------------


def scope_documents(conn: Connection, facility: str, mrn: str, date_from: date | None,
                    date_to: date | None, doc_types: Sequence[str]) -> Sequence[RowMapping]:
    """Archived documents of a patient inside a date range and types, oldest first."""
    conds = [documents.c.facility == facility, documents.c.mrn == mrn,
             documents.c.status == "archived"]
    if date_from:
        conds.append(SERVED >= date_from)
    if date_to:
        conds.append(SERVED <= date_to)
    if doc_types:
        conds.append(documents.c.doc_type.in_(list(doc_types)))
    q = select(documents).where(and_(*conds)).order_by(SERVED, documents.c.doc_id)
    return conn.execute(q).mappings().all()


def documents_by_id(conn: Connection, doc_ids: Sequence[str]) -> Sequence[RowMapping]:
    """Rows of the given documents (any status)."""
    return conn.execute(select(documents).where(
        documents.c.doc_id.in_(list(doc_ids)))).mappings().all()


def patient_doc_ids(conn: Connection, facility: str, mrn: str) -> list[str]:
    """Ids of every document ever catalogued for a patient (destroyed ones too)."""
    q = select(documents.c.doc_id).where(documents.c.facility == facility,
                                         documents.c.mrn == mrn)
    return [r[0] for r in conn.execute(q)]


# --- disclosures ---------------------------------------------------------------------------


def add_disclosure(conn: Connection, values: Mapping[str, Any]) -> None:
    """Record what left the archive."""
    conn.execute(insert(disclosures).values(dict(values)))


def disclosures_of(conn: Connection, facility: str, mrn: str,
                   since: datetime) -> Sequence[RowMapping]:
    """A patient's disclosures since ``since``, oldest first."""
    q = (select(disclosures)
         .where(disclosures.c.facility == facility, disclosures.c.mrn == mrn,
                disclosures.c.disclosed_at >= since)
         .order_by(disclosures.c.disclosed_at, disclosures.c.disclosure_id))
    return conn.execute(q).mappings().all()


def disclosures_of_request(conn: Connection, request_id: str) -> Sequence[RowMapping]:
    """Disclosures made under one request."""
    q = select(disclosures).where(disclosures.c.request_id == request_id)
    return conn.execute(q).mappings().all()


def access_events(conn: Connection, actions: Iterable[str],
                  doc_ids: Iterable[str]) -> list[RowMapping]:
    """Audit events of ``actions`` naming any of ``doc_ids``, in order."""
    wanted = set(doc_ids)
    if not wanted:
        return []
    q = (select(audit_events).where(audit_events.c.action.in_(list(actions)))
         .order_by(audit_events.c.seq))
    return [r for r in conn.execute(q).mappings() if wanted.intersection(r["doc_ids"] or [])]


# --- FHIR ------------------------------------------------------------------------------


def remember_patient(conn: Connection, patient_id: str, facility: str, mrn: str) -> None:
    """Keep the opaque id of a (facility, MRN) (idempotent)."""
    _upsert_nothing(conn, fhir_patients,
                    {"patient_id": patient_id, "facility": facility, "mrn": mrn}, "patient_id")


def patient_of_id(conn: Connection, patient_id: str) -> tuple[str, str] | None:
    """(facility, MRN) behind an opaque FHIR patient id."""
    row = conn.execute(select(fhir_patients.c.facility, fhir_patients.c.mrn).where(
        fhir_patients.c.patient_id == patient_id)).first()
    return (str(row[0]), str(row[1])) if row else None


def patients_with_mrn(conn: Connection, mrn: str,
                      facility: str | None) -> Sequence[RowMapping]:
    """Per (facility, MRN): the newest archived document's identity fields."""
    conds = [documents.c.mrn == mrn, documents.c.status != "destroyed"]
    if facility is not None:
        conds.append(documents.c.facility == facility)
    q = (select(documents.c.facility, documents.c.mrn, documents.c.patient_family,
                documents.c.patient_given, documents.c.birth_date, documents.c.sex,
                documents.c.ingested_at)
         .where(and_(*conds)).order_by(documents.c.facility, documents.c.ingested_at.desc()))
    seen: dict[str, RowMapping] = {}
    for r in conn.execute(q).mappings():
        seen.setdefault(r["facility"], r)
    return list(seen.values())


def fhir_documents(conn: Connection, facility: str | None, mrn: str | None,
                   loincs: Sequence[str], doc_types: Sequence[str],
                   dates: Sequence[tuple[str, date]], limit: int) -> Sequence[RowMapping]:
    """Archived documents for a DocumentReference search, newest first, with SHA-1s."""
    conds = [documents.c.status == "archived"]
    if mrn is not None:
        conds.append(documents.c.mrn == mrn)
    if facility is not None:
        conds.append(documents.c.facility == facility)
    if loincs or doc_types:
        conds.append(documents.c.loinc.in_(list(loincs))
                     | documents.c.doc_type.in_(list(doc_types)))
    ops = {"eq": SERVED.__eq__, "ge": SERVED.__ge__, "le": SERVED.__le__,
           "gt": SERVED.__gt__, "lt": SERVED.__lt__}
    for op, when in dates:
        conds.append(ops[op](when))
    q = (select(documents, document_sha1.c.sha1)
         .select_from(documents.outerjoin(document_sha1,
                                          document_sha1.c.doc_id == documents.c.doc_id))
         .where(and_(*conds)).order_by(SERVED.desc(), documents.c.doc_id).limit(limit))
    return conn.execute(q).mappings().all()


def remember_sha1s(conn: Connection, digests: Mapping[str, str]) -> None:
    """Cache originals' SHA-1s, doc id -> hex (idempotent)."""
    if not digests:
        return
    ins = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    conn.execute(ins(document_sha1).on_conflict_do_nothing(index_elements=["doc_id"]),
                 [{"doc_id": d, "sha1": h} for d, h in digests.items()])
