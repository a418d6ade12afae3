"""Phonetic keys of patient names for tolerant name search (``chartvault.catalog.names``).

Revision ID: 0005_websearch
Revises: 0004_webwork
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_websearch"
down_revision = "0004_webwork"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``family_key`` and ``given_key`` (indexed) and fill them for existing rows."""
    from chartvault.catalog.names import part_key

    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("family_key", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("given_key", sa.String(length=8), nullable=True))
        # covering indexes: the name search reads these three columns from the index alone
        batch_op.create_index("ix_documents_family_key",
                              ["family_key", "name_key", "patient_family"], unique=False)
        batch_op.create_index("ix_documents_given_key",
                              ["given_key", "name_key", "patient_family"], unique=False)
    conn = op.get_bind()
    docs = sa.table("documents", sa.column("doc_id"), sa.column("patient_family"),
                    sa.column("patient_given"), sa.column("family_key"),
                    sa.column("given_key"))
    rows = conn.execute(sa.select(docs.c.doc_id, docs.c.patient_family, docs.c.patient_given)
                        .where(docs.c.patient_family.is_not(None))).all()
    stmt = (sa.update(docs).where(docs.c.doc_id == sa.bindparam("d"))
            .values(family_key=sa.bindparam("f"), given_key=sa.bindparam("g")))
    batch = [{"d": d, "f": part_key(fam), "g": part_key(giv)} for d, fam, giv in rows]
    for start in range(0, len(batch), 5000):
        conn.execute(stmt, batch[start:start + 5000])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_index("ix_documents_given_key")
        batch_op.drop_index("ix_documents_family_key")
        batch_op.drop_column("given_key")
        batch_op.drop_column("family_key")
