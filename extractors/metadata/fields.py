"""Candidate values from a chart's text, each with the kind of evidence behind it.

Sources: label-value pairs, header tables, letterheads, signatures. The evidence kind
sets the candidate's confidence.

Layouts understood (by rule, not by example): "Label: value" pairs, several per line
("Patient Name: DOE, JANE  Date of Birth: 01/02/1960"); header tables whose first line
holds labels and the next their values ("PATIENT NAME  DOB  SEX  MRN" / "DOE, JANE ...");
letters ("RE: Jane Doe"); letterheads (facility = the first line); signature blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("patient name", "patient's name", "pt name", "name of patient", "patient",
             "name", "re", "client name"),
    "dob": ("date of birth", "birth date", "birthdate", "dob", "d.o.b.", "d.o.b", "born"),
    "mrn": ("medical record number", "medical record no", "medical record #", "medical record",
            "med rec no", "med rec #", "med rec", "mrn #", "mrn", "mr #", "mr#", "mr no",
            "chart #", "chart no", "chart number", "record #", "record number", "patient id",
            "patient #", "hospital #", "unit #", "unit number"),
    "sex": ("sex", "gender", "sex/gender"),
    "service": ("date of service", "service date", "dos", "visit date", "date of visit",
                "encounter date", "date of encounter", "exam date", "date of exam",
                "study date", "date of study", "date of surgery", "surgery date",
                "date of procedure", "procedure date", "date of operation", "collection date",
                "date collected", "date of consultation", "consultation date", "date seen",
                "appointment date"),
    "admission": ("admission date", "date of admission", "admit date", "admitted"),
    "discharge": ("discharge date", "date of discharge", "discharged"),
    "document": ("report date", "date of report", "date signed", "signed date", "document date",
                 "date dictated", "dictation date", "date of dictation", "dictated",
                 "date transcribed", "signed on", "date reported", "reported", "d",
                 "date of note", "note date"),
    "document_generic": ("date", "signed"),
    "author": ("author", "physician", "attending physician", "attending", "provider",
               "surgeon", "dictated by", "electronically signed by", "signed by",
               "interpreted by", "pathologist", "radiologist", "reading physician",
               "treating physician", "rendering provider", "consultant", "clinician"),
    "npi": ("npi", "npi #", "npi no"),
    "ignore": ("referring physician", "ordering physician", "primary care physician", "pcp",
               "referred by", "cc", "acct #", "account #", "account number", "acct",
               "ssn", "social security", "age", "fin", "encounter #", "visit #", "room",
               "phone", "tel", "fax", "insurance", "member id", "referring provider",
               "assistant", "anesthesiologist", "date of injury", "onset"),
}

_LABEL_TO_FIELD = {lab: f for f, labs in FIELD_LABELS.items() for lab in labs}
_ALT = "|".join(re.escape(lab) for lab in sorted(_LABEL_TO_FIELD, key=len, reverse=True))
# a label needs a colon (or ends in '#') to count inline: "Patient Name:" / "MR#"
INLINE = re.compile(rf"(?<![A-Za-z])({_ALT})\s*(?::|(?<=#))", re.IGNORECASE)
CELL_SPLIT = re.compile(r"\s{2,}|\t")


@dataclass(frozen=True)
class Candidate:
    """A value found for a field, with where and how it was found."""

    field: str
    value: str
    start: int  # character offset in the text
    kind: str  # "inline" | "table" | "letterhead" | "signature" | "dateline" | "inferred"


_LETTERS_ONLY = {re.sub(r"[^a-z]", "", lab): f for lab, f in _LABEL_TO_FIELD.items()}


def _label_field(cell: str) -> str | None:
    key = cell.strip().rstrip(":").strip().lower()
    # OCR drops spaces and adds stray dots ("DATEOF SURGERY."): compare letters only
    return _LABEL_TO_FIELD.get(key) or _LETTERS_ONLY.get(re.sub(r"[^a-z]", "", key))


def _cells(line: str) -> list[str]:
    """Cells of a row; specks of scan noise (".", "_", "!") are not cells."""
    return [c for c in CELL_SPLIT.split(line.strip()) if sum(ch.isalnum() for ch in c) >= 1
            and not (len(c) == 1 and c in "xX*+")]


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.replace("\f", "\n").split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def inline_pairs(offset: int, line: str) -> list[Candidate]:
    """All 'Label: value' pairs on one line; a value runs to the next label."""
    matches = list(INLINE.finditer(line))
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end():end].strip(" \t:;|")
        field = _LABEL_TO_FIELD[m.group(1).lower()]
        if m.group(1).lower() == "d" and m.start() > 0:
            continue  # "D:" only counts at the start of a line (dictation stamp)
        if value and field != "ignore":
            out.append(Candidate(field, value, offset + m.end(), "inline"))
    return out


def header_tables(lines: list[tuple[int, str]]) -> list[Candidate]:
    """Label rows followed by value rows with the same number of cells."""
    out = []
    for i in range(len(lines) - 1):
        _, line = lines[i]
        cells = _cells(line)
        if len(cells) < 2 or any(":" in c for c in cells):
            continue
        fields = [_label_field(c) for c in cells]
        if sum(f is not None for f in fields) < 2 or any(f is None for f in fields):
            continue
        voff, vline = lines[i + 1]
        values = _cells(vline)
        if len(values) != len(cells):
            out.extend(_typed_alignment(fields, voff, vline))
            continue
        pos = voff
        for f, v in zip(fields, values, strict=True):
            pos = vline.find(v, pos - voff) + voff if v in vline else voff
            if f and f != "ignore":
                out.append(Candidate(f, v, pos, "table"))
    return out


_DATE_TOKEN = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
                         r"[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2}-[A-Z][a-z]{2}-\d{4})\b")
_SEX_TOKEN = re.compile(r"(?<!\S)(M|F|Male|Female|Femdle|Maie|U|Unknown)(?!\S)")
_DATE_FIELDS = {"dob", "service", "admission", "discharge", "document", "document_generic"}


def _typed_alignment(fields: list[str | None], voff: int, vline: str) -> list[Candidate]:
    """Cells merged or lost by OCR: give each label the value of its type, in order.

    Dates go to the date labels left to right when their counts agree; a lone sex token
    to SEX; a record-number-like token to MRN.
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
        mm = [t for t in re.findall(r"(?<!\S)[A-Z]{0,3}\d[\d-]{3,}[A-Z]?(?!\S)", rest)]
        if len(mm) == 1:
            out.append(Candidate("mrn", mm[0], voff + vline.find(mm[0]), "table"))
    return out


