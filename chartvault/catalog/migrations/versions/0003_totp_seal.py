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
    """Apply."""
    if op.get_bind().dialect.name == "sqlite":  # SQLite does not enforce VARCHAR lengths
        return
    op.alter_column("totp_secrets", "secret", type_=sa.String(128),
                    existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    """Revert."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("totp_secrets", "secret", type_=sa.String(64),
                    existing_type=sa.String(128), existing_nullable=False)
