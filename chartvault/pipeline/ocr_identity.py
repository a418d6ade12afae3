"""How sure OCR was of the record number a document would be filed under.

Two checks: the words' own confidence, and whether the text holds the number a second
way, one character apart (a page header read "T9437711" where the grid read "19437711").

A record number that Tesseract misread ("V9631697" read as "9631697", its first letter
lost) looks as clean in the text as one it read well, and no text rule can tell them
apart. Tesseract's own word confidence can: when every printed occurrence of the chosen
MRN was read with low confidence, the identity is not safe to file on. Text layers carry
no word confidences and are never doubted here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from chartvault.model import PageText

# Tesseract word confidence (0-100) under which a reading is a guess. Clean print scores
# 85-96; on the dev scans a misread MRN scored 0 (caught) and another 84 (not caught: a
# correctly read one scored 85, so a floor that high would be fitted to those pages).
MIN_MRN_CONF = 50.0
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
# Letters OCR swaps with digits: compared as the digit, so "MR0I23" meets "MRO123".
_LOOKALIKE = str.maketrans({"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "S": "5",
                            "B": "8", "Z": "2"})


def _key(s: str) -> str:
    return _NOT_ALNUM.sub("", s.upper()).translate(_LOOKALIKE)


def mrn_read_weakly(mrn: str | None, pages: Sequence[PageText]) -> bool:
    """True when OCR words hold the MRN and the best-read occurrence is below the floor.

    A word matches when it contains the MRN or is a piece of it (of four characters or
    more: "123 456 789" comes out as three words). No OCR words, or no word that matches,
    is no evidence of doubt.
    """
    if not mrn:
        return False
    key = _key(mrn)
    if not key:
        return False
    confs = []
    for page in pages:
        for word in page.words:
            w = _key(word.text)
            if w and (key in w or (len(w) >= 4 and w in key)):
                confs.append(word.conf)
    return bool(confs) and max(confs) < MIN_MRN_CONF


_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{3,}")


def mrn_read_two_ways(mrn: str | None, text: str) -> bool:
    """True when the text also holds the MRN with one character changed or one more.

    Registries hold patients whose numbers are one digit apart: of two readings of one
    print, filing under either may be filing under somebody else. A shorter reading
    ("99899" beside "998991") is the same print with a character lost, no doubt.
    """
    if not mrn or len(mrn) < 5:
        return False
    key = _NOT_ALNUM.sub("", mrn.upper())
    for m in _TOKEN.finditer(text):
        tok = _NOT_ALNUM.sub("", m.group().upper())
        if len(key) <= len(tok) <= len(key) + 1 and sum(c.isdigit() for c in tok) >= 4 \
                and Levenshtein.distance(tok, key, score_cutoff=1) == 1:
            return True
    return False


# Letters OCR takes for one another; a name read once with one of them swapped is in doubt.
_SWAPPABLE = [set("il1|!t"), set("o0qd"), set("ce"), set("nu"), set("hb"), set("s5"), set("a@")]
_WORD = re.compile(r"[^\W\d_]{5,}")


def _lookalike(a: str, b: str) -> bool:
    return any(a in group and b in group for group in _SWAPPABLE)


def name_read_two_ways(family: str | None, text: str) -> bool:
    """True when the text also holds the family name with one look-alike letter swapped.

    "ClinicaiSummary" in the grid and "ClinicalSummary" on the next page: one of them
    is misread, and the registry holds look-alike names; a person decides.
    """
    if not family or len(family) < 5:
        return False
    key = family.lower()
    for m in _WORD.finditer(text):
        tok = m.group().lower()
        if len(tok) != len(key) or tok == key:
            continue
        diff = [(x, y) for x, y in zip(tok, key, strict=True) if x != y]
        if len(diff) == 1 and _lookalike(*diff[0]):
            return True
    return False