_ORG_WORDS = re.compile(r"(hospital|medical|clinic|health|center|centre|care|associates|"
                        r"physicians|practice|group|institute|partners|system|university|"
                        r"pediatrics|surgery|orthopedic|cardiology|imaging|radiology|labs?|"
                        r"laboratory|family|memorial|regional|community|wellness|services)",
                        re.IGNORECASE)
_ADDRESS = re.compile(r"^\d+\s+\w+|\b(tel|fax|phone)\b|\b[A-Z]{2}\s+\d{5}\b", re.IGNORECASE)


def letterhead(lines: list[tuple[int, str]]) -> list[Candidate]:
    """The organisation named at the top of the first page."""
    for off, line in lines[:4]:
        cells = [c for c in CELL_SPLIT.split(line.strip()) if c]
        if not cells or any(_label_field(c) for c in cells):
            continue
        text = cells[0]  # a title printed on the same line, right-aligned, is not the name
        if _ADDRESS.search(text) or INLINE.search(text):
            continue
        name = text.split(":")[0].strip() if ":" in text else text
        if len(name) < 4 or len(name) > 80 or re.search(r"\d{2}", name):
            continue
        kind = "letterhead" if _ORG_WORDS.search(name) else "letterhead_weak"
        return [Candidate("facility", name, off, kind)]
    return []


_CRED = r"(?:M\.?D\.?|D\.?O\.?|NP|PA-C|PA|RN|DPM|FACS|FACP|PhD|MBBS|APRN|FNP(?:-C)?|CNP)"
SIGNATURE = re.compile(rf"^\s*(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?"
                       rf"(?:\s+[A-Z][A-Za-z'\-]+)+),?\s+{_CRED}\b")
_SIGN_CUE = re.compile(r"(electronically signed|signed by|dictated by|sincerely|respectfully|"
                       r"signature|attending physician:?$)", re.IGNORECASE)


def signatures(lines: list[tuple[int, str]]) -> list[Candidate]:
    """Clinician names in signature blocks (after a cue, or 'Name, MD' lines)."""
    out = []
    for i, (off, line) in enumerate(lines):
        m = SIGNATURE.match(line)
        if not m:
            continue
        cued = i > 0 and bool(_SIGN_CUE.search(lines[i - 1][1]))
        out.append(Candidate("author", m.group(1), off, "signature" if cued else
                             "signature_weak"))
    return out


_DATE_ONLY = re.compile(r"^\s*(?:[A-Z][a-z]+\s+\d{1,2},\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|"
                        r"\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2}\s+\d{1,2},\s+\d{4})\s*$")


def date_lines(lines: list[tuple[int, str]]) -> list[Candidate]:
    """A line holding only a date near the top: a letter's date."""
    return [Candidate("document", line.strip(), off, "dateline")
            for off, line in lines[:10] if _DATE_ONLY.match(line)]


def candidates(text: str) -> list[Candidate]:
    """Every candidate of every field, in text order."""
    lines = _lines(text)
    found: list[Candidate] = []
    for off, line in lines:
        found.extend(inline_pairs(off, line))
    found.extend(header_tables(lines))
    found.extend(letterhead(lines))
    found.extend(signatures(lines))
    found.extend(date_lines(lines))
    return sorted(found, key=lambda c: c.start)
