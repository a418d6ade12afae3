"""Outbox of the steps that follow a document's catalog commit.

Revision ID: 0002_intake
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_intake"
down_revision = "0002_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "outbox",
        sa.Column("step_id", sa.String(length=80), nullable=False),
        sa.Column("doc_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("step_id"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["done_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
