"""TOTP secrets are stored sealed (AES-GCM), which needs a wider column.

Revision ID: 0003_totp_seal
Revises: 0002_intake
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_totp_seal"
down_revision = "0002_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply (SQLite: a table copy, which batch mode does)."""
    with op.batch_alter_table("totp_secrets") as batch:
        batch.alter_column("secret", type_=sa.String(128), existing_type=sa.String(64),
                           existing_nullable=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("totp_secrets") as batch:
        batch.alter_column("secret", type_=sa.String(64), existing_type=sa.String(128),
                           existing_nullable=False)
