"""Retention decision at ingest: the catalog supplies the patient's last encounter.

The rules themselves are pure functions in ``retention_policies``; this adapter only
gathers the facts. A patient is (facility, MRN); their last encounter is the latest
service date among their catalogued documents and this one.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import func, select

from chartvault.catalog import Catalog, normalise_mrn
from chartvault.catalog.schema import documents
from chartvault.model import Retention, Routing
from chartvault.pipeline.understand import Understanding
from retention_policies import PolicySet, RetentionFacts, decide, load_policy_set


@lru_cache(maxsize=1)
def shipped_policies() -> PolicySet:
    """The default schedule, parsed once per process."""
    return load_policy_set()


def last_encounter(catalog: Catalog, facility: str, mrn: str | None) -> date | None:
    """Latest service date catalogued for the patient (facility, MRN)."""
    if not mrn:
        return None
    q = select(func.max(documents.c.service_date)).where(
        documents.c.facility == facility, documents.c.mrn == normalise_mrn(mrn)
    )
    with catalog.engine.connect() as conn:
        value = conn.execute(q).scalar()
    return value if isinstance(value, date) else None


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
