"""Indexes of the intake status: documents catalogued per day, batches by start.

Revision ID: 0006_webwork
Revises: 0005_websearch
"""

from __future__ import annotations

from alembic import op

revision = "0006_webwork"
down_revision = "0005_websearch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_index("ix_documents_ingested", "documents",
                    ["ingested_at", "intake", "pages", "needs_review"], unique=False)
    op.create_index("ix_batches_started", "batches", ["started_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_batches_started", table_name="batches")
    op.drop_index("ix_documents_ingested", table_name="documents")
