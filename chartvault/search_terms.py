"""What people type into a search: dates in common formats, document types by name.

Shared by the web page, the JSON API and the CLI so that the three read a query alike.
Messages never repeat a typed date (a birth date is patient data); a type key may be
repeated, it is not.
"""

from __future__ import annotations

import re
from datetime import date

from rapidfuzz import fuzz, process

from chartvault.errors import UserError
from chartvault.taxonomy import DOC_TYPES

DATE_FORMATS = "04/30/1964, 30.04.1964, 1964-04-30 or Apr 30 1964"


def parse_day(text: str | None, what: str = "date", *, birth: bool = False) -> date | None:
    """A typed day in a common format (None when empty); a UserError naming the formats."""
    from extractors.metadata.normalise import parse_date

    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    got = parse_date(value, birth=birth) if _only_date_words(value) else None
    if got is None:
        raise UserError(f"{what} not understood; write it like {DATE_FORMATS}")
    return got


def _only_date_words(value: str) -> bool:
    """Digits, separators and month names only: "30.04.19x4" is a typo, not 2019."""
    from extractors.metadata.normalise import MONTHS

    words = re.findall(r"[A-Za-z]+", value)
    ordinal = {"st", "nd", "rd", "th"}
    return any(c.isdigit() for c in value) and all(
        w.lower() in ordinal or w[:3].lower() in MONTHS for w in words) and not re.search(
        r"[^\w\s/.,-]", value)


def parse_dob(text: str | None) -> date | None:
    """A typed date of birth (two-digit years read as the latest past century)."""
    return parse_day(text, "date of birth", birth=True)


def _folded(text: str) -> str:
    return "_".join(text.lower().replace("/", " ").replace("-", " ").split())


_BY_NAME = {**{_folded(label): key for key, (_, label) in DOC_TYPES.items()},
            **{key: key for key in DOC_TYPES}}


def resolve_type(value: str | None) -> tuple[str | None, str | None]:
    """(type key, warning): a key or a label is taken; anything else gets a suggestion.

    An unknown type is kept as typed (it then finds nothing) with a warning naming the
    closest known type, so that a misspelling never passes for "no such documents".
    """
    if value is None or not value.strip():
        return None, None
    folded = _folded(value)
    if folded in _BY_NAME:
        return _BY_NAME[folded], None
    got = process.extractOne(folded, list(_BY_NAME), scorer=fuzz.WRatio)
    if got is not None and got[1] >= 60:
        key = _BY_NAME[got[0]]
        return value, (f"unknown document type {value!r}: no document can match; did you "
                       f"mean {key!r} ({DOC_TYPES[key][1]})?")
    return value, (f"unknown document type {value!r}: no document can match; the types are "
                   + ", ".join(DOC_TYPES))
