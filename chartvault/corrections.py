"""Corrections of a record's type and patient: an event object, the catalog, labelled data.

A person's confirmation or correction is a ``correction`` event object beside the record
(``events.correction``; write-once, locked as long as the record), then one catalog
transaction that applies it exactly as ``catalog rebuild`` replays it
(``rebuild.apply_event``: the row, the MRN normalised, ``name_key`` recomputed,
``needs_review`` cleared) together with its audit event. Then what follows from a new
identity: the patient's active holds cover the record, and retention is recomputed for
the patient's records (extended, never shortened). Last, the confirmed type is appended
to the labelled set that ``chartvault train --labeled`` reads (``labels``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from chartvault import events, labels
from chartvault.catalog import Catalog, normalise_mrn
from chartvault.catalog.rebuild import apply_event
from chartvault.errors import NotFound, UserError
from chartvault.model import Manifest
from chartvault.taxonomy import DOC_TYPE_KEYS, loinc_for
from storage.base import ObjectStore

log = logging.getLogger(__name__)

# what a reviewer may set (catalog column -> kind); dates as ISO strings in the event
FIELDS: dict[str, Literal["text", "date", "sex", "type"]] = {
    "doc_type": "type", "mrn": "text", "patient_family": "text", "patient_given": "text",
    "birth_date": "date", "sex": "sex", "service_date": "date",
}
_IDENTITY = {"mrn", "patient_family", "patient_given", "birth_date"}
_RETENTION = {"doc_type", "birth_date", "service_date", "mrn"}


class CorrectionError(UserError):
    """A correction that cannot be applied as given (unknown type, bad date, no record)."""

    code = "correction_error"


@dataclass(frozen=True)
class Corrected:
    """A correction made: the record, the fields it changed (names only) and its event."""

    doc_id: str
    changed: tuple[str, ...]
    event_key: str
    kind: Literal["confirmed", "corrected"]


def _clean(name: str, value: Any) -> Any:
    """A field value as the event stores it (None clears); refuses what cannot be."""
    kind = FIELDS[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        if kind == "type":
            raise CorrectionError("a document type cannot be empty")
        return None
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    if kind == "type" and text not in DOC_TYPE_KEYS:
        raise CorrectionError("unknown document type: choose one of "
                              + ", ".join(DOC_TYPE_KEYS))  # not echoed: it may be anything
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise CorrectionError(f"{name}: not a date (YYYY-MM-DD)") from None
    if kind == "sex":
        if text.upper() not in ("F", "M", "U"):
            raise CorrectionError("sex: F, M or U")
        return text.upper()
    if name == "mrn":
        return normalise_mrn(text) or None
    return text[:200]


def _current(row: Any, name: str) -> Any:
    value = row[name]
    return value.isoformat() if isinstance(value, date) else value


def changes(row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``wanted`` whose cleaned value differs from the catalog row's."""
    out = {}
    for name, value in wanted.items():
        if name not in FIELDS:
            raise CorrectionError(f"{name} cannot be corrected here")
        clean = _clean(name, value)
        if clean != _current(row, name):
            out[name] = clean
    return out


def _lock(row: Any) -> datetime | None:
    until = row["retain_until"]
    return datetime.combine(until, time(0), tzinfo=UTC) if until else None


def correct(catalog: Catalog, store: ObjectStore, data_dir: Any, doc_id: str, actor: str,
            wanted: dict[str, Any], note: str = "", batch_id: str | None = None) -> Corrected:
    """Confirm (nothing changed) or correct a record; clears its review flag."""
    row = catalog.get(doc_id)
    if row is None:
        raise NotFound(f"document {doc_id} is not in the archive")
    if row["status"] != "archived":
        raise CorrectionError(f"document {doc_id} is {row['status']}; only an archived "
                              "record can be corrected")
    changed = changes(row, wanted)
    fields = dict(changed)
    if "doc_type" in changed:
        fields["loinc"] = loinc_for(changed["doc_type"])
    fields["needs_review"] = False
    kind: Literal["confirmed", "corrected"] = "corrected" if changed else "confirmed"
    event = events.correction(doc_id, actor, fields, kind)
    if note:
        event = event.model_copy(update={"data": {**event.data, "note": note[:500]}})
    store.put(event.key(), event.model_dump_json().encode(), content_type="application/json",
              retain_until=_lock(row))
    with catalog.transaction() as conn:
        apply_event(conn, event)
        detail: dict[str, Any] = {"fields": sorted(changed), "event": event.event_id,
                                  "kind": kind}
        if batch_id:
            detail["batch_id"] = batch_id
        catalog.audit(actor, "correct_metadata", [doc_id], outcome=kind, detail=detail,
                      conn=conn)
    after = catalog.get(doc_id)
    assert after is not None
    _follow_up(catalog, store, after, actor, set(changed))
    labels.record(data_dir, store, Manifest.model_validate_json(
        store.get(after["manifest_key"])), after, kind, actor)
    log.info("document %s %s (%d field(s))", doc_id, kind, len(changed))
    return Corrected(doc_id, tuple(sorted(changed)), event.key(), kind)


def _follow_up(catalog: Catalog, store: ObjectStore, row: Any, actor: str,
               changed: set[str]) -> None:
    """Holds of the (new) patient, and retention recomputed: extended, never shortened."""
    from chartvault.holds import apply_patient_holds
    from chartvault.pipeline.retention import extend_patient_records

    if changed & _IDENTITY:
        apply_patient_holds(catalog, store, row["doc_id"], actor)
    if changed & _RETENTION:
        extend_patient_records(catalog, store, row["facility"], row["mrn"], actor,
                               reason="correction")
