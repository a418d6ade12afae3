"""Legal holds: records under any hold are never purged or destroyed.

A hold is set on the catalog (``legal_hold`` column, ``holds`` table), on every object of
the record (S3 legal-hold flag, which Object Lock enforces), as an event object beside
the manifest, and as a hold object ``holds/<hold_id>.json`` (its release as
``holds/<hold_id>.released.json``), so ``catalog rebuild`` restores the holds table too,
patient holds included. The hold object is written before the catalog row (a crash
leaves a hold that storage still remembers: the safe side); the flags on the records'
objects and the release object follow through the outbox (``catalog.custody``), recorded
in the hold's or the release's own transaction and run until done, so a crash half-way
through delays them (the hold stays active in storage meanwhile: the safe side) and
never loses them.
A patient hold (facility, MRN) also covers documents of that patient ingested later
(see ``apply_patient_holds``).
Holds and releases are audit events with their actor.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from chartvault.catalog import Catalog, guarded, legal_holds, normalise_mrn
from chartvault.catalog.custody import add_steps
from chartvault.errors import NotFound, UserError
from chartvault.events import RecordEvent
from chartvault.model import Manifest
from chartvault.pipeline import crash
from storage.base import ObjectStore

log = logging.getLogger(__name__)


class HoldError(UserError):
    """A hold request cannot be carried out as asked (released already, ambiguous MRN)."""

    code = "hold_error"


HOLD_PREFIX = "holds/"


def hold_key(hold_id: str) -> str:
    """Object recording a hold (ids only in the key)."""
    return f"{HOLD_PREFIX}{hold_id}.json"


def release_key(hold_id: str) -> str:
    """Object recording a hold's release."""
    return f"{HOLD_PREFIX}{hold_id}.released.json"


def _put_json(store: ObjectStore, key: str, doc: dict[str, Any]) -> None:
    store.put(key, json.dumps(doc, sort_keys=True, default=str).encode(),
              content_type="application/json")


@dataclass(frozen=True)
class HoldResult:
    """A hold set or released and the documents it touched (ids only)."""

    hold_id: str
    doc_ids: tuple[str, ...]


def _object_keys(store: ObjectStore, doc_id: str, manifest_key: str) -> list[str]:
    if store.head(manifest_key) is None:
        # a destruction stopped half-way through the record's objects: hold what is left
        from chartvault.pipeline.archive import record_prefix

        return [k for k in store.list(record_prefix(doc_id)) if "/events/" not in k]
    manifest = Manifest.model_validate_json(store.get(manifest_key))
    return [ref.key for ref in manifest.objects.values()] + [manifest_key]


def hold_step(hold_id: str, on: bool) -> str:
    """Outbox step that brings a record's flags in line after a hold is set or released."""
    return f"{FLAG_SET if on else FLAG_RELEASED}{hold_id}"


FLAG_SET = "hold_flags:"
FLAG_RELEASED = "release_flags:"
RELEASE_OBJECT = "release_object:"


def sync_flags(catalog: Catalog, store: ObjectStore, doc_id: str, hold_id: str,
               actor: str) -> None:
    """Make a record's flags (every object, an event, the catalog) match its active holds.

    The state is computed, not applied as a delta, so the step is idempotent and steps
    of one record may run in any order or again after a crash.
    """
    row = catalog.get(doc_id)
    if row is None or row["status"] == "destroyed":
        return
    on = bool(legal_holds.active_ids(catalog, doc_id, row["facility"], row["mrn"]))
    for i, key in enumerate(_object_keys(store, doc_id, row["manifest_key"])):
        store.set_legal_hold(key, on)
        if i == 0:
            crash.point("hold-mid-flags")
    event = RecordEvent(doc_id=doc_id, kind="hold_set" if on else "hold_released", actor=actor,
                        data={"hold_id": hold_id, "other_holds": on})
    store.put(event.key(), event.model_dump_json().encode(), content_type="application/json")
    legal_holds.set_flag(catalog, doc_id, on)


def write_release_object(store: ObjectStore, catalog: Catalog, hold_id: str) -> None:
    """Store a hold's release (after its commit; a crash before it leaves storage held)."""
    hold = legal_holds.release_of(catalog, hold_id)
    if hold is None or hold[0] is None:
        return
    released = hold[0] if hold[0].tzinfo else hold[0].replace(tzinfo=UTC)
    _put_json(store, release_key(hold_id), {"schema_version": 1, "hold_id": hold_id,
                                            "released_at": released.isoformat(),
                                            "released_by": hold[1]})


def run_steps(catalog: Catalog, store: ObjectStore, actor: str, step_ids: set[str]) -> None:
    """Run the hold's outbox steps now (a crash leaves them to the next outbox run)."""
    from chartvault.pipeline.retention import run_post_commit

    run_post_commit(catalog, store, actor, only=step_ids)


def _patient_scope(conn: Connection, mrn: str, facility: str | None) -> tuple[list[str], str]:
    """Documents and facility a patient hold covers; refuses an unknown or ambiguous MRN."""
    norm = normalise_mrn(mrn)
    targets = legal_holds.patient_doc_ids(conn, norm, facility, destroyed=False)
    if facility:
        return targets, facility  # a known facility may hold a patient not yet ingested
    facilities = legal_holds.facilities_of_mrn(conn, norm)
    if not facilities:
        raise NotFound("no document in the archive has this MRN; to hold a patient whose "
                       "records are not ingested yet, name the facility with --facility")
    if len(facilities) > 1:
        raise HoldError("the MRN is used by several facilities: name one with --facility")
    return targets, next(iter(facilities))


