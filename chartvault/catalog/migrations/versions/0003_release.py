"""Release of information: requests, disclosures, FHIR patient ids and SHA-1 digests.

Revision ID: 0003_release
Revises: 0003_totp_seal
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_release"
down_revision = "0003_totp_seal"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "release_requests",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("requester_kind", sa.String(16), nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("authorization_doc_id", sa.String(32), nullable=True),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("facility", sa.String(200), nullable=False),
        sa.Column("mrn", sa.String(64), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("doc_types", sa.JSON(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(100), nullable=True),
        sa.Column("reviewed_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
    )
    op.create_index("ix_release_requests_due", "release_requests", ["status", "due_date"])
    op.create_index("ix_release_requests_patient", "release_requests", ["facility", "mrn"])
    op.create_table(
        "disclosures",
        sa.Column("disclosure_id", sa.String(40), primary_key=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("disclosed_at", _TS, nullable=False),
        sa.Column("disclosed_by", sa.String(100), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("facility", sa.String(200), nullable=False),
        sa.Column("mrn", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("doc_ids", sa.JSON(), nullable=False),
        sa.Column("packages", sa.JSON(), nullable=False),
    )
    op.create_index("ix_disclosures_patient", "disclosures",
                    ["facility", "mrn", "disclosed_at"])
    op.create_index("ix_disclosures_request", "disclosures", ["request_id"])
    op.create_table(
        "fhir_patients",
        sa.Column("patient_id", sa.String(40), primary_key=True),
        sa.Column("facility", sa.String(200), nullable=False),
        sa.Column("mrn", sa.String(64), nullable=False),
    )
    op.create_table(
        "document_sha1",
        sa.Column("doc_id", sa.String(32), primary_key=True),
        sa.Column("sha1", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("document_sha1")
    op.drop_table("fhir_patients")
    op.drop_index("ix_disclosures_request", "disclosures")
    op.drop_index("ix_disclosures_patient", "disclosures")
    op.drop_table("disclosures")
    op.drop_index("ix_release_requests_patient", "release_requests")
    op.drop_index("ix_release_requests_due", "release_requests")
    op.drop_table("release_requests")
