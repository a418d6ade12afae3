"""The scope rule: a document is released only if the request's scope covers it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chartvault.release.model import OutOfScope, Scope


def served(row: Mapping[Any, Any]) -> Any:
    """The date a record is of (care date, else writing date), as the catalog sorts it."""
    return row["service_date"] or row["document_date"]


def covers(scope: Scope, row: Mapping[Any, Any]) -> bool:
    """Whether ``scope`` covers the document ``row`` (archived, patient, dates, type)."""
    if row["status"] != "archived":
        return False
    if row["facility"] != scope.facility or row["mrn"] != scope.mrn:
        return False
    if scope.doc_types and row["doc_type"] not in scope.doc_types:
        return False
    when = served(row)
    if (scope.date_from or scope.date_to) and when is None:
        return False  # an undated record cannot be shown to lie inside a date range
    if scope.date_from and when < scope.date_from:
        return False
    return not (scope.date_to and when > scope.date_to)


def outside(scope: Scope, asked: Sequence[str],
            rows: Iterable[Mapping[Any, Any]]) -> list[str]:
    """Ids among ``asked`` that the scope does not cover (unknown ids included)."""
    inside = {r["doc_id"] for r in rows if covers(scope, r)}
    return [d for d in asked if d not in inside]


def check(scope: Scope, asked: Sequence[str],
          rows: Iterable[Mapping[Any, Any]]) -> None:
    """Raise ``OutOfScope`` naming the first documents (ids) outside the scope."""
    out = outside(scope, asked, rows)
    if out:
        raise OutOfScope(f"{len(out)} document(s) outside the request's scope, e.g. "
                         f"{', '.join(out[:3])}: not released")
