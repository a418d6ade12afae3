"""Candidate values from a chart's text, each with the kind of evidence behind it.

Layouts understood (by rule, not by example): "Label: value" pairs, several per line
("Patient Name: DOE, JANE  Date of Birth: 01/02/1960"); a label alone on its line with the
value on the next; header tables whose first line holds labels and the next their values
("PATIENT NAME  DOB  SEX  MRN" / "DOE, JANE ...", also "Name / DOB / MRN"); letters
("RE: Jane Doe"); letterheads (facility = the organisation at the top); signature blocks
("Electronically signed by" / "John Smith, MD"); narrative evidence (pronouns, "a
45-year-old woman", "I saw her today"). The evidence kind selects the calibrated
confidence of a value (see ``calibration``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.metadata.labels import label_field


@dataclass(frozen=True)
class Candidate:
    """A value found for a field, with where and how it was found."""

    field: str
    value: str
    start: int  # character offset in the text
    kind: str  # inline | below | table | letterhead[_weak] | signature[_weak] | dateline ...


Line = tuple[int, str]
_TERM = re.compile(r"[:#]")
_WORD = re.compile(r"\S+")
CELL_SPLIT = re.compile(r"\s{2,}|\t|\s+[|/]\s+|\s*\|\s*")


def lines_of(text: str) -> list[Line]:
    """(offset, line) pairs; page breaks count as line breaks."""
    out, pos = [], 0
    for line in text.replace("\f", "\n").split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _labels_in(line: str) -> list[tuple[int, int, str]]:
    """(label start, value start, field) of every label on a line, left to right."""
    found: list[tuple[int, int, str]] = []
    bound = 0
    for t in _TERM.finditer(line):
        p = t.start()
        if t.group() == "#" and line[p + 1:p + 2] in (":", "#"):
            continue  # "MRN #:" ends at the colon
        words = list(_WORD.finditer(line, bound, p))
        for k in range(min(6, len(words)), 0, -1):
            first = words[-k]
            phrase = line[first.start():p]
            if not phrase[0].isalpha() or sum(ch.isdigit() for ch in phrase) > 1:
                continue  # a date's tail ("22, 1976 Sex") is no label; "D0B" is
            field = label_field(phrase.replace("0", "o"))
            if field:
                if field == "document" and line[first.start():p].strip().lower() == "d" \
                        and line[:first.start()].strip():
                    break  # "D:" only counts at the start of a line (dictation stamp)
                found.append((first.start(), p + 1, field))
                bound = p + 1
                break
    return found


def inline_pairs(lines: list[Line]) -> list[Candidate]:
    """'Label: value' pairs; a value runs to the next label; a bare label takes the next line."""
    out: list[Candidate] = []
    for i, (off, line) in enumerate(lines):
        if ":" not in line and "#" not in line:
            continue
        labels = _labels_in(line)
        for j, (_, vstart, field) in enumerate(labels):
            end = labels[j + 1][0] if j + 1 < len(labels) else len(line)
            raw = line[vstart:end]
            value = raw.strip(" \t:;|#")
            if field == "ignore":
                continue
            if value:
                out.append(Candidate(field, value, off + vstart + raw.find(value), "inline"))
            elif len(labels) == 1 and not line[:labels[0][0]].strip():
                below = _value_below(lines, i)
                if below:
                    out.append(Candidate(field, below[1], below[0], "below"))
    return out


def _value_below(lines: list[Line], i: int) -> tuple[int, str] | None:
    for off, line in lines[i + 1:i + 3]:
        if not line.strip():
            continue
        if _labels_in(line) or ":" in line:
            return None
        cell = CELL_SPLIT.split(line.strip())[0]
        return off + line.find(cell), cell
    return None


def _cells(line: str) -> list[str]:
    """Cells of a row; specks of scan noise (".", "_", "!") are not cells."""
    return [c for c in CELL_SPLIT.split(line.strip()) if any(ch.isalnum() for ch in c)
            and not (len(c) == 1 and c in "xX*+")]


def header_tables(lines: list[Line]) -> list[Candidate]:
    """Label rows followed by value rows with the same number of cells."""
    out: list[Candidate] = []
    for i in range(len(lines) - 1):
        line = lines[i][1]
        if len(line) > 160 or (line.count(":") > 0 and not line.rstrip().endswith(":")):
            continue
        cells = _cells(line)
        if len(cells) < 2:
            continue
        fields = [label_field(c) for c in cells]
        if any(f is None for f in fields) or sum(f != "ignore" for f in fields) < 1:
            continue
        voff, vline = lines[i + 1]
        values = _cells(vline)
        if len(values) != len(cells):
            out.extend(_typed_alignment(fields, voff, vline))
            continue
        pos = 0
        for f, v in zip(fields, values, strict=True):
            at = vline.find(v, pos)
            pos = at + len(v) if at >= 0 else pos
            if f and f != "ignore":
                out.append(Candidate(f, v, voff + max(at, 0), "table"))
    return out


_DATE_TOKEN = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
                         r"[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2}-[A-Z][a-z]{2}-\d{4})\b")
_SEX_TOKEN = re.compile(r"(?<!\S)(M|F|Male|Female|Femdle|Maie|U|Unknown)(?!\S)")
_DATE_FIELDS = ("dob", "service", "admission", "discharge", "document", "document_generic")


def _typed_alignment(fields: list[str | None], voff: int, vline: str) -> list[Candidate]:
    """Cells merged or lost by OCR: give each label the value of its type, in order.

    Dates go to the date labels left to right when their counts agree; a lone sex token
    to SEX; a lone record-number-like token to MRN.
    """
    out: list[Candidate] = []
    dates = list(_DATE_TOKEN.finditer(vline))
    date_fields = [f for f in fields if f in _DATE_FIELDS]
    if dates and len(dates) == len(date_fields):
        for f, m in zip(date_fields, dates, strict=True):
            if f:
                out.append(Candidate(f, m.group(0), voff + m.start(), "table"))
    rest = _DATE_TOKEN.sub(" ", vline)
    if "sex" in fields:
        sm = list(_SEX_TOKEN.finditer(rest))
        if len(sm) == 1:
            out.append(Candidate("sex", sm[0].group(1), voff + sm[0].start(), "table"))
    if "mrn" in fields:
        mm = re.findall(r"(?<!\S)[A-Z]{0,3}\d[\d-]{3,}[A-Z]?(?!\S)", rest)
        if len(mm) == 1:
            out.append(Candidate("mrn", mm[0], voff + vline.find(mm[0]), "table"))
    return out


_ORG_WORDS = re.compile(r"(hospital|medical|clinic|health|center|centre|care\b|associates|"
                        r"physicians|practice|group|institute|partners|system|university|"
                        r"pediatrics|surgery|surgical|orthopedic|cardiology|imaging|radiology|"
                        r"labs?\b|laboratory|family|memorial|regional|community|wellness|"
                        r"services|specialists|healthcare|infirmary|md\b|p\.?a\.?$|llc|inc\b)",
                        re.IGNORECASE)
_TITLE_WORDS = re.compile(r"\b(summary|report|note|history|consultation|consult|letter|"
                          r"discharge|progress|operative|procedure|record|results?|document|"
                          r"transfer|referral|plan of care|visit|physical|examination|"
                          r"radiology report|pathology|emergency department)\b", re.IGNORECASE)
_ADDRESS = re.compile(r"^\d+\s+\w+|\b(tel|fax|phone|suite|ste\.?|p\.?o\.? box)\b|"
                      r"\b[A-Z]{2},?\s+\d{5}\b|\d{3}[)\-.\s]+\d{3}[\-.\s]\d{4}", re.IGNORECASE)
_FAX_LINE = re.compile(r"\b(from|to)\s*:|p\.\s*\d{3}|\bpage\s+\d|\d{1,2}:\d{2}", re.IGNORECASE)


def letterhead(lines: list[Line]) -> list[Candidate]:
    """The organisation named at the top of the first page, above the demographics."""
    seen = 0
    for off, line in lines[:12]:
        if not line.strip():
            continue
        seen += 1
        if seen > 5 or _labels_in(line):
            break
        if _FAX_LINE.search(line):
            continue
        cells = [c for c in CELL_SPLIT.split(line.strip()) if c]
        if not cells or label_field(cells[0]):
            break
        name = cells[0]  # a title printed on the same line, right-aligned, is not the name
        if _ADDRESS.search(name) or len(name) < 4 or len(name) > 80:
            continue
        org = _ORG_WORDS.search(name)
        if _TITLE_WORDS.search(name) and not (org and org.group(1).lower() not in ("care",)):
            continue
        if not any(ch.isalpha() for ch in name) or re.search(r"\d{2}", name):
            continue
        return [Candidate("facility", name.strip(" .,:;"), off,
                          "letterhead" if org else "letterhead_weak")]
    return []


_CRED = (r"(?:M\.?\s?D\.?|D\.?\s?O\.?|NP|PA-C|PA|RN|DPM|FACS|FACP|FACC|PhD|Ph\.D\.|MBBS|APRN|"
         r"FNP(?:-[BC]C?)?|CNP|DDS|DMD|OD|O\.D\.|CRNP|ARNP|DNP|MPH|CNM)")
SIGNATURE = re.compile(rf"^\s*(?:/s/\s*)?(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+\.?(?:\s+[A-Z]\.?)?"
                       rf"(?:\s+[A-Z][A-Za-z'\-]+){{1,2}}),?\s+{_CRED}"
                       rf"(?:\s*,\s*{_CRED})*\s*(?:,?\s*[A-Z][a-z]+)?\s*(?:$|\s{{2,}}|\s+on\s)")
_SIGN_CUE = re.compile(r"(electronically signed|signed by|dictated by|sincerely|respectfully|"
                       r"signature|attending physician:?\s*$|signed:?\s*$|authenticated by|"
                       r"regards|reviewed and signed|interpreted by:?\s*$|^\s*/s/)",
                       re.IGNORECASE)
_CUED_NAME = re.compile(r"^\s*(?:/s/\s*)?(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?"
                        r"(?:\s+[A-Z][A-Za-z'\-]+){1,2})\s*(?:,.*)?$")
_SIGNED_SAME_LINE = re.compile(r"(?i:electronically\s+signed|signed|dictated|authenticated)\s+"
                               r"(?i:by)\s*:?\s+(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?"
                               r"(?:\s+[A-Z][A-Za-z'\-]+){1,2}?)(?=\s*(?:,|$|\s+on\b|\s{2}))")


def signatures(lines: list[Line]) -> list[Candidate]:
    """Clinician names in signature blocks (after a cue, or 'Name, MD' lines)."""
    out = []
    for i, (off, line) in enumerate(lines):
        if not line or len(line) > 120:
            continue
        prev = lines[i - 1][1] if i > 0 else ""
        cued = bool(_SIGN_CUE.search(prev)) and ":" not in prev.split("by")[-1].strip(" :")
        m = SIGNATURE.match(line)
        if m:
            out.append(Candidate("author", m.group(1), off + m.start(1),
                                 "signature" if cued else "signature_weak"))
            continue
        if cued and not _labels_in(line):
            m2 = _CUED_NAME.match(line)
            if m2 and not _TITLE_WORDS.search(m2.group(1)):
                out.append(Candidate("author", m2.group(1), off + m2.start(1), "signature"))
                continue
        m3 = _SIGNED_SAME_LINE.search(line)
        if m3 and ":" not in line[:m3.start(1)].split("by")[-1]:
            out.append(Candidate("author", m3.group(1), off + m3.start(1), "signature"))
    return out


_DATE_ONLY = re.compile(r"^\s*(?:[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|"
                        r"\d{4}-\d{2}-\d{2}|\d{1,2}[ -][A-Z][a-z]{2,8}[ -]\d{4})\s*$")


def date_lines(lines: list[Line]) -> list[Candidate]:
    """A line holding only a date near the top: a letter's date."""
    return [Candidate("document", line.strip(), off, "dateline")
            for off, line in lines[:10] if _DATE_ONLY.match(line)]


