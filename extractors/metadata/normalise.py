"""Normalisers and validators: dates, names, MRNs, NPI, ICD-10-CM and CPT codes.

Robust to OCR noise where the context is numeric: O->0, l/I/|->1, S->5, B->8, Z->2.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5",
                            "B": "8", "Z": "2"})
CREDENTIALS = {"md", "do", "np", "pa", "pa-c", "rn", "phd", "facp", "facs", "mph", "dpm",
               "dds", "od", "aprn", "fnp", "fnp-c", "cnm", "crna", "mbbs", "dr", "m.d.", "d.o.",
               "facc", "faap", "facog", "m.d", "jr", "sr", "ii", "iii", "esq", "cnp", "pharmd"}
TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof", "prof."}


def fix_digits(s: str) -> str:
    """OCR letter/digit confusions in a token that should be numeric."""
    return s.translate(_DIGIT_FIX)


def _mk(y: int, m: int, d: int) -> date | None:
    if y < 100:
        y += 2000 if y <= 30 else 1900
    try:
        value = date(y, m, d)
    except ValueError:
        return None
    return value if 1880 <= value.year <= 2100 else None


_NUMERIC = re.compile(r"\b([0-9OolIS|BZ]{1,4})\s*([/.-])\s*([0-9OolIS|BZ]{1,2})\s*\2\s*"
                      r"([0-9OolIS|BZ]{2,4})\b")
_MONTH_FIRST = re.compile(r"\b([A-Za-z]{3,9})\.?\s+([0-9OlIS]{1,2})(?:st|nd|rd|th)?,?\s+"
                          r"([0-9OlIS]{4})\b")
_DAY_FIRST = re.compile(r"\b([0-9OlIS]{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s,-]+([0-9OlIS]{2,4})\b")
_COMPACT = re.compile(r"\b((?:19|20)\d{2})(\d{2})(\d{2})\b")


def parse_date(text: str) -> date | None:
    """First date in ``text`` (US order for numeric dates; ISO when the year leads)."""
    best: tuple[int, date] | None = None
    for m in _NUMERIC.finditer(text):
        a, b, c = (int(fix_digits(x)) for x in (m.group(1), m.group(3), m.group(4)))
        d = _mk(a, b, c) if len(m.group(1)) == 4 else _mk(c, a, b) or _mk(c, b, a)
        if d and (best is None or m.start() < best[0]):
            best = (m.start(), d)
    for m in _MONTH_FIRST.finditer(text):
        mon = MONTHS.get(m.group(1)[:3].lower())
        if mon:
            d = _mk(int(fix_digits(m.group(3))), mon, int(fix_digits(m.group(2))))
            if d and (best is None or m.start() < best[0]):
                best = (m.start(), d)
    for m in _DAY_FIRST.finditer(text):
        mon = MONTHS.get(m.group(2)[:3].lower())
        if mon:
            d = _mk(int(fix_digits(m.group(3))), mon, int(fix_digits(m.group(1))))
            if d and (best is None or m.start() < best[0]):
                best = (m.start(), d)
    if best is None:
        m2 = _COMPACT.search(text)
        if m2:
            d = _mk(int(m2.group(1)), int(m2.group(2)), int(m2.group(3)))
            if d:
                best = (m2.start(), d)
    return best[1] if best else None


def canonical_name_part(s: str) -> str:
    """'DOE' -> 'Doe', "O'BRIEN" -> "O'Brien", mixed case kept."""
    s = s.strip(" .,;:")
    if s.isupper() or s.islower():
        return "-".join("'".join(p[:1].upper() + p[1:].lower() for p in part.split("'"))
                        for part in s.split("-"))
    return s


def _clean_tokens(text: str) -> list[str]:
    words = re.split(r"\s+", text.strip())
    out = []
    for w in words:
        lw = w.lower().strip(",")
        if lw in TITLES:
            continue
        if lw.strip(".") in CREDENTIALS or lw in CREDENTIALS:
            break  # credentials end the name
        if re.fullmatch(r"[A-Za-z][A-Za-z'\-.]*", w.strip(",")):
            out.append(w)
        else:
            break
    return out


def parse_person(text: str) -> tuple[str | None, str | None]:
    """(given, family) from 'DOE, JANE A', 'Jane A. Doe', 'Doe, Jane, MD' ..."""
    text = re.split(r"\s{2,}|\t", text.strip())[0]
    text = re.sub(r"\([^)]*\)", " ", text).strip()
    if not text:
        return None, None
    if "," in text:
        family, _, rest = text.partition(",")
        fam_tokens = _clean_tokens(family)
        giv_tokens = [t for t in _clean_tokens(rest.replace(",", " ")) if len(t.strip(".")) > 1]
        if fam_tokens and giv_tokens and rest.strip().split()[0].lower().strip(".,") not in \
                CREDENTIALS:
            return canonical_name_part(giv_tokens[0]), canonical_name_part(" ".join(fam_tokens))
        # "John Smith, MD": the comma separated the credentials
        text = family
    tokens = [t for t in _clean_tokens(text)]
    tokens = [t for i, t in enumerate(tokens) if len(t.strip(".")) > 1 or i in (0,)]
    if len(tokens) < 2:
        return None, None
    given = tokens[0]
    family = tokens[-1]
    return canonical_name_part(given), canonical_name_part(family)


def clean_mrn(value: str) -> str | None:
    """MRN as printed, separators removed; None when it does not look like one."""
    token = re.split(r"\s{2,}", value.strip())[0].strip(" :#.")
    token = token.split()[0] if token.split() else ""
    token = re.sub(r"[-/.]", "", token)
    if not re.fullmatch(r"[A-Za-z]{0,3}[0-9OolIS]{3,}[A-Za-z]?", token):
        return None
    head = re.match(r"[A-Za-z]{0,3}", token)
    prefix = head.group(0) if head else ""
    digits = fix_digits(token[len(prefix):])
    if not re.fullmatch(r"[0-9]+[A-Za-z]?", digits):
        return None
    return (prefix.upper() + digits)[:20]


def npi_valid(npi: str) -> bool:
    """10 digits whose Luhn check over '80840' + the first nine digits holds."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, dgt in enumerate(reversed(digits)):
        if i % 2 == 0:
            dgt *= 2
            dgt = dgt - 9 if dgt > 9 else dgt
        total += dgt
    return (10 - total % 10) % 10 == int(npi[9])


ICD10 = re.compile(r"\b([A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?)\b")
CPT = re.compile(r"\b(?:CPT[\s:#-]*)?([0-9]{4}[0-9FT])\b")


def sex_from(value: str) -> Literal["F", "M", "U"] | None:
    """'Female' / 'F' / 'M' / 'male' -> F/M/U."""
    v = value.strip().lower()
    if v.startswith(("f", "w")):
        return "F"
    if v.startswith("m"):
        return "M"
    if v.startswith("u") or v.startswith("o"):
        return "U"
    return None
