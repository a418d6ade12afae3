"""Audit trail guards: anchors table, head that only moves forward, PostgreSQL role.

On PostgreSQL the trail refuses TRUNCATE by trigger (privileges do not bind the owner or a
superuser, a trigger does until someone drops it, and the anchors catch that), and the
role ``chartvault_app`` gets DML only: no DDL, no TRUNCATE, no UPDATE/DELETE on the
trail. The services log in as a member of it; migrations run as the owner.

Revision ID: 0002_audit
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_audit"
down_revision = "0002_access"
branch_labels = None
depends_on = None

APP_ROLE = "chartvault_app"

_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS audit_head_no_delete BEFORE DELETE ON audit_head "
    "BEGIN SELECT RAISE(ABORT, 'the audit chain head is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_head_forward BEFORE UPDATE ON audit_head "
    "WHEN NEW.seq != OLD.seq + 1 OR NEW.id != OLD.id "
    "BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END",
)

_PG = (
    "CREATE OR REPLACE FUNCTION audit_trail_guard() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION '% on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME; "
    "END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION audit_head_forward() RETURNS trigger AS $$ BEGIN "
    "IF NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id THEN "
    "RAISE EXCEPTION 'the audit chain head only moves forward'; END IF; RETURN NEW; "
    "END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_guard()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_guard()",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_trail_guard()",
    "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_head_forward()",
    # The application role: created when the migrating role may (CREATEROLE), else the DBA
    # creates it and re-runs this revision's grants (README, "Audit trail").
    f"""DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- another database's migration created it just now (roles are cluster-wide)
    WHEN insufficient_privilege THEN
      RAISE NOTICE 'role {APP_ROLE} not created: the migrating role lacks CREATEROLE';
    END $$""",
    f"""DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        EXECUTE 'REVOKE CREATE ON SCHEMA public FROM PUBLIC';
        EXECUTE 'GRANT USAGE ON SCHEMA public TO {APP_ROLE}';
        EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}';
        EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}';
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {APP_ROLE}';
        EXECUTE 'REVOKE DELETE, TRUNCATE ON audit_head FROM {APP_ROLE}';
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_anchors FROM {APP_ROLE}';
        EXECUTE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {APP_ROLE}';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                'GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}';
      END IF;
    END $$""",
)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "audit_anchors",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    for ddl in _SQLITE if op.get_bind().dialect.name == "sqlite" else _PG:
        op.execute(ddl)


def downgrade() -> None:
    """Revert."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward")
    else:
        for trig, table in (("audit_no_truncate", "audit_events"),
                            ("audit_head_no_truncate", "audit_head"),
                            ("audit_head_no_delete", "audit_head"),
                            ("audit_head_forward", "audit_head")):
            op.execute(f"DROP TRIGGER IF EXISTS {trig} ON {table}")
    op.drop_table("audit_anchors")
