"""What differs between SQLite and PostgreSQL: full-text search and append-only triggers.

SQLite uses an FTS5 table (bm25 ranking); PostgreSQL a generated ``tsvector`` column
with a GIN index (``ts_rank``). Both are created by ``install`` after the portable tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, text

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5("
    "doc_id UNINDEXED, body, tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)

_PG_DDL = (
    "CREATE TABLE IF NOT EXISTS document_text (doc_id varchar(32) PRIMARY KEY,"
    " seq bigserial NOT NULL, body text NOT NULL,"
    " tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED)",
    "CREATE INDEX IF NOT EXISTS ix_document_text_tsv ON document_text USING gin(tsv)",
    "CREATE INDEX IF NOT EXISTS ix_document_text_seq ON document_text (seq)",
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_no_change ON audit_events",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
)

_WORD = re.compile(r"[\w'-]+", re.UNICODE)


def is_sqlite(conn: Connection) -> bool:
    """True on SQLite, False on PostgreSQL."""
    return conn.dialect.name == "sqlite"


def install(conn: Connection) -> None:
    """Create the dialect-specific objects (idempotent)."""
    for ddl in _SQLITE_DDL if is_sqlite(conn) else _PG_DDL:
        conn.execute(text(ddl))


def index_text(conn: Connection, doc_id: str, body: str) -> None:
    """Add a document's text to the full-text index."""
    table = "document_fts" if is_sqlite(conn) else "document_text"
    sql = text(f"INSERT INTO {table} (doc_id, body) VALUES (:d, :b)")
    conn.execute(sql, {"d": doc_id, "b": body})


def unindex_text(conn: Connection, doc_id: str) -> None:
    """Remove a document's text from the full-text index."""
    table = "document_fts" if is_sqlite(conn) else "document_text"
    conn.execute(text(f"DELETE FROM {table} WHERE doc_id = :d"), {"d": doc_id})


def query_terms(query: str) -> list[str]:
    """Words of a free-text query; operators and punctuation are dropped on purpose."""
    return [w for w in _WORD.findall(query) if w.strip("'-")]


# Ranking every match of a term found in most documents costs ~1 us per match (bm25 /
# ts_rank), 100 ms at 100k documents. Past this many matches, ranking runs over the
# newest RANK_WINDOW matches only (found by walking the index backwards, which is cheap);
# a query that broad gives an auditor nothing a narrower one would not.
RANK_WINDOW = 10_000
# PostgreSQL pays a de-TOAST of each candidate's tsvector to rank it: a smaller window.
PG_RANK_WINDOW = 2_000


def text_search(
    conn: Connection, query: str, limit: int, within: Sequence[str] | None = None
) -> list[tuple[str, float]]:
    """Best ``limit`` documents containing every word of ``query``, best first.

    ``within`` restricts the search to those document ids (structured criteria first).
    Scores are "higher is better" on both engines.
    """
    terms = query_terms(query)
    if not terms:
        return []
    if is_sqlite(conn):
        return _sqlite_search(conn, terms, limit, within)
    return _pg_search(conn, terms, limit, within)


def _sqlite_search(
    conn: Connection, terms: list[str], limit: int, within: Sequence[str] | None
) -> list[tuple[str, float]]:
    match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
    params: dict[str, object] = {"q": match, "n": limit}
    extra = ""
    if within is not None:
        if not within:
            return []
        extra = " AND doc_id IN :ids"
        params["ids"] = list(within)
    else:
        floor = conn.execute(
            text("SELECT rowid FROM document_fts WHERE document_fts MATCH :q "
                 "ORDER BY rowid DESC LIMIT 1 OFFSET :w"),
            {"q": match, "w": RANK_WINDOW - 1},
        ).scalar()
        if floor is not None:
            extra = " AND rowid >= :floor"
            params["floor"] = floor
    stmt = text(
        "SELECT doc_id, bm25(document_fts) AS r FROM document_fts "
        f"WHERE document_fts MATCH :q{extra} ORDER BY r LIMIT :n"
    )
    if within is not None:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
    return [(str(d), -float(r)) for d, r in conn.execute(stmt, params).all()]


def _pg_search(
    conn: Connection, terms: list[str], limit: int, within: Sequence[str] | None
) -> list[tuple[str, float]]:
    params: dict[str, object] = {"q": " ".join(terms), "n": limit, "w": PG_RANK_WINDOW}
    if within is not None:
        if not within:
            return []
        params["ids"] = list(within)
        sql = ("SELECT doc_id, ts_rank(tsv, q) AS r FROM document_text, "
               "plainto_tsquery('english', :q) q WHERE tsv @@ q AND doc_id = ANY(:ids) "
               "ORDER BY r DESC LIMIT :n")
    else:  # rank among the newest matches (see RANK_WINDOW)
        sql = ("SELECT doc_id, ts_rank(tsv, q) AS r FROM (SELECT doc_id, tsv FROM document_text "
               "WHERE tsv @@ plainto_tsquery('english', :q) ORDER BY seq DESC LIMIT :w) m, "
               "plainto_tsquery('english', :q) q ORDER BY r DESC LIMIT :n")
    rows = conn.execute(text(sql), params).all()
    return [(str(d), float(r)) for d, r in rows]


SNIPPET_MARKS = ("\x02", "\x03")  # around each matched word in a snippet (never in text)


def snippets(conn: Connection, doc_ids: Sequence[str], query: str) -> dict[str, str]:
    """The best short passage of each document for ``query``, matches between marks."""
    terms = query_terms(query)
    if not terms or not doc_ids:
        return {}
    start, stop = SNIPPET_MARKS
    if is_sqlite(conn):
        match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
        stmt = text(
            "SELECT doc_id, snippet(document_fts, 1, :a, :b, ' … ', 16) FROM document_fts "
            "WHERE document_fts MATCH :q AND doc_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        params: dict[str, object] = {"q": match, "a": start, "b": stop, "ids": list(doc_ids)}
    else:
        stmt = text(
            "SELECT doc_id, ts_headline('english', body, plainto_tsquery('english', :q), "
            ":opts) FROM document_text WHERE doc_id = ANY(:ids)")
        params = {"q": " ".join(terms), "ids": list(doc_ids),
                  "opts": f'StartSel="{start}", StopSel="{stop}", MaxWords=24, MinWords=10, '
                          'MaxFragments=2, FragmentDelimiter=" … "'}
    return {str(d): str(s or "") for d, s in conn.execute(stmt, params).all()}
