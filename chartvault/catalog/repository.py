"""The catalog: documents, full text, quarantine, batches and the audit trail.

One ``Catalog`` per process; every write that records an archived document, its text
and its audit event happens in one transaction, so a crash leaves either all or none.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    and_,
    case,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.pool import ConnectionPoolEntry

from chartvault.catalog import audit, dialect, names
from chartvault.catalog.audit import ChainReport
from chartvault.catalog.schema import (
    batches,
    disposition_items,
    disposition_plans,
    documents,
    holds,
    quarantine,
)
from chartvault.model import Manifest


def name_key(family: str | None, given: str | None) -> str | None:
    """Case-, accent- and punctuation-free "family given" used for name search."""
    if not family:
        return None
    raw = f"{family} {given or ''}"
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("'", "").replace("`", "")  # O'Brien == OBrien
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


@dataclass(frozen=True)
class SearchCriteria:
    """What an auditor asks for; every given criterion must hold."""

    mrn: str | None = None
    facility: str | None = None
    name: str | None = None  # "Family", "Family, Given" or "Given Family"
    dob: date | None = None
    doc_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    limit: int = 50
    offset: int = 0  # paging: hits to skip (ranked or newest-first order)

    def fields_used(self) -> list[str]:
        """Names (never values) of the criteria given, for the audit trail."""
        names = ("mrn", "facility", "name", "dob", "doc_type", "date_from", "date_to", "text")
        return [n for n in names if getattr(self, n)]


@dataclass
class SearchHit:
    """A catalog row plus its full-text rank when text was searched."""

    row: RowMapping
    rank: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _RedactRows(logging.Filter):
    """At DEBUG SQLAlchemy logs result rows, which hold patient data: redact them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(("Row ", "Col ")):
            record.msg = record.msg.split(" ", 1)[0] + " [redacted]"
            record.args = ()
        return True


_SQL_LOGGER = logging.getLogger("sqlalchemy.engine.Engine")
if not any(isinstance(f, _RedactRows) for f in _SQL_LOGGER.filters):
    _SQL_LOGGER.addFilter(_RedactRows())


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA secure_delete=ON")  # destroyed rows must not linger in free pages
    cur.close()


