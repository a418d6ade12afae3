"""Catalog: an index over the archive (SQLAlchemy; SQLite embedded, PostgreSQL at scale)."""

from chartvault.catalog.repository import (
    Catalog,
    SearchCriteria,
    SearchHit,
    name_key,
    normalise_mrn,
)

__all__ = ["Catalog", "SearchCriteria", "SearchHit", "name_key", "normalise_mrn"]
