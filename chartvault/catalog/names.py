"""Patient-name search tolerant of spelling and OCR variants.

Two indexed phonetic keys per document (``family_key``, ``given_key``: American Soundex
after folding OCR confusions such as ``1``→``i``, ``rn``→``m``) narrow 100,000 documents
to the few hundred distinct names that sound like a query word; ``rapidfuzz`` then
scores those names word by word. A misspelling in one part is still found through the
other ("Laura Garcla" by its given name and the family's initial), and the first letter
may be wrong ("Karcia") because the query tries every letter that Soundex codes alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from sqlalchemy import Connection, and_, or_, select

from chartvault.catalog.schema import documents

_CODES = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
          **dict.fromkeys("dt", "3"), "l": "4", "m": "5", "n": "5", "r": "6"}
_SAME_CODE = {c: "".join(k for k, v in _CODES.items() if v == code)
              for c, code in _CODES.items()}
_OCR_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "g",
                             "7": "t", "8": "b", "2": "z", "|": "l", "!": "i"})
_OCR_PAIRS = (("rn", "m"), ("vv", "w"))

MIN_WORD = 75.0  # each query word must match some word of the name this well (0-100;
# a typed word that begins a word of the name, "Garc" of "Garcia", counts 95)
MIN_MEAN = 80.0  # and all of them on average
MIN_WHOLE = 85.0  # or the letters of the whole name, spaces aside, this well
MAX_NAMES = 200  # best-scoring distinct names kept for the documents query
MAX_CANDIDATES = 20_000  # distinct names scored at most


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lower-case ASCII letters and spaces, OCR digit confusions read as letters."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    ascii_ = ascii_.replace("'", "").replace("`", "").translate(_OCR_DIGITS)
    for wrong, right in _OCR_PAIRS:
        ascii_ = ascii_.replace(wrong, right)
    return " ".join("".join(c if c.isalpha() else " " for c in ascii_).split())


def soundex(word: str) -> str | None:
    """American Soundex of one folded word (``garcia`` → ``G620``), None when empty."""
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return None
    out = [letters[0].upper()]
    last = _CODES.get(letters[0], "")
    for c in letters[1:]:
        code = _CODES.get(c, "")
        if code and code != last:
            out.append(code)
            if len(out) == 4:
                break
        if c not in "hw":  # h and w do not separate letters of the same code
            last = code
    return "".join(out).ljust(4, "0")


def part_key(part: str | None) -> str | None:
    """Phonetic key of a name part: the Soundex of its first word (after folding)."""
    words = fold(part or "").split()
    return soundex(words[0]) if words else None


def name_columns(family: str | None, given: str | None) -> dict[str, str | None]:
    """The search columns of a patient name (set wherever ``name_key`` is set)."""
    from chartvault.catalog.repository import name_key

    return {"name_key": name_key(family, given), "family_key": part_key(family),
            "given_key": part_key(given)}


def key_variants(word: str) -> set[str]:
    """Soundex keys of ``word`` with any first letter that codes the same (a misread one)."""
    key = soundex(word)
    if key is None:
        return set()
    first = key[0].lower()
    alike = _SAME_CODE.get(first, "aeiouy" if first in "aeiouy" else first)
    return {c.upper() + key[1:] for c in alike} | {key}


@dataclass(frozen=True)
class NameQuery:
    """A typed name split into folded words; one word means a family name."""

    words: tuple[str, ...]
    _ratios: dict[tuple[str, str], float] = field(default_factory=dict, compare=False,
                                                  repr=False)

    def _ratio(self, word: str, target: str) -> float:
        """Word against word, cached: candidate names share most of their words."""
        got = self._ratios.get((word, target))
        if got is None:
            got = 95.0 if len(word) >= 3 and target.startswith(word) else fuzz.ratio(
                word, target)
            self._ratios[(word, target)] = got
        return got

    @classmethod
    def parse(cls, text: str) -> NameQuery:
        """'Family', 'Family, Given', 'Given Family' or 'Family Given' alike."""
        return cls(tuple(fold(text).split()))

    def keys(self) -> list[str]:
        """Every phonetic key a matching name part may have."""
        return sorted({k for w in self.words for k in key_variants(w)})

    def score(self, name_key: str, family: str | None) -> float:
        """0-100: how well the name matches, word by word; 0 when a word has no match."""
        targets = fold(family or "").split() if len(self.words) == 1 else fold(name_key).split()
        if not targets or not self.words:
            return 0.0
        best = [max(self._ratio(w, t) for t in targets) for w in self.words]
        by_word = sum(best) / len(best) if min(best) >= MIN_WORD else 0.0
        # words split or joined differently ("O Brien" / "OBrien", "De la Cruz"): the
        # letters alone, in the name's order or the other way round
        typed = "".join(self.words)
        given = [t for t in fold(name_key).split() if t not in targets] if len(
            self.words) == 1 else []
        whole = max(fuzz.ratio(typed, "".join(targets + given)),
                    fuzz.ratio(typed, "".join(given + targets)))
        score = max(by_word, whole if whole >= MIN_WHOLE else 0.0)
        return score if score >= MIN_MEAN else 0.0


GOOD_ENOUGH = 90.0  # a name this close found with the exact keys: skip the wider pass


def matching_names(conn: Connection, text: str) -> dict[str, float]:
    """``name_key`` → score of the distinct catalogued names that match ``text``, best first.

    First with the words' own phonetic keys; only when that finds nothing this close,
    again with every first letter that codes alike (a misread initial).
    """
    query = NameQuery.parse(text)
    exact = sorted({k for w in query.words if (k := soundex(w))})
    if not exact:
        return {}
    scored = _scored(conn, query, exact)
    if max(scored.values(), default=0.0) < GOOD_ENOUGH:
        wider = sorted(set(query.keys()) - set(exact))
        for key, score in _scored(conn, query, wider).items():
            scored[key] = max(score, scored.get(key, 0.0))
    best = sorted(scored.items(), key=lambda kv: kv[1], reverse=True)[:MAX_NAMES]
    return dict(best)


def _scored(conn: Connection, query: NameQuery, keys: list[str]) -> dict[str, float]:
    """Scores of the names whose family key, or given key and initial, is one of ``keys``."""
    if not keys:
        return {}
    d = documents.c
    # by the given name, only names whose family starts as a typed word does: a misspelt
    # family keeps its first letter far more often than not (a misread one is found
    # through the family's own key variants)
    initials = sorted({w[0] for w in query.words})
    by_given = and_(d.given_key.in_(keys), or_(*[d.name_key.like(c + "%") for c in initials]))
    q = (select(d.name_key, d.patient_family)
         .where(or_(d.family_key.in_(keys), by_given),
                d.status != "destroyed", d.name_key.is_not(None))
         .distinct().limit(MAX_CANDIDATES))
    scored: dict[str, float] = {}
    for key, family in conn.execute(q):
        s = query.score(str(key), family)
        if s > scored.get(str(key), 0.0):
            scored[str(key)] = s
    return {k: v for k, v in scored.items() if v > 0}


def fill_missing(rows: Sequence[dict[str, object]]) -> None:
    """Complete bulk rows with the search columns of their names (in place)."""
    for row in rows:
        if "family_key" not in row:
            row.update(name_columns(row.get("patient_family"),  # type: ignore[arg-type]
                                    row.get("patient_given")))  # type: ignore[arg-type]
