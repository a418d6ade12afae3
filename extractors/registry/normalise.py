"""Canonical forms shared by the index and the linker: identifiers, names, dates in text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_NON_ALPHA = re.compile(r"[^a-z]")
# OCR letter/digit confusions, applied only to tokens that are mostly digits.
_DIGIT_FIX = str.maketrans({"O": "0", "D": "0", "Q": "0", "L": "1", "I": "1", "S": "5",
                            "B": "8", "Z": "2"})
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_NUMERIC_DATE = re.compile(r"(?<![0-9])(\d{1,4})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{2,4})(?![0-9])")
_COMPACT_DATE = re.compile(r"(?<![0-9])((?:19|20)\d{2})(\d{2})(\d{2})(?![0-9])")
_MONTH_FIRST = re.compile(_MON + r"[\s\-/]*(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/]*(\d{2,4})(?![0-9])")
_DAY_FIRST = re.compile(r"(?<![0-9])(\d{1,2})(?:st|nd|rd|th)?[\s\-/]*" + _MON
                        + r",?[\s\-/]*(\d{2,4})(?![0-9])")


def identifier_key(value: str) -> str:
    """An identifier compared as letters and digits only, upper case ("571-9854" = "5719854")."""
    return _NON_ALNUM.sub("", value.upper())


def ocr_digit_variant(key: str) -> str | None:
    """``key`` with OCR confusions undone when it is mostly digits, else None."""
    digits = sum(c.isdigit() for c in key)
    if digits < 3 or digits < len(key) - 2:
        return None
    fixed = key.translate(_DIGIT_FIX)
    return fixed if fixed != key else None


def name_key(name: str) -> str:
    """A name compared without case, accents, punctuation or spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    return _NON_ALPHA.sub("", decomposed.encode("ascii", "ignore").decode().lower())


_WORD = re.compile(r"[a-z][a-z'\u2019.\-]*")
_WORD_PUNCT = str.maketrans("", "", "'\u2019.-")


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode().lower()


def name_words(text: str) -> set[str]:
    """Every word of the text as a name key (the pool names are confirmed against)."""
    found = (w.translate(_WORD_PUNCT) for w in _WORD.findall(_ascii_lower(text)))
    return {w for w in found if len(w) >= 2}


def _full_year(y: int, digits: int) -> tuple[int, ...]:
    if digits > 2:
        return (y,)
    return (1900 + y, 2000 + y)  # a two-digit year could be either century: keep both


def _add(out: set[date], years: tuple[int, ...], month: int, day: int) -> None:
    for y in years:
        try:
            out.add(date(y, month, day))
        except ValueError:
            continue


def _numeric(m: re.Match[str]) -> Iterator[tuple[tuple[int, ...], int, int]]:
    a, _, b, c = m.groups()
    if len(a) == 4:  # year first: ISO or Y/M/D
        yield (int(a),), int(b), int(c)
        return
    if len(c) not in (2, 4):
        return
    years = _full_year(int(c), len(c))
    yield years, int(a), int(b)  # month first (US)
    yield years, int(b), int(a)  # day first: ambiguous dates stand for both readings


def dates_in(text: str) -> set[date]:
    """Every calendar date the text can be read as printing (ambiguous ones both ways).

    Confirmation only asks "is this birth date printed?", so over-reading is safe: a date
    that is not printed cannot be confirmed by it.
    """
    low = text.lower()
    out: set[date] = set()
    for m in _NUMERIC_DATE.finditer(low):
        for years, month, day in _numeric(m):
            _add(out, years, month, day)
    for m in _COMPACT_DATE.finditer(low):
        _add(out, (int(m.group(1)),), int(m.group(2)), int(m.group(3)))
    for m in _MONTH_FIRST.finditer(low):
        _add(out, _full_year(int(m.group(3)), len(m.group(3))), _MONTHS[m.group(1)],
             int(m.group(2)))
    for m in _DAY_FIRST.finditer(low):
        _add(out, _full_year(int(m.group(3)), len(m.group(3))), _MONTHS[m.group(2)],
             int(m.group(1)))
    return out


_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-]*")
_DIGIT = re.compile(r"[0-9]")
_CONFUSABLE = re.compile(r"[ODQLISBZ]")


def identifier_tokens(text: str) -> set[str]:
    """Identifier-shaped keys in the text: words, their hyphen parts, and word pairs.

    Pairs catch an identifier OCR split in two ("MR 667212"); hyphen parts catch a label
    glued to the value ("MRN-12345"). Keys without a digit are dropped: every MRN has one.
    """
    out: set[str] = set()
    for line in text.upper().splitlines():
        prev = ""
        for w in _TOKEN.findall(line):
            key = _NON_ALNUM.sub("", w)
            if "-" in w:
                out.update(_NON_ALNUM.sub("", part) for part in w.split("-"))
            if prev and len(prev) + len(key) <= 24:
                out.add(prev + key)
            out.add(key)
            prev = key
    keys = {k for k in out if _DIGIT.search(k)}
    fixed = {v for k in keys if _CONFUSABLE.search(k) and (v := ocr_digit_variant(k))}
    return keys | fixed
