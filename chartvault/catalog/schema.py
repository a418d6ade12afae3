"""Catalog tables (SQLAlchemy Core), identical on SQLite and PostgreSQL.

The catalog is an index over storage, which stays the source of truth: every row here
can be rebuilt from manifests and event objects. Core tables rather than ORM classes
because the hot paths (search over 100k documents, retention sweeps over a million) are
set-based queries.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("doc_id", String(32), primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, default="archived"),
    Column("doc_type", String(40), nullable=False),
    Column("loinc", String(16)),
    Column("type_confidence", Float, nullable=False),
    Column("needs_review", Boolean, nullable=False),
    Column("review_reasons", JSON, nullable=False, default=list),
    Column("facility", String(200), nullable=False),
    Column("jurisdiction", String(40), nullable=False),
    Column("intake", String(100), nullable=False),
    Column("batch_id", String(40), nullable=False),
    # patient identity: (facility, mrn) is the patient key
    Column("mrn", String(64)),
    Column("patient_family", String(200)),
    Column("patient_given", String(200)),
    Column("name_key", String(400)),  # normalised "family given" for search
    Column("family_key", String(8)),  # phonetic keys of the name parts (catalog.names)
    Column("given_key", String(8)),
    Column("birth_date", Date),
    Column("sex", String(1)),
    Column("service_date", Date),
    Column("document_date", Date),
    Column("admission_date", Date),
    Column("discharge_date", Date),
    Column("author", String(200)),
    Column("author_npi", String(10)),
    Column("printed_facility", String(200)),
    Column("codes", JSON, nullable=False, default=dict),
    Column("pages", Integer, nullable=False),
    Column("source_format", String(16), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("ingested_by", String(100), nullable=False),
    Column("manifest_key", String(200), nullable=False),
    Column("original_key", String(200), nullable=False),
    # retention (see retention_policies); NULL retain_until = kept until reviewed
    Column("policy_id", String(100)),
    Column("policy_version", String(40)),
    Column("rule_id", String(100)),
    Column("retention_class", String(100)),
    Column("retain_until", Date),
    Column("disposition", String(16)),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Index("ix_documents_patient", "facility", "mrn"),
    Index("ix_documents_mrn", "mrn"),
    Index("ix_documents_name", "name_key"),
    # covering: the name search reads these three columns from the index alone
    Index("ix_documents_family_key", "family_key", "name_key", "patient_family"),
    Index("ix_documents_given_key", "given_key", "name_key", "patient_family"),
    Index("ix_documents_birth", "birth_date"),
    Index("ix_documents_type", "doc_type"),
    Index("ix_documents_service", "service_date"),
    Index("ix_documents_retain", "retain_until"),
    # covering for the review queue's pages and its batches (needs_review rows only are read)
    Index("ix_documents_review", "needs_review", "status", "ingested_at", "doc_id",
          "batch_id", "intake"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("quarantine_id", String(40), primary_key=True),
    Column("sha256", String(64)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("batch_id", String(40), nullable=False),
    Column("intake", String(100), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("folder", String(400), nullable=False),  # relative to the data directory
    Column("resolved", Boolean, nullable=False, default=False),
    Index("ix_quarantine_open", "resolved", "at"),
)

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(40), primary_key=True),
    Column("intake", String(100), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("actor", String(100), nullable=False),
    Column("counts", JSON, nullable=False, default=dict),
)

# Append-only and hash-chained: each row's hash covers its content and the previous
# row's hash, so an edit or a deleted row breaks the chain (`chartvault audit verify`).
# Rows carry ids only, never patient data. Triggers refuse UPDATE and DELETE.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("doc_ids", JSON, nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_audit_action", "action"),
)

# One row; locked while appending so that concurrent writers chain in order (PostgreSQL).
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Anchors written to object storage (``chartvault.anchors``): a cache that says when the
# next one is due and where the last one ended. Evidence is the locked objects, not this.
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("key", String(200), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Legal holds: a patient hold (facility, MRN) covers that patient's documents, including
# those ingested after it; a document hold covers one record. Released holds stay.
holds = Table(
    "holds",
    metadata,
    Column("hold_id", String(40), primary_key=True),
    Column("kind", String(10), nullable=False),  # "patient" | "document"
    Column("facility", String(200)),
    Column("mrn", String(64)),
    Column("doc_id", String(32)),
    Column("case_name", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("released_at", DateTime(timezone=True)),
    Column("released_by", String(100)),
    Index("ix_holds_patient", "facility", "mrn"),
    Index("ix_holds_doc", "doc_id"),
)

# Disposition: a sweep writes a plan; a second person approves it; execution works
# through its items, each ending done or skipped, so a crashed run resumes.
disposition_plans = Table(
    "disposition_plans",
    metadata,
    Column("plan_id", String(40), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("status", String(16), nullable=False),  # planned|approved|executing|done
    Column("approved_by", String(100)),
    Column("approved_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("counts", JSON, nullable=False, default=dict),
    Column("certificate_key", String(200)),
)

disposition_items = Table(
    "disposition_items",
    metadata,
    Column("plan_id", String(40), primary_key=True),
    Column("doc_id", String(32), primary_key=True),
    Column("action", String(16), nullable=False),  # destroy|purge|review
    Column("status", String(16), nullable=False),  # planned|done|skipped_hold|failed
    Column("done_at", DateTime(timezone=True)),
    Index("ix_disposition_items_status", "plan_id", "status"),
)

# --- accounts (chartvault/auth) --------------------------------------------------------
# People who sign in. Never deleted (only disabled), so a username in the audit trail
# names one person for ever. ``intakes``: the intake folders a scanner account works.
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200)),  # argon2id PHC string; NULL: no password sign-in
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_count", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("intakes", JSON, nullable=False, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
)

account_roles = Table(
    "account_roles",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("role", String(40), primary_key=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("granted_by", String(100), nullable=False),
)

# Shared TOTP secrets (RFC 6238). ``last_step``: the newest time step accepted, so a
# code is never accepted twice (replay).
totp_secrets = Table(
    "totp_secrets",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("secret", String(128), nullable=False),  # sealed (chartvault.auth.totp.seal)
    Column("last_step", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# API tokens and sign-in sessions: only the SHA-256 of the 256-bit secret is kept.
# ``role`` scopes an API token to one of its account's roles; NULL (sessions): all of them.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # "api" | "session"
    Column("role", String(40)),
    Column("label", String(100), nullable=False, default=""),
    Column("mfa", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_tokens_account", "account_id"),
)

# A hold release asked by one legal account, waiting for a second one (site setting).
hold_release_requests = Table(
    "hold_release_requests",
    metadata,
    Column("hold_id", String(40), primary_key=True),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)

# Steps that must follow a document's catalog commit (patient holds, retention
# extensions of the patient's earlier records): written in the commit's transaction and
# run until done, so a crash right after the commit cannot skip them.
outbox = Table(
    "outbox",
    metadata,
    Column("step_id", String(80), primary_key=True),  # "<doc_id>:<step>"
    Column("doc_id", String(32), nullable=False),
    Column("step", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(200)),
    Index("ix_outbox_pending", "done_at"),
)

# --- release of information (chartvault/release) ---------------------------------------
# A request to release part of a patient's chart: who asks, on what authorisation (itself
# an archived document), for what purpose, and the scope (patient, dates, types) that
# bounds every release made under it. ``due_date``: HIPAA 164.524(b)(2), 30 days.
release_requests = Table(
    "release_requests",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("requester_kind", String(16), nullable=False),  # patient|provider|payer|...
    Column("requester_name", String(200), nullable=False),
    Column("authorization_doc_id", String(32)),
    Column("purpose", String(200), nullable=False),
    Column("facility", String(200), nullable=False),
    Column("mrn", String(64), nullable=False),
    Column("date_from", Date),
    Column("date_to", Date),
    Column("doc_types", JSON, nullable=False, default=list),  # empty: every type
    Column("due_date", Date, nullable=False),
    Column("status", String(16), nullable=False),  # received|in_review|fulfilled|denied
    Column("status_reason", Text),
    Column("reviewed_by", String(100)),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("decided_by", String(100)),
    Column("decided_at", DateTime(timezone=True)),
    Index("ix_release_requests_due", "status", "due_date"),
    Index("ix_release_requests_patient", "facility", "mrn"),
)

# What left the archive (HIPAA 164.528 accounting): one row per fulfilment.
disclosures = Table(
    "disclosures",
    metadata,
    Column("disclosure_id", String(40), primary_key=True),
    Column("request_id", String(40), nullable=False),
    Column("disclosed_at", DateTime(timezone=True), nullable=False),
    Column("disclosed_by", String(100), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("recipient_kind", String(16), nullable=False),
    Column("facility", String(200), nullable=False),
    Column("mrn", String(64), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("description", Text, nullable=False),  # what: count, types, date span
    Column("doc_ids", JSON, nullable=False),
    Column("packages", JSON, nullable=False, default=dict),  # format -> sha256
    Index("ix_disclosures_patient", "facility", "mrn", "disclosed_at"),
    Index("ix_disclosures_request", "request_id"),
)

# FHIR Patient ids: an opaque hash of (facility, MRN), so no MRN appears in a URL; the
# row maps it back (written when the id is first handed out; derivable, so rebuildable).
fhir_patients = Table(
    "fhir_patients",
    metadata,
    Column("patient_id", String(40), primary_key=True),
    Column("facility", String(200), nullable=False),
    Column("mrn", String(64), nullable=False),
)

# SHA-1 of an original, as FHIR's Attachment.hash wants it: computed once from the
# immutable bytes, so a search page does not re-read every original.
document_sha1 = Table(
    "document_sha1",
    metadata,
    Column("doc_id", String(32), primary_key=True),
    Column("sha1", String(40), nullable=False),
)