_AGE = re.compile(r"\b(\d{1,3})[\s-]*(?:years?|yrs?)[\s-]*old\b|\b(\d{1,3})\s*(?:y/o|yo|y\.o\.)"
                  r"(?!\w)|\((\d{1,3})\s*y\)", re.IGNORECASE)
_PERSON = re.compile(r"\b\d{1,3}[\s-]*(?:year|yr|month|week|day)s?[\s-]*old\s+"
                     r"(woman|female|lady|girl|man|male|gentleman|boy)\b", re.IGNORECASE)
_YO_SEX = re.compile(r"\b\d{1,3}\s*(?:yo|y/o|y\.o\.|yr)\s*([MF])\b")
_PRONOUNS = re.compile(r"\b(she|her|hers|herself|he|his|him|himself)\b", re.IGNORECASE)
_SEEN_ON = re.compile(r"\b(?:saw|seen|seeing|evaluated|examined|visited)\b[^.\n]{0,80}?\bon\s+"
                      r"((?:[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4})|\d{1,2}/\d{1,2}/\d{2,4}|"
                      r"\d{4}-\d{2}-\d{2}|\d{1,2}-[A-Z][a-z]{2}-\d{4})")
_SEEN_TODAY = re.compile(r"\b(?:saw|seen|seeing|evaluated|examined)\b(?:[^.\n]|(?<=Mr|Ms|Dr)\.|"
                         r"(?<=Mrs)\.){0,80}?\btoday\b",
                         re.IGNORECASE)