class Catalog:
    """Index over the archive; SQLite by default, PostgreSQL at scale."""

    def __init__(self, url: str) -> None:
        # hide_parameters: SQL parameters carry patient data; keep them out of logs and
        # of exception messages even when someone turns SQLAlchemy logging on.
        # pool_pre_ping (server databases): after a database restart the pool's old
        # connections are replaced at checkout instead of failing the next statement
        self.engine: Engine = create_engine(url, future=True, hide_parameters=True,
                                            pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # Called after a commit that appended audit events (``chartvault.anchors.attach``
        # sets it): anchors go to storage only once the events they vouch for are durable.
        # It gets the highest sequence the transaction appended.
        self.after_audit: Callable[[int], object] | None = None

    def create(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        from chartvault.catalog import migrate

        with self.engine.begin() as conn:
            migrate.upgrade(conn)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction that commits on success."""
        with self.engine.begin() as conn:
            try:
                yield conn
            finally:
                appended = int(conn.info.pop("audit_appended", 0))
        if appended and self.after_audit is not None:
            self.after_audit(appended)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    # --- documents ------------------------------------------------------------------

    def has_document(self, doc_id: str) -> bool:
        """True when the document is catalogued (in any status)."""
        with self.engine.connect() as conn:
            q = select(documents.c.doc_id).where(documents.c.doc_id == doc_id)
            return conn.execute(q).first() is not None

    def search_count(self) -> int:
        """Number of catalogued documents (any status)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(documents)).scalar() or 0)

    def get(self, doc_id: str) -> RowMapping | None:
        """One document row."""
        with self.engine.connect() as conn:
            q = select(documents).where(documents.c.doc_id == doc_id)
            return conn.execute(q).mappings().first()

    def last_service_date(self, facility: str, mrn: str) -> date | None:
        """Latest service date catalogued for the patient (facility, MRN as given)."""
        q = select(func.max(documents.c.service_date)).where(
            documents.c.facility == facility, documents.c.mrn == normalise_mrn(mrn))
        with self.engine.connect() as conn:
            value = conn.execute(q).scalar()
        return value if isinstance(value, date) else None

    def patient_archived(self, facility: str, mrn: str) -> Sequence[RowMapping]:
        """Archived document rows of the patient (facility, MRN as given)."""
        q = select(documents).where(
            documents.c.facility == facility, documents.c.mrn == normalise_mrn(mrn),
            documents.c.status == "archived")
        with self.engine.connect() as conn:
            return conn.execute(q).mappings().all()

    def record_document(
        self, conn: Connection, manifest: Manifest, manifest_key: str, text: str
    ) -> None:
        """Insert the document row and its text (caller's transaction)."""
        conn.execute(insert(documents).values(**document_row(manifest, manifest_key)))
        dialect.index_text(conn, manifest.doc_id, text)

    def search(self, criteria: SearchCriteria) -> list[SearchHit]:
        """Documents matching every criterion; text hits ranked best first.

        A name is matched tolerantly (``catalog.names``): hits of better-matching names come
        first, each hit's ``extra["name_score"]`` says how well (0-100). With text, each
        hit's ``extra["snippet"]`` is the best passage, matches between ``SNIPPET_MARKS``.
        """
        conds = []
        name_scores: dict[str, float] = {}
        if criteria.mrn:
            conds.append(documents.c.mrn == normalise_mrn(criteria.mrn))
        if criteria.facility:
            conds.append(documents.c.facility == criteria.facility)
        if criteria.dob:
            conds.append(documents.c.birth_date == criteria.dob)
        if criteria.doc_type:
            conds.append(documents.c.doc_type == criteria.doc_type)
        served = func.coalesce(documents.c.service_date, documents.c.document_date)
        if criteria.date_from:
            conds.append(served >= criteria.date_from)
        if criteria.date_to:
            conds.append(served <= criteria.date_to)
        conds.append(documents.c.status != "destroyed")
        with self.engine.connect() as conn:
            if criteria.name:
                name_scores = names.matching_names(conn, criteria.name)
                if not name_scores:
                    return []
                conds.append(documents.c.name_key.in_(list(name_scores)))
            if criteria.text:
                hits = self._text_search(conn, criteria, conds)
            else:
                order = [served.desc(), documents.c.doc_id]
                if name_scores:
                    order.insert(0, case(name_scores, value=documents.c.name_key,
                                         else_=0.0).desc())
                q = (select(documents).where(and_(*conds)).order_by(*order)
                     .offset(max(criteria.offset, 0)).limit(criteria.limit))
                hits = [SearchHit(r) for r in conn.execute(q).mappings().all()]
            for h in hits:
                if name_scores:
                    h.extra["name_score"] = round(name_scores.get(h.row["name_key"], 0.0), 1)
            if criteria.text and hits:
                snips = dialect.snippets(conn, [h.row["doc_id"] for h in hits], criteria.text)
                for h in hits:
                    h.extra["snippet"] = snips.get(h.row["doc_id"], "")
            return hits

    def _text_search(
        self, conn: Connection, criteria: SearchCriteria, conds: list[Any]
    ) -> list[SearchHit]:
        assert criteria.text
        structured = len(conds) > 1  # more than the status filter
        within = None
        offset = max(criteria.offset, 0)
        if structured:  # narrow by fields first, then rank the text among those
            q = select(documents.c.doc_id).where(and_(*conds)).limit(MAX_CANDIDATES)
            within = [r[0] for r in conn.execute(q)]
        ranked = dialect.text_search(conn, criteria.text, (offset + criteria.limit) * 2, within)
        if not ranked:
            return []
        rank = dict(ranked)
        q = select(documents).where(and_(documents.c.doc_id.in_(list(rank)), *conds))
        hits = [SearchHit(r, rank[r["doc_id"]]) for r in conn.execute(q).mappings()]
        hits.sort(key=lambda h: h.rank or 0.0, reverse=True)
        return hits[offset: offset + criteria.limit]

    def bulk_insert(self, rows: Sequence[dict[str, Any]],
                    texts: Sequence[tuple[str, str]] = ()) -> None:
        """Insert document rows (and their texts) at once: seeding benchmarks and imports.

        Name search columns are filled from each row's name when the row lacks them.
        """
        names.fill_missing(rows)
        with self.transaction() as conn:
            conn.execute(insert(documents), list(rows))
            for doc_id, body in texts:
                dialect.index_text(conn, doc_id, body)

    # --- quarantine and batches -------------------------------------------------------

    def record_quarantine(self, conn: Connection, **values: Any) -> None:
        """Insert a quarantine entry (caller's transaction)."""
        conn.execute(insert(quarantine).values(**values))

    def quarantined(self, batch_id: str | None = None) -> Sequence[RowMapping]:
        """Quarantine entries, newest first."""
        q = select(quarantine).order_by(quarantine.c.at.desc())
        if batch_id:
            q = q.where(quarantine.c.batch_id == batch_id)
        with self.engine.connect() as conn:
            return conn.execute(q).mappings().all()

    def start_batch(self, batch_id: str, intake: str, actor: str) -> None:
        """Record that a batch began."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(batches).values(
                    batch_id=batch_id, intake=intake, started_at=datetime.now(UTC), actor=actor,
                    counts={},
                )
            )

    def finish_batch(self, batch_id: str, counts: Mapping[str, int]) -> None:
        """Record a batch's outcome counts."""
        with self.engine.begin() as conn:
            conn.execute(
                update(batches)
                .where(batches.c.batch_id == batch_id)
                .values(finished_at=datetime.now(UTC), counts=dict(counts))
            )

    # --- disposition plans -------------------------------------------------------------

    def plans(self) -> Sequence[RowMapping]:
        """Every disposition plan, newest first."""
        q = select(disposition_plans).order_by(disposition_plans.c.created_at.desc())
        with self.engine.connect() as conn:
            return conn.execute(q).mappings().all()

    def plan(self, plan_id: str) -> RowMapping | None:
        """One disposition plan."""
        q = select(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
        with self.engine.connect() as conn:
            return conn.execute(q).mappings().first()

    def plan_items(self, plan_id: str) -> Sequence[RowMapping]:
        """A plan's items with the stamped retention of each record.

        An outer join: an item whose record is gone from the catalog still shows.
        """
        d = documents.c
        q = (select(disposition_items, d.status.label("record_status"), d.doc_type, d.policy_id,
                    d.policy_version, d.rule_id, d.retain_until, d.legal_hold)
             .select_from(disposition_items.outerjoin(
                 documents, documents.c.doc_id == disposition_items.c.doc_id))
             .where(disposition_items.c.plan_id == plan_id)
             .order_by(disposition_items.c.doc_id))
        with self.engine.connect() as conn:
            return conn.execute(q).mappings().all()

    def set_plan_certificate(self, plan_id: str, certificate_key: str | None) -> None:
        """Record a plan's certificate of destruction (None: nothing was destroyed)."""
        with self.transaction() as conn:
            conn.execute(update(disposition_plans).where(disposition_plans.c.plan_id == plan_id)
                         .values(certificate_key=certificate_key))

    def certificate_facts(self, doc_ids: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        """Facilities and rule counts of destroyed records (their tombstone rows)."""
        ids = list(doc_ids)
        with self.engine.connect() as conn:
            facilities = [r[0] for r in conn.execute(select(documents.c.facility).where(
                documents.c.doc_id.in_(ids)).distinct())]
            rules: dict[str, int] = {}
            for (rule,) in conn.execute(select(documents.c.rule_id).where(
                    documents.c.doc_id.in_(ids))):
                rules[rule or "none"] = rules.get(rule or "none", 0) + 1
        return facilities, rules

    def fixity_rows(self) -> list[tuple[str, str, str, str]]:
        """(doc_id, manifest_key, sha256, status) of every catalogued record (fixity)."""
        q = select(documents.c.doc_id, documents.c.manifest_key, documents.c.sha256,
                   documents.c.status)
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2], r[3]) for r in conn.execute(q)]

    def plans_of_document(self, doc_id: str) -> list[str]:
        """Plans that list a document, oldest first (a destroyed record's certificate)."""
        q = (select(disposition_items.c.plan_id)
             .select_from(disposition_items.join(
                 disposition_plans, disposition_plans.c.plan_id == disposition_items.c.plan_id))
             .where(disposition_items.c.doc_id == doc_id)
             .order_by(disposition_plans.c.created_at))
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def content_counts(self) -> dict[str, int]:
        """Rows of every table a rebuild fills (the audit chain is not one of them)."""
        tables = {"documents": documents, "holds": holds, "quarantine": quarantine,
                  "disposition_plans": disposition_plans, "batches": batches}
        with self.engine.connect() as conn:
            return {name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                    for name, t in tables.items()}

    def active_holds(self) -> Sequence[RowMapping]:
        """Holds not released."""
        q = select(holds).where(holds.c.released_at.is_(None)).order_by(holds.c.created_at)
        with self.engine.connect() as conn:
            return conn.execute(q).mappings().all()

    # --- audit ------------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        doc_ids: Sequence[str] = (),
        outcome: str = "ok",
        detail: Mapping[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Append an audit event, in ``conn``'s transaction or a new one."""
        if conn is not None:
            return audit.append(
                conn, actor=actor, action=action, doc_ids=doc_ids, outcome=outcome, detail=detail
            )
        with self.transaction() as own:
            return audit.append(
                own, actor=actor, action=action, doc_ids=doc_ids, outcome=outcome, detail=detail
            )

    def verify_audit(
        self, anchored: Mapping[int, str] | None = None, anchors: int = 0
    ) -> ChainReport:
        """Re-walk the audit chain (against anchored hashes: ``chartvault.anchors``)."""
        with self.engine.connect() as conn:
            return audit.verify(conn, anchored, anchors)


MAX_CANDIDATES = 5000  # structured matches ranked by text at most


def normalise_mrn(mrn: str) -> str:
    """MRN as stored: letters and digits only, upper case."""
    return "".join(c for c in mrn if c.isalnum()).upper()


def document_row(manifest: Manifest, manifest_key: str) -> dict[str, Any]:
    """Catalog row of a manifest (also used by ``catalog rebuild``)."""
    ex = manifest.extraction
    p = ex.patient
    ret = manifest.retention
    return {
        "doc_id": manifest.doc_id,
        "sha256": manifest.sha256,
        "status": "archived",
        "doc_type": manifest.classification.doc_type,
        "loinc": manifest.classification.loinc,
        "type_confidence": manifest.classification.confidence,
        "needs_review": manifest.needs_review,
        "review_reasons": list(manifest.review_reasons),
        "facility": manifest.routing.facility,
        "jurisdiction": manifest.routing.jurisdiction,
        "intake": manifest.routing.intake,
        "batch_id": manifest.provenance.batch_id,
        "mrn": normalise_mrn(p.mrn) if p.mrn else None,
        "patient_family": p.family,
        "patient_given": p.given,
        **names.name_columns(p.family, p.given),
        "birth_date": p.birth_date,
        "sex": p.sex,
        "service_date": ex.service_date,
        "document_date": ex.document_date,
        "admission_date": ex.admission_date,
        "discharge_date": ex.discharge_date,
        "author": ex.author,
        "author_npi": ex.author_npi,
        "printed_facility": ex.facility,
        "codes": {"icd10": list(ex.icd10_codes), "cpt": list(ex.cpt_codes)},
        "pages": manifest.pages,
        "source_format": manifest.provenance.source_format,
        "size_bytes": manifest.provenance.size_bytes,
        "captured_at": manifest.provenance.captured_at,
        "ingested_at": manifest.ingested_at,
        "ingested_by": manifest.ingested_by,
        "manifest_key": manifest_key,
        "original_key": manifest.objects["original"].key,
        "policy_id": ret.policy_id if ret else None,
        "policy_version": ret.policy_version if ret else None,
        "rule_id": ret.rule_id if ret else None,
        "retention_class": ret.retention_class if ret else None,
        "retain_until": ret.retain_until if ret else None,
        "disposition": ret.action if ret else None,
        "legal_hold": False,
    }
