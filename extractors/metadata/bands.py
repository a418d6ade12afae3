"""Identity printed without its own labels: demographic bands and "Re:" segments.

Many chart headers print the patient's name with no label at the head of a demographic
row whose other cells are labelled ("DOE, JANE    DOB: 01/02/1960    F    MRN: 123456"),
and a lone "M"/"F" cell beside them; letters pack the identity into one "Re:" line cut
by semicolons ("Re: Patient Doe, Jane; date of birth 01/02/1960; 123456"). The row's
labels are what make such a cell an identity: a name-like cell on a line with no
DOB/MRN/sex label is never taken. Candidates found here have their own evidence kind
("band"), ranked below labelled values and calibrated separately.
"""

from __future__ import annotations

import re

from extractors.metadata import cells as C
from extractors.metadata import fields as F
from extractors.metadata.fields import (
    _LEAD_SPECKS,
    CELL_SPLIT,
    HEAD_LINES,
    Candidate,
    Line,
    _labels_in,
)
from extractors.metadata.labels import label_field
from extractors.metadata.normalise import clean_mrn, parse_person

_IDENTITY = {"dob", "mrn", "sex", "age_sex"}
_SEX_TOKEN = re.compile(r"(?<!\S)[‘’'`.,]?(?:M|F|Male|Female)[.,]?(?!\S)")
_SEX_CELL = re.compile(r"[‘’'`.,]?(M|F|Male|Female)[.,]?")
# A person as printed in a band: "DOE, JANE [A]" or "Jane [A.] Doe", letters only.
_NAME_CELL = re.compile(r"[A-Za-z][A-Za-z'`.\-]+,\s*[A-Za-z][A-Za-z'`.\-]+(?:\s+[A-Z]\.?)?|"
                        r"[A-Z][A-Za-z'`.\-]+(?:\s+[A-Z]\.?)?\s+[A-Z][A-Za-z'`.\-]+")
_MRN_SHAPE = re.compile(r"[A-Z]{0,3}\d{5,}[A-Z]?")


def _cells(line: str) -> list[tuple[int, str]]:
    """(offset, cell) of a line's cells, split at wide gaps."""
    out, pos = [], 0
    for cell in CELL_SPLIT.split(line):
        at = line.find(cell, pos) if cell else -1
        if cell.strip() and at >= 0:
            out.append((at + len(cell) - len(cell.lstrip()), cell.strip()))
            pos = at + len(cell)
    return out


def name_bands(lines: list[Line]) -> list[Candidate]:
    """Unlabelled name at the head of a labelled demographic row, and a lone sex cell.

    The first cell must read as a person and hold no label; the same line must carry a
    date-of-birth, record-number or sex label. A cell that is only "M", "F", "Male" or
    "Female" on such a line is the sex.
    """
    out: list[Candidate] = []
    for off, line in lines[:HEAD_LINES]:
        if ":" not in line and "#" not in line:
            continue
        # cheap tests first: a name-like first cell or a lone sex token, then the labels
        first = CELL_SPLIT.split(line.strip(), maxsplit=1)[0].lstrip(_LEAD_SPECKS)
        named = _NAME_CELL.fullmatch(first) is not None
        if not named and not _SEX_TOKEN.search(line):
            continue
        labels = _labels_in(line, fuzzy=True)
        if not labels or not any(f in _IDENTITY or f.startswith("combo:") for _, _, f in labels):
            continue
        cells = _cells(line)
        first_at = cells[0][0] + len(cells[0][1]) - len(first)  # after leading specks
        if named and first_at < labels[0][0] and not label_field(first) \
                and all(parse_person(first)):
            out.append(Candidate("name", first, off + first_at, "band"))
        if not any(f in ("sex", "age_sex") for _, _, f in labels):
            sexes = [(at, c) for at, c in cells if _SEX_CELL.fullmatch(c)]
            if len(sexes) == 1:
                out.append(Candidate("sex", sexes[0][1], off + sexes[0][0], "band"))
    return out


def _segment_label(seg: str) -> tuple[str, int] | None:
    """(identity field, value start) of a segment that opens with its label, longest first."""
    words = list(re.finditer(r"[^\s:#]+", seg))
    for k in range(min(4, len(words) - 1), 0, -1):
        field = label_field(seg[:words[k - 1].end()], fuzzy=True)
        if field in ("dob", "mrn", "sex"):
            return field, words[k].start()
    return None


_PAREN = re.compile(r"\(([^()]{3,40})\)")


def parenthesised(c: Candidate) -> list[Candidate]:
    """Labelled identity fields in a name's parentheses: "Jane Doe (DOB 03/12/1960)"."""
    out: list[Candidate] = []
    for m in _PAREN.finditer(c.value):
        inner = m.group(1)
        hit = C.leading_label(inner)
        if (hit and hit[0] in ("dob", "mrn", "sex", "age_sex")) or (
                hit and hit[0].startswith("combo:")):
            value = inner[hit[1]:].strip()
            if value and C.typed(hit[0], value):
                out += C.emit(hit[0], value, c.start + m.start(1) + hit[1], "inline")
    return out


def with_segments(cands: list[Candidate]) -> list[Candidate]:
    """Name values cut at their first ';', the segments after it read as fields."""
    out: list[Candidate] = []
    for c in cands:
        if c.field == "name" and "(" in c.value:
            out += parenthesised(c)
        cut = c.value.find(";") if c.field == "name" else -1
        if cut < 0:
            out.append(c)
            continue
        out.append(Candidate(c.field, c.value[:cut].rstrip(), c.start, c.kind))
        out += segments(c.value, c.start)
    return out


def segments(value: str, at: int) -> list[Candidate]:
    """Fields packed after the first ';' of a value ("; date of birth 1/2/1960; 123456").

    A segment that starts with a known label (colon or not) is that field's value; a
    segment that is only a record-number-shaped token is the MRN ("band"). Only the
    identity fields are read this way.
    """
    out: list[Candidate] = []
    pos = value.find(";")
    while pos >= 0:
        nxt = value.find(";", pos + 1)
        seg = value[pos + 1:nxt if nxt >= 0 else len(value)]
        start = at + pos + 1 + len(seg) - len(seg.lstrip())
        seg = seg.strip()
        labelled = _segment_label(seg)
        if labelled:
            out.append(Candidate(labelled[0], seg[labelled[1]:], start + labelled[1], "inline"))
        elif _MRN_SHAPE.fullmatch(seg) and clean_mrn(seg):
            out.append(Candidate("mrn", seg, start, "band"))
        pos = nxt
    return out


def candidates(text: str) -> list[Candidate]:
    """Every candidate of every field: ``fields`` layouts plus bands and segments."""
    lines = F.lines_of(text)
    found = with_segments(F.candidates(text, lines)) + name_bands(lines) + C.candidates(lines)
    return sorted(found, key=lambda c: c.start)