def narrative(text: str, lines: list[Line]) -> list[Candidate]:
    """Evidence from prose: age, sex words and pronouns, a letter's visit date."""
    head = text[:6000]
    out = [Candidate("age", next(g for g in m.groups() if g), m.start(), "narrative")
           for m in _AGE.finditer(head)]
    out += [Candidate("sex", m.group(1), m.start(1), "phrase") for m in _PERSON.finditer(head)]
    out += [Candidate("sex", m.group(1), m.start(1), "phrase") for m in _YO_SEX.finditer(head)]
    words = [w.lower() for w in _PRONOUNS.findall(head)]
    fem = sum(w.startswith(("she", "her")) for w in words)
    mas = len(words) - fem
    if fem >= 2 and fem > 3 * mas:
        out.append(Candidate("sex", "F", 0, "pronoun"))
    elif mas >= 2 and mas > 3 * fem:
        out.append(Candidate("sex", "M", 0, "pronoun"))
    if any(line.lstrip().lower().startswith("dear ") for _, line in lines[:40]):
        out += [Candidate("service", m.group(1), m.start(1), "narrative")
                for m in _SEEN_ON.finditer(head)]
        out += [Candidate("service", "today", m.start(), "today")
                for m in _SEEN_TODAY.finditer(head)]
    return out


_NPI = re.compile(r"\bNPI\b\s*(?:#|No\.?|Number)?\s*:?\s*([0-9OlIS][0-9OlIS \-]{8,12}[0-9OlIS])")


def npis(text: str) -> list[Candidate]:
    """Numbers printed after 'NPI'."""
    return [Candidate("npi", m.group(1), m.start(1), "inline") for m in _NPI.finditer(text)]


def candidates(text: str) -> list[Candidate]:
    """Every candidate of every field, in text order."""
    lines = lines_of(text)
    found = inline_pairs(lines)
    found += header_tables(lines)
    found += letterhead(lines)
    found += signatures(lines)
    found += date_lines(lines)
    found += narrative(text, lines)
    found += npis(text)
    return sorted(found, key=lambda c: c.start)
