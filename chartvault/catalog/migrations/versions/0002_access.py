"""Accounts, roles, TOTP secrets, API tokens and second-person hold releases.

Revision ID: 0002_access
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_access"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(40), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TS, nullable=True),
        sa.Column("intakes", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "account_roles",
        sa.Column("account_id", sa.String(40), primary_key=True),
        sa.Column("role", sa.String(40), primary_key=True),
        sa.Column("granted_at", _TS, nullable=False),
        sa.Column("granted_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "totp_secrets",
        sa.Column("account_id", sa.String(40), primary_key=True),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(40), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("role", sa.String(40), nullable=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("mfa", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_index("ix_api_tokens_account", "api_tokens", ["account_id"])
    op.create_table(
        "hold_release_requests",
        sa.Column("hold_id", sa.String(40), primary_key=True),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("hold_release_requests")
    op.drop_index("ix_api_tokens_account", "api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("totp_secrets")
    op.drop_table("account_roles")
    op.drop_table("accounts")
