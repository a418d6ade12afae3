"""Retention decision at ingest: the catalog supplies the patient's last encounter.

The rules themselves are pure functions in ``retention_policies``; this adapter only
gathers the facts. A patient is (facility, MRN); their last encounter is the latest
service date among their catalogued documents and this one.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from chartvault import events
from chartvault.catalog import Catalog
from chartvault.catalog.custody import fail_step, finish_step, pending_steps
from chartvault.catalog.rebuild import apply_event
from chartvault.errors import phi_safe
from chartvault.model import Manifest, Retention, Routing
from chartvault.pipeline import crash
from chartvault.pipeline.understand import Understanding
from retention_policies import (
    PolicySet,
    RetentionFacts,
    decide,
    explain,
    extend_only,
    load_policy_set,
)
from storage.base import ObjectStore

log = logging.getLogger(__name__)

@lru_cache(maxsize=1)
def shipped_policies() -> PolicySet:
    """The default schedule, parsed once per process."""
    return load_policy_set()


def last_encounter(catalog: Catalog, facility: str, mrn: str | None) -> date | None:
    """Latest service date catalogued for the patient (facility, MRN)."""
    if not mrn:
        return None
    return catalog.last_service_date(facility, mrn)


def facts_for(u: Understanding, routing: Routing, previous: date | None) -> RetentionFacts:
    """Retention facts of a document being ingested."""
    ex = u.extraction
    here = ex.service_date or ex.discharge_date or ex.admission_date
    candidates = [d for d in (previous, here) if d is not None]
    return RetentionFacts(
        doc_type=u.classification.doc_type,
        facility=routing.facility,
        jurisdiction=routing.jurisdiction,
        birth_date=ex.patient.birth_date,
        service_date=ex.service_date,
        document_date=ex.document_date,
        discharge_date=ex.discharge_date,
        last_encounter=max(candidates) if candidates else None,
        needs_review=u.needs_review,
    )


def decide_at_ingest(catalog: Catalog, routing: Routing, u: Understanding) -> Retention:
    """Retention of a new document under the shipped schedule."""
    previous = last_encounter(catalog, routing.facility, u.extraction.patient.mrn)
    return decide(facts_for(u, routing, previous), shipped_policies())


def facts_from_row(catalog: Catalog, row: Any) -> RetentionFacts:
    """Retention facts of a catalogued document (for explain and recomputation)."""
    return facts_with(row, last_encounter(catalog, row["facility"], row["mrn"]))


def facts_with(row: Any, last: date | None) -> RetentionFacts:
    """Retention facts of a catalog row whose patient's last encounter is known already."""
    return RetentionFacts(
        doc_type=row["doc_type"],
        facility=row["facility"],
        jurisdiction=row["jurisdiction"],
        birth_date=row["birth_date"],
        service_date=row["service_date"],
        document_date=row["document_date"],
        discharge_date=row["discharge_date"],
        last_encounter=last or row["service_date"],
        needs_review=row["needs_review"],
    )


def explain_document(catalog: Catalog, doc_id: str) -> list[str]:
    """Human explanation of a document's retention."""
    row = catalog.get(doc_id)
    if row is None:
        return [f"document {doc_id} is not in the archive"]
    lines = [
        f"document {doc_id}: {row['doc_type']}, facility {row['facility']}, "
        f"jurisdiction {row['jurisdiction']}",
        f"stamped: policy {row['policy_id']}@{row['policy_version']} rule {row['rule_id']}, "
        f"class {row['retention_class']}, retain until {row['retain_until'] or 'reviewed'}, "
        f"then {row['disposition']}; legal hold: {'yes' if row['legal_hold'] else 'no'}",
    ]
    lines += explain(facts_from_row(catalog, row), shipped_policies())
    return lines


def extend_patient_records(
    catalog: Catalog, store: ObjectStore, facility: str, mrn: str | None, actor: str,
    exclude: str | None = None, reason: str = "later_encounter",
) -> list[str]:
    """A later encounter arrived: recompute and extend (never shorten) earlier records.

    (Also after a correction of a record's patient, type or dates: ``reason`` says which.)

    The manifest is never rewritten: each extension is an event object, the objects'
    Object Lock retain-until is pushed out, and the catalog row follows.
    """
    if not mrn:
        return []
    policies = shipped_policies()
    extended = []
    for row in catalog.patient_archived(facility, mrn):
        if row["doc_id"] == exclude or row["retain_until"] is None:
            continue
        decision = decide(facts_from_row(catalog, row), policies)
        new = extend_only(row["retain_until"], decision.retain_until)
        if new is None or new <= row["retain_until"]:
            continue
        manifest = Manifest.model_validate_json(store.get(row["manifest_key"]))
        until = datetime.combine(new, time(0), tzinfo=UTC)
        for ref in [*manifest.objects.values()]:
            store.extend_retention(ref.key, until)
        store.extend_retention(row["manifest_key"], until)
        event = events.retention_extended(row["doc_id"], actor, new, decision.rule_id,
                                          reason)
        store.put(event.key(), event.model_dump_json().encode(), content_type="application/json",
                  retain_until=until)
        with catalog.transaction() as conn:
            apply_event(conn, event)
            catalog.audit(actor, "retention_extended", [row["doc_id"]],
                          detail={"retain_until": new.isoformat(), "rule_id": decision.rule_id},
                          conn=conn)
        extended.append(row["doc_id"])
    return extended


def run_post_commit(catalog: Catalog, store: ObjectStore, actor: str,
                    doc_id: str | None = None, only: set[str] | None = None) -> int:
    """Run the outbox's pending steps (of one document, or all, or ``only`` these ids).

    A step that fails stays pending (its error type counted) and is tried again by the
    next run: a crash between a document's commit and its holds or extensions can delay
    them, never skip them. Every step is idempotent (a hold flag is set to the state the
    active holds give; retention only ever extends). Hold and release steps
    (``holds.hold_step``) bring a record's object flags in line with its holds.
    """
    from chartvault import holds as holds_mod

    ran = 0
    for step_id, did, step in pending_steps(catalog, doc_id):
        if only is not None and step_id not in only:
            continue
        try:
            with phi_safe("post-commit", step_id):
                if step == "patient_holds":
                    holds_mod.apply_patient_holds(catalog, store, did, actor)
                elif step == "extend_retention":
                    row = catalog.get(did)
                    if row is not None and row["status"] == "archived":
                        extend_patient_records(catalog, store, row["facility"], row["mrn"],
                                               actor, exclude=did)
                elif step.startswith((holds_mod.FLAG_SET, holds_mod.FLAG_RELEASED)):
                    holds_mod.sync_flags(catalog, store, did, step.split(":", 1)[1], actor)
                elif step.startswith(holds_mod.RELEASE_OBJECT):
                    holds_mod.write_release_object(store, catalog, did)
                crash.point("post-commit-step")
            finish_step(catalog, step_id)
            ran += 1
        except Exception as err:  # phi_safe: a type name and ids only
            try:
                fail_step(catalog, step_id, type(err).__name__)
            except Exception:  # the catalog is away: the step stays pending all the same
                log.warning("post-commit step %s: its failure not counted", step_id)
            log.warning("post-commit step %s failed (%s); kept for the next run", step_id,
                        type(err).__name__)
    return ran
