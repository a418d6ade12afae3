"""Indexes of the work pages: the review queue and the open quarantine, paged.

Revision ID: 0004_webwork
Revises: 0003_release
"""

from __future__ import annotations

from alembic import op

revision = "0004_webwork"
down_revision = "0003_release"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_index("ix_documents_review", "documents",
                    ["needs_review", "status", "ingested_at", "doc_id", "batch_id", "intake"],
                    unique=False)
    op.create_index("ix_quarantine_open", "quarantine", ["resolved", "at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_quarantine_open", table_name="quarantine")
    op.drop_index("ix_documents_review", table_name="documents")