@contextmanager
def _audited_refusal(catalog: Catalog, actor: str, action: str, detail: dict[str, Any]
                     ) -> Iterator[None]:
    """A refused hold request leaves an audit event (its own transaction), then raises."""
    try:
        yield
    except UserError as err:
        catalog.audit(actor, action, outcome="refused", detail={**detail, "why": err.code})
        raise


def add_hold(catalog: Catalog, store: ObjectStore, *, actor: str, case_name: str,
             reason: str, doc_id: str | None = None, mrn: str | None = None,
             facility: str | None = None) -> HoldResult:
    """Place a document or patient hold and flag every covered record."""
    with _audited_refusal(catalog, actor, "hold_set", {"doc_id": doc_id} if doc_id else {}):
        return _add_hold(catalog, store, actor=actor, case_name=case_name, reason=reason,
                         doc_id=doc_id, mrn=mrn, facility=facility)


def _add_hold(catalog: Catalog, store: ObjectStore, *, actor: str, case_name: str,
              reason: str, doc_id: str | None, mrn: str | None,
              facility: str | None) -> HoldResult:
    hold_id = "h-" + uuid.uuid4().hex[:12]
    with catalog.engine.connect() as conn:
        if doc_id:
            row = catalog.get(doc_id)
            if row is None:
                raise NotFound(f"document {doc_id} is not in the archive")
            if row["status"] == "destroyed":
                raise HoldError(f"document {doc_id} was destroyed; there is nothing to hold")
            targets = [doc_id]
            values: dict[str, Any] = {"kind": "document", "doc_id": doc_id}
        elif mrn:
            targets, scope = _patient_scope(conn, mrn, facility)
            values = {"kind": "patient", "mrn": normalise_mrn(mrn), "facility": scope}
        else:
            raise HoldError("a hold needs a document id or an MRN")
    created = datetime.now(UTC)
    _put_json(store, hold_key(hold_id), {
        "schema_version": 1, "hold_id": hold_id, "case_name": case_name, "reason": reason,
        "created_at": created.isoformat(), "created_by": actor, "kind": values["kind"],
        "doc_id": values.get("doc_id"), "mrn": values.get("mrn"),
        "facility": values.get("facility")})
    with catalog.transaction() as conn:
        legal_holds.insert_hold(conn, hold_id=hold_id, case_name=case_name, reason=reason,
                                created_at=created, created_by=actor, **values)
        catalog.audit(actor, "hold_set", targets, detail={"hold_id": hold_id,
                                                           "kind": values["kind"]}, conn=conn)
        steps = _record_steps(conn, targets, hold_step(hold_id, True))
    crash.point("hold-after-row")
    run_steps(catalog, store, actor, steps)
    log.info("hold %s set on %d documents", hold_id, len(targets))
    return HoldResult(hold_id, tuple(targets))


def release_hold(catalog: Catalog, store: ObjectStore, hold_id: str, actor: str) -> HoldResult:
    """Release one hold; records still covered by another hold stay held."""
    with _audited_refusal(catalog, actor, "hold_released", {"hold_id": hold_id}), \
            catalog.engine.connect() as conn:
        hold = guarded.hold(conn, hold_id)
        if hold is None:
            raise NotFound(f"no hold {hold_id}")
        if hold["released_at"] is not None:
            raise HoldError(f"hold {hold_id} was released already")
    with catalog.transaction() as conn:
        released = datetime.now(UTC)
        if not legal_holds.mark_released(conn, hold_id, released, actor):
            raise HoldError(f"hold {hold_id} was released by another request just now")
        if hold["kind"] == "document":
            targets = [hold["doc_id"]]
        else:
            targets = legal_holds.patient_doc_ids(conn, hold["mrn"], hold["facility"],
                                                  destroyed=True)
        catalog.audit(actor, "hold_released", targets, detail={"hold_id": hold_id}, conn=conn)
        steps = _record_steps(conn, [hold_id], RELEASE_OBJECT + hold_id)
        steps |= _record_steps(conn, targets, hold_step(hold_id, False))
    crash.point("release-after-row")
    run_steps(catalog, store, actor, steps)
    return HoldResult(hold_id, tuple(targets))


def apply_patient_holds(catalog: Catalog, store: ObjectStore, doc_id: str, actor: str) -> bool:
    """At ingest: put a new document under its patient's active holds, if any."""
    row = catalog.get(doc_id)
    if row is None:
        return False
    active = legal_holds.active_ids(catalog, doc_id, row["facility"], row["mrn"])
    for hold_id in active:
        sync_flags(catalog, store, doc_id, hold_id, actor)
        catalog.audit(actor, "hold_set", [doc_id], detail={"hold_id": hold_id,
                                                           "kind": "patient", "at": "ingest"})
    return bool(active)


def _record_steps(conn: Connection, subjects: list[str], step: str) -> set[str]:
    """Outbox rows for ``step`` on each subject, in the caller's transaction; their ids."""
    ids = set()
    for subject in subjects:
        add_steps(conn, subject, [step])
        ids.add(f"{subject}:{step}")
    return ids


def is_held(catalog: Catalog, doc_id: str) -> bool:
    """True when any active hold covers the document."""
    row = catalog.get(doc_id)
    if row is None:
        return False
    return bool(legal_holds.active_ids(catalog, doc_id, row["facility"], row["mrn"]))
