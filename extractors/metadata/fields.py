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
from bisect import bisect_right
from dataclasses import dataclass

from extractors.metadata.labels import label_field
from extractors.metadata.normalise import parse_person


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


_TWO_DIGITS = re.compile(r"\d\D*\d")
_ALNUM = re.compile(r"[^\W_]")
_LEAD_SPECKS = "‘’'`\"-*.,_|•·»«~"
HEAD_LINES = 40  # the form head: where label slips are worth looking for


# A capitalised word right before a one-word label that is an organisation noun ("Hospital",
# "Group", "Practice"), in the same cell: the label is the tail of an organisation's name.
_ORG_TAIL = re.compile(r"[A-Z][\w.'&-]* $")


# A word right before a bare "Name" label, in the same cell: the name of something else
# ("Procedure Name", "Drug Name"); patient name labels are matched whole before this.
_WORD_BEFORE = re.compile(r"[A-Za-z][\w.'-]* $")


# Whose field a label names when a word before it says it is not the patient's.
OTHER_PERSON = {"guarantor", "insured", "subscriber", "spouse", "mother", "father", "parent",
                "guardian", "policyholder", "holder", "contact", "kin", "responsible", "party",
                "sponsor", "employer", "partner", "emergency", "donor", "caregiver", "baby",
                "infant", "newborn", "child", "sibling", "husband", "wife", "mothers",
                "fathers", "insureds", "guarantors", "spouses", "referring", "ordering"}
_PERSONAL = {"dob", "sex", "name", "mrn", "age_sex", "family", "given"}


def _label_at(line: str, words: list[re.Match[str]], p: int, fuzzy: bool
              ) -> tuple[int, str] | None:
    """(label start, field) of the longest known phrase that ends at ``p``."""
    for k in range(min(6, len(words)), 0, -1):
        first = words[-k]
        phrase = line[first.start():p]
        lead = len(phrase) - len(phrase.lstrip(_LEAD_SPECKS))  # "‘Sex:", "-MRN:": specks
        phrase = phrase[lead:]
        if not phrase or not phrase[0].isalpha() or _TWO_DIGITS.search(phrase):
            continue  # a date's tail ("22, 1976 Sex") is no label; "D0B" is
        field = label_field(phrase.replace("0", "o"), fuzzy=fuzzy and k <= 4)
        if field and k == 1 and _ORG_HEAD.fullmatch(phrase.rstrip(" #")) \
                and _ORG_TAIL.search(line, 0, first.start() + lead):
            return None  # "Mercy Hospital: Title" is a letterhead, not "Hospital:" (MRN)
        if field == "name" and k == 1 and _WORD_BEFORE.search(line, 0, first.start() + lead):
            return first.start() + lead, "ignore"  # "Procedure Name:", "Test Name:"
        if field in _PERSONAL and k < len(words) and \
                words[-k - 1].group(0).lower().strip(".,:;'s") in OTHER_PERSON:
            return first.start() + lead, "ignore"  # "Guarantor DOB": someone else's
        if field:
            if field == "document" and phrase.strip().lower() == "d" \
                    and line[:first.start()].strip():
                return None  # "D:" only counts at the start of a line (dictation stamp)
            return first.start() + lead, field
    return None


def _labels_in(line: str, fuzzy: bool = False) -> list[tuple[int, int, str]]:
    """(label start, value start, field) of every label on a line, left to right.

    ``fuzzy`` (the form head only) also accepts labels with an OCR slip ("pate of Visit").
    """
    found: list[tuple[int, int, str]] = []
    bound = 0
    for t in _TERM.finditer(line):
        p = t.start()
        if t.group() == "#" and line[p + 1:p + 2] in (":", "#"):
            continue  # "MRN #:" ends at the colon
        words = list(_WORD.finditer(line, bound, p))
        hit = _label_at(line, words, p, False)
        if fuzzy and (hit is None or hit[1] in ("ignore", "document_generic")):
            # "pate of Visit": not "Visit #"; "Sve Date:" is no bare "Date:"
            slipped = _label_at(line, words, p, True)
            if hit is None or (slipped and slipped[0] < hit[0]):
                hit = slipped or hit
        if hit:
            found.append((hit[0], p + 1, hit[1]))
            bound = p + 1
    return found


_AGE_SEX = re.compile(r"(\d{1,3})?\s*[a-zA-Z]*\s*[/,-]?\s*(?:\b|(?<=\d))(M|F|Male|Female)\b",
                      re.IGNORECASE)  # "45/F", "45 yo F", "7F"


_COMBO_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|"
                         r"\d{1,2}[\s-]?[A-Za-z]{3,9}\.?[\s,-]*\d{2,4}|"
                         r"[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}")
_COMBO_SEX = re.compile(r"(?<![A-Za-z])(M|F|Male|Female|MALE|FEMALE|male|female)(?![A-Za-z])")
_COMBO_AGE = re.compile(r"(?<![\d/.-])(\d{1,3})(?:\s*(?:y|yr|yrs|yo|y/o|years?)\b)?(?![\d/.-])")
_COMBO_MRN = re.compile(r"(?<![\w/.-])[A-Z]{0,3}\d{4,}[A-Z]?(?![\w/.-])")


def split_combo(field: str, value: str, at: int, kind: str) -> list[Candidate]:
    """The parts of a joined label's value, each found by its type ("64 / 03/12/1960")."""
    wanted = set(field.removeprefix("combo:").split("+"))
    out: list[Candidate] = []
    rest = value
    if "dob" in wanted:
        m = _COMBO_DATE.search(rest)
        if m:
            out.append(Candidate("dob", m.group(0), at + m.start(), kind))
            rest = rest[:m.start()] + " " * len(m.group(0)) + rest[m.end():]
    if "mrn" in wanted:
        mm = _COMBO_MRN.findall(rest)
        if len(mm) == 1:
            out.append(Candidate("mrn", mm[0], at + rest.find(mm[0]), kind))
            rest = rest.replace(mm[0], " " * len(mm[0]), 1)
    if "sex" in wanted:
        sm = _COMBO_SEX.findall(rest)
        if len(sm) == 1:
            out.append(Candidate("sex", sm[0], at + rest.find(sm[0]), kind))
    if "age" in wanted:
        am = _COMBO_AGE.search(rest)
        if am:
            out.append(Candidate("age", am.group(1), at + am.start(1), kind))
    return out


def _labelled(field: str, value: str, at: int, kind: str) -> list[Candidate]:
    """Candidates of one label's value; "Age/Sex: 45/F" yields an age and a sex."""
    if field.startswith("combo:"):
        return split_combo(field, value, at, kind)
    if field != "age_sex":
        return [Candidate(field, value, at, kind)]
    m = _AGE_SEX.match(value)
    if not m:
        return []
    out = [Candidate("sex", m.group(2), at + m.start(2), kind)]
    if m.group(1):
        out.append(Candidate("age", m.group(1), at + m.start(1), kind))
    return out


# A colon-less age/sex label run into the value before it: the label is unmistakable and
# its value has a shape of its own.
_RUN_IN_AGE_SEX = re.compile(r"(?<=\d)\s+(?:Age\s*/\s*Sex|Age\s*/\s*Gender|AGE\s*/\s*SEX)\s+"
                             r"(\d{1,3}\s*(?:y|yo|yrs?)?\s*/?\s*(?:M|F|Male|Female))\b")


def inline_pairs(lines: list[Line], label_rows: set[int] | None = None) -> list[Candidate]:
    """'Label: value' pairs; a value runs to the next label; a bare label takes the next line.

    A label alone on a line of the form head, with no colon ("SEX" over "F", as OCR reads
    a header table column by column), also takes the next line. Header label rows
    (``label_rows``) are left to ``header_tables``: their "#" ends no label.
    """
    out: list[Candidate] = []
    bare = _bare_labels(lines)
    for i, (off, line) in enumerate(lines):
        if label_rows and i in label_rows:
            continue
        if ":" not in line and "#" not in line:
            field = bare.get(i)
            if field and field != "ignore" and (i - 2 in bare or i + 2 in bare):
                below = _value_below(lines, i)
                if below:
                    out += _labelled(field, below[1], below[0], "below")
            continue
        labels = _labels_in(line, fuzzy=i < HEAD_LINES)
        for j, (_, vstart, field) in enumerate(labels):
            end = labels[j + 1][0] if j + 1 < len(labels) else len(line)
            raw = line[vstart:end]
            value = raw.strip(" \t:;|#")
            if field == "ignore":
                continue
            if value:
                at = off + vstart + raw.find(value)
                run_in = _RUN_IN_AGE_SEX.search(value) if field not in ("sex", "age_sex") \
                    else None
                if run_in:  # "Birth Dt: 28 September 1942 Age/Sex 71 M": OCR lost the gap
                    out += _labelled("age_sex", run_in.group(1), at + run_in.start(1), "inline")
                    value = value[:run_in.start()].rstrip()
                out += _labelled(field, value, at, "inline")
            elif len(labels) == 1 and not line[:labels[0][0]].strip():
                below = _value_below(lines, i)
                if below:
                    out += _labelled(field, below[1], below[0], "below")
    return out


def _bare_labels(lines: list[Line]) -> dict[int, str]:
    """Lines of the form head that hold one label and nothing else, by index.

    A header table that OCR reads column by column comes out as label, value, label,
    value; a bare label takes the value below only inside such a run (a label two lines
    above or below it), so that a lone column heading ("Facility") takes nothing.
    """
    found = {}
    for i, (_, line) in enumerate(lines[:HEAD_LINES]):
        if ":" not in line:
            field = _bare_label(line)
            if field:
                found[i] = field
    return found


def _bare_label(line: str) -> str | None:
    """Field of a line that is one label alone, or None."""
    if 2 < len(line) <= 40 and line.strip()[:1].isalpha():
        return label_field(line) or label_field(line, fuzzy=True)
    return None


def _value_below(lines: list[Line], i: int) -> tuple[int, str] | None:
    for off, line in lines[i + 1:i + 3]:
        if not line.strip():
            continue
        if _labels_in(line) or ":" in line:
            return None
        cell = CELL_SPLIT.split(line.strip())[0]
        if label_field(cell):
            return None  # the next label of a stacked column, not a value
        return off + line.find(cell), cell
    return None


def _cells(line: str) -> list[str]:
    """Cells of a row; specks of scan noise (".", "_", "!") are not cells."""
    return [c for c in CELL_SPLIT.split(line.strip()) if _ALNUM.search(c)
            and not (len(c) == 1 and c in "xX*+")]


_LETTER = re.compile(r"[^\W\d_]")
_DIGITS = re.compile(r"\d")
_ROW_GAP = re.compile(r"\S(?:\s{2,}|\t|\s*\|\s*|\s+/\s+)\S")


def label_row(line: str) -> list[str | None] | None:
    """Fields of a header row's label cells, or None.

    Read first with table rules inside labels ("Last | Name") taken for spaces, then as
    printed.
    """
    for seen in label_readings(line):
        fields = _label_row(seen)
        if fields is not None:
            return fields
    return None


_RULE_IN_LABEL = re.compile(r"(?<=[A-Za-z.])\s?\|\s?(?=[A-Za-z])")


def label_readings(line: str) -> list[str]:
    """A label line with table rules inside labels ("Last | Name") closed, then as printed."""
    closed = _RULE_IN_LABEL.sub(" ", line) if "|" in line else line
    return [closed, line] if closed != line else [line]


def _label_row(line: str) -> list[str | None] | None:
    """Fields of a header row's label cells ("PATIENT NAME  DOB  SEX  MRN"), or None.

    Cells without letters are scan specks ("2", ":") and dropped. One cell that is no
    known label even allowing for an OCR slip ("00B") is tolerated when at least two
    other cells name fields; its column is then skipped.
    """
    if len(line) > 160 or not _ROW_GAP.search(line):
        return None
    raw = _cells(line)
    cells = [c for c in raw if _LETTER.search(c)]
    if len(cells) < 2:
        return None
    fields: list[str | None] = []
    misses = 0
    for c in cells:  # cheap exit first (two unknown cells in front): most rows are no labels
        if len(_DIGITS.findall(c)) >= 4:
            return None  # "Date Born 6/16/2010": a label with its value, not a header cell
        f = label_field(c, fuzzy=True, slips=False)  # "Forename" is a label in a row
        misses += f is None
        if misses > 1 >= len(fields) or ":" in c.rstrip(" :"):
            return None  # "Patient: DOE" is an inline pair, not a label cell
        fields.append(f)
    unknown = 0
    for k, c in enumerate(cells):
        if fields[k] is None:
            fields[k] = label_field(c, fuzzy=True)
            if fields[k] is None:
                unknown += 1
                if unknown > 1 or len(c) > 20:
                    return None
    known = sum(f not in (None, "ignore") for f in fields)
    if known < (2 if unknown else 1):
        return None
    if len(raw) > len(cells) and any(len(_DIGITS.findall(c)) >= 4 for c in raw):
        return None  # "Hospital Number:  833065021": a row that holds values holds no labels
    return fields


def header_tables(lines: list[Line], rows: dict[int, list[str | None]] | None = None
                  ) -> list[Candidate]:
    """Label rows followed by value rows with the same number of cells."""
    out: list[Candidate] = []
    if rows is None:
        rows = label_rows(lines)
    for i, fields in rows.items():
        if i + 1 >= len(lines) or i + 1 in rows:
            continue  # the row under a label row is no value row when it holds labels
        voff, vline = lines[i + 1]
        cells = _cells(vline)
        if len(cells) == 1 and len(fields) > 1 and _TITLE_WORDS.search(vline) \
                and i + 2 < len(lines) and i + 2 not in rows \
                and len(_cells(lines[i + 2][1])) == len(fields):
            voff, vline = lines[i + 2]  # a title OCR read between the labels and values
            cells = _cells(vline)
        solid = [v for v in cells if len(v) > 1 or v in "MF"]  # specks: "Taylor  5  Jeffrey"
        joined = _joined_fields(lines[i][1])  # "Age / Sex" is one column over "51/F"
        tries = [(f, v) for f in ([joined] if joined else []) + [fields] for v in (cells, solid)]
        pair = next(((f, v) for f, v in tries if len(f) == len(v)), None) \
            or _split_label_row(lines, rows, i, cells)
        if pair is None:
            out.extend(_typed_alignment(fields, voff, vline))
            continue
        fields, values = pair
        misfit = [not _fits(f, v) for f, v in zip(fields, values, strict=True)]
        if sum(misfit) >= 2:  # counts agree by chance ("Birth | Dt" read as two labels)
            out.extend(_typed_alignment(pair[0], voff, vline))
        pos = 0
        for f, v, bad in zip(fields, values, misfit, strict=True):
            at = vline.find(v, pos)
            pos = at + len(v) if at >= 0 else pos
            if sum(misfit) >= 2 and bad:
                continue
            if f and f != "ignore":
                out += _labelled(f, v, voff + max(at, 0), "table")
            elif f is None and "sex" not in fields and _SEX_ONLY.fullmatch(v):
                out.append(Candidate("sex", v, voff + max(at, 0), "table"))  # "F - Female"
    return out


def _split_label_row(lines: list[Line], rows: dict[int, list[str | None]], i: int,
                     values: list[str]) -> tuple[list[str | None], list[str]] | None:
    """A label row that OCR read as two lines, for a value row with more cells.

    A table printed a little askew reads its label row's right-hand end as a line of its
    own, one or two lines above the rest ("Age / Sex  Last Name" over "EMPI  FIN  Date
    Born"). Those labels join the row where the values' types fit them best.
    """
    for j in (i - 1, i - 2):
        if j < 0 or (j == i - 2 and i - 1 in rows):
            continue
        line = lines[j][1].strip().lstrip(_LEAD_SPECKS + "“”")
        one = None if j in rows else _bare_label(line)
        readings = [rows[j], _joined_fields(line)] if j in rows else [[one] if one else None]
        extra = next((r for r in readings if r and len(rows[i]) + len(r) == len(values)), None)
        if not extra:
            continue
        ways = [rows[i][:k] + extra + rows[i][k:] for k in range(len(rows[i]), -1, -1)]
        best = min(ways, key=lambda fs: sum(not _fits_strictly(f, v)
                                            for f, v in zip(fs, values, strict=True)))
        return best, values
    return None


def _fits_strictly(field: str | None, value: str) -> bool:
    """``_fits``, and a name part is neither a number nor a sex, whatever its case."""
    sex = value.strip(" .").lower() in ("m", "f", "male", "female")
    if field in ("family", "given"):
        return not sex and not any(ch.isdigit() for ch in value)
    return sex if field == "sex" else _fits(field, value)


_WIDE_SPLIT = re.compile(r"\s{2,}|\t|\s*\|\s*")


def _fits(field: str | None, value: str) -> bool:
    """Whether a value can belong to its column's label, by the plainest signs of type."""
    digits = any(ch.isdigit() for ch in value)
    if field in _DATE_FIELDS or field == "mrn":
        return digits
    if field == "sex":
        return bool(_SEX_ONLY.fullmatch(value) or _SEX_TOKEN.search(value))
    if field == "name":
        return not digits and all(parse_person(value))
    return True


def _joined_fields(line: str) -> list[str | None] | None:
    """Fields of a label row split at wide gaps only, or None without a joined label.

    A joined label ("Age / Sex") then stays one column, over its one value ("51/F").
    """
    cells = [c for c in _WIDE_SPLIT.split(line.strip()) if _LETTER.search(c)]
    if not any(" / " in c for c in cells):
        return None
    return [label_field(c, fuzzy=True) for c in cells]


def label_rows(lines: list[Line]) -> dict[int, list[str | None]]:
    """Index -> label fields of every header label row."""
    found = {}
    for i, (_, line) in enumerate(lines):
        if not ("  " in line or "\t" in line or "|" in line or " / " in line):
            continue  # substring tests in C before any regex: one-cell lines are no rows
        fields = label_row(line)
        if fields is not None:
            found[i] = fields
    return found


_DATE_TOKEN = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/-]\d{1,2}[/-]\d{1,2}|"
                         r"[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2}[- ][A-Z][a-z]{2,8}[- ]\d{4}|"
                         r"\d{1,2}[A-Z]{3}\d{4})\b")
_SEX_TOKEN = re.compile(r"(?<!\S)[‘’'`.,]?(M|F|Male|Female|Femdle|Maie|U|Unknown)(?![^\s.,;:])")
# A cell that can only be a sex, whatever its column's label: "F", "Female", "F - Female".
_SEX_ONLY = re.compile(r"(?:[MF]|Male|Female|MALE|FEMALE)"
                       r"(?:\s*[-/(]\s*(?:Male|Female|MALE|FEMALE)\)?)?")
_AGE_SLASH_SEX = re.compile(r"(?:(?<=\d/)|(?<!\S))(M|F)(?=/\d|[^A-Za-z/]|$)")
_AGE_SEX_JOINED = re.compile(r"(?<!\S)\d{1,3}\s?([MF])(?![A-Za-z0-9])")  # "54M", "54 F"
_DATE_FIELDS = ("dob", "service", "admission", "discharge", "document", "document_generic")


_PERSON_FIELDS = ("name", "author")
# The next cell's value run into a name when OCR lost the gap: an age/sex, a date, a number.
_MERGED_TAIL = re.compile(r"(?<=[A-Za-z.])\s+\d[\w/.,-]*(?:\s+[\w/.,-]+)*$")
_MERGED_HEAD = re.compile(r"^\d[\w/.-]*(?:\s+\S)?\s+(?=[A-Z][a-z])")


def _people_by_type(fields: list[str | None], voff: int, vline: str) -> list[Candidate]:
    """Person-shaped cells of a value row given to its person labels, in order."""
    wanted = [f for f in fields if f in _PERSON_FIELDS]
    if not wanted:
        return []
    people = []
    pos = 0
    for cell in _cells(vline):
        at = vline.find(cell, pos)
        pos = at + len(cell)
        # "Lori S Henderson 56/F", "54M 7 Henry Seven, MD": the gap OCR lost
        cell = _MERGED_TAIL.sub("", _MERGED_HEAD.sub("", cell)).lstrip(_LEAD_SPECKS)
        if not any(ch.isdigit() for ch in cell) and all(parse_person(cell)):
            people.append((at, cell))
    if len(people) != len(wanted):
        return []
    return [Candidate(f, cell, voff + at, "table") for f, (at, cell) in zip(wanted, people,
                                                                               strict=True)]


def _typed_alignment(fields: list[str | None], voff: int, vline: str) -> list[Candidate]:
    """Cells merged or lost by OCR: give each label the value of its type, in order.

    Dates go to the date labels left to right when their counts agree; a lone sex token
    to SEX; a lone record-number-like token to MRN; cells that read as people to the
    person labels (patient, then clinician) left to right when their counts agree.
    """
    out: list[Candidate] = _people_by_type(fields, voff, vline)
    dates = list(_DATE_TOKEN.finditer(vline))
    date_fields = [f for f in fields if f in _DATE_FIELDS]
    if dates and len(dates) == len(date_fields):
        for f, m in zip(date_fields, dates, strict=True):
            if f:
                out.append(Candidate(f, m.group(0), voff + m.start(), "table"))
    rest = _DATE_TOKEN.sub(" ", vline)
    if "sex" in fields:
        sm = list(_SEX_TOKEN.finditer(rest)) or list(_AGE_SLASH_SEX.finditer(rest)) \
            or list(_AGE_SEX_JOINED.finditer(rest))
        if len(sm) == 1:
            out.append(Candidate("sex", sm[0].group(1), voff + sm[0].start(), "table"))
    if "mrn" in fields:
        mm = re.findall(r"(?<!\S)[A-Z]{0,3}\d[\d-]{3,}[A-Z]?(?!\S)", rest)
        ids = [f for f in fields if f in ("mrn", "ignore")]  # "Record No.  FIN": in order
        one = mm[0] if len(mm) == 1 else mm[ids.index("mrn")] if len(mm) == len(ids) and all(
            len(m) >= 5 for m in mm) else None  # a year ("1934") is no id: no order to trust
        if one:
            out.append(Candidate("mrn", one, voff + vline.find(one), "table"))
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


_ORG_HEAD = re.compile(r"\b(hospitals?|center|centre|clinic|associates|group|practice|partners|"
                       r"institute|system|infirmary|llc|inc|p\.?\s?a\.?|hie|laboratory|labs|"
                       r"medicine|physicians|specialists|services|healthcare|network|"
                       r"foundation|imaging|radiology|pediatrics|surgery)[\W_]*$", re.IGNORECASE)
_TITLE_CASE_WORD = re.compile(r"(?:[A-Z][a-z'&.\-]+|of|and|the|&|at|for)$")


_TITLE_SEP = re.compile(r"\s*:\s+|\s+[-\u2013\u2014|_~]+\s+")


def _letterhead_name(cells: list[str]) -> str:
    """The organisation's name from the cells of a letterhead line.

    Large letterhead type leaves wide gaps between words ("Get  Well  Clinic"): cells of
    title-case words are joined until the name ends in an organisation noun (Clinic,
    Center, Associates ...); an upper-case or title-word cell ("PROGRESS NOTE") is the
    document title, right-aligned, and ends the name. "Org: Health Summary" and a name
    printed twice ("Org Org: Title", two cells run together) keep the organisation; so does
    "Org - TITLE" / "Org | Title" when the head ends in an organisation noun or the tail is
    a title (upper case or a title word): a document title never extends a facility.
    """
    name = cells[0]
    for cell in cells[1:]:
        if _ORG_HEAD.search(name) or ":" in name:
            break
        words = cell.split()
        if not all(_TITLE_CASE_WORD.match(w) for w in words) or _TITLE_WORDS.search(cell):
            break
        name = f"{name} {cell}"
    sep = _TITLE_SEP.search(name)
    if sep and name[:sep.start()].strip():
        head, tail = name[:sep.start()], name[sep.end():]
        if _ORG_HEAD.search(head) or _TITLE_WORDS.search(tail) or tail.isupper():
            name = head  # "Mercy Clinic - LAB REPORT", "Org: Health Summary", "Org | H&P"
    words = name.split()
    for k in range(len(words) // 2, 1, -1):
        if words[:k] == words[k:2 * k]:
            name = " ".join(words[:k])
            break
    return name


_SUB_UNIT = re.compile(r"^\s*(?:department|dept\.?|division|section|service|unit|office)\s+of\b|"
                       r"^\s*(?:patient copy|confidential|copy|page \d)", re.IGNORECASE)
_LH_SPLIT = re.compile(r"\s+[•·|]\s+|,\s+(?=\d)")


def _initials_prefix(name: str) -> str:
    """Without a leading logo of the name's own initials ("MGH Mercy General Hospital").

    Specks OCR read beside the logo go with it: "GGH I ~Georgeshire General Hospital".
    """
    first, _, rest = name.partition(" ")
    if not (first.isupper() and 2 <= len(first) <= 6 and first.isalpha() and rest):
        return name
    rest = _LOGO_SPECKS.sub("", rest)
    initials = "".join(w[0] for w in rest.split() if w[:1].isupper())
    it = iter(initials)
    if all(ch in it for ch in first) and not rest.isupper():
        return rest
    return name


_LOGO_SPECKS = re.compile(r"^(?:[^\w\s]+\s+|[A-Za-z]\s+(?=\S*[^\w\s]))*[^\w\s]*")


def _spaced(name: str, lines: list[Line]) -> str:
    """The name as printed again with its spaces ("Get WellClinic" over "Get Well Clinic, ..").

    Large letterhead type loses word gaps in OCR; the same name in the address line's
    smaller type keeps them.
    """
    bare = name.replace(" ", "")
    for _, line in lines[:8]:
        if line.replace(" ", "").startswith(bare):
            k, seen = 0, 0
            while seen < len(bare):
                seen += line[k] != " "
                k += 1
            spaced = line[:k].split()
            if (k == len(line) or not line[k].isalnum()) and len(spaced) > len(name.split()):
                return " ".join(spaced)
    return name


# Words that begin place and organisation names ("St  Mary's Hospital", "New York ..."),
# never a logo read as letters.
_NAME_STARTS = {"st", "st.", "mt", "mt.", "ft", "ft.", "saint", "new", "old", "the", "san",
                "santa", "los", "las", "el", "la", "le", "de", "du", "van", "von", "fort",
                "port", "lake", "east", "west", "north", "south", "mount", "our"}
_LOGO_JUNK = re.compile(r"[^A-Za-z.]|^[a-z]+$")  # "A}", "jeg"; never "St."


def _without_logo(cells: list[str]) -> list[str]:
    """The letterhead's cells without the logo in front of the name.

    OCR reads a logo as a few letters: "Nae  West Marcside Medical Center", "jeg Community
    General Hospital".
    """
    if not cells:
        return cells
    first, _, rest = cells[0].partition(" ")
    if rest and len(first) <= 6 and _LOGO_JUNK.search(first) and _ORG_WORDS.search(rest) \
            and rest[:1].isupper() and first.lower() not in _NAME_STARTS:
        return [rest, *cells[1:]]  # junk glued to the name by a narrow gap
    if len(cells) > 1 and len(cells[0]) <= 4 and " " not in cells[0] \
            and cells[0].lower() not in _NAME_STARTS and not _ORG_WORDS.search(cells[0]) \
            and _ORG_WORDS.search(cells[1]) and len(cells[1].split()) >= 3:
        return cells[1:]
    return cells


def letterhead(lines: list[Line]) -> list[Candidate]:
    """The organisation named at the top of the first page, above the demographics.

    An organisation's name (one with an organisation noun) is preferred to a weaker
    line above it ("CONFIDENTIAL", "Department of Medicine" are not the custodian).
    """
    weak: list[Candidate] = []
    for found in _letterhead_lines(lines):
        if found.kind == "letterhead":
            return [found]
        weak = weak or [found]
    return weak


def _letterhead_lines(lines: list[Line]) -> list[Candidate]:
    out: list[Candidate] = []
    seen = 0
    for off, line in lines[:12]:
        if not line.strip():
            continue
        seen += 1
        if seen > 5:
            break
        if len(line.strip()) <= 3:
            continue  # a logo read as a letter or two ("re"), not a label that ends the head
        labels = _labels_in(line)
        if labels:  # "General Hospital  HRN  Enc #": the identity grid beside the name
            line = line[:labels[0][0]]
            if not _ORG_WORDS.search(line):
                break
        row = label_row(line)
        if row is not None:  # a label row names no organisation, unless it starts with one
            if labels:
                break
            line = CELL_SPLIT.split(line.strip())[0]  # "Chavez Medical Group  Resident  Sex"
            if row[0] is not None or not _ORG_WORDS.search(line):
                break  # "Resident  Dt. of Birth  Record No"
        if _FAX_LINE.search(line):
            continue
        cells = [c for c in CELL_SPLIT.split(line.strip()) if any(ch.isalnum() for ch in c)]
        cells = [p for c in cells for p in _LH_SPLIT.split(c) if p.strip()]
        if not cells or _ADDRESS.search(cells[0]):
            continue  # "Tel ..." is an address line, not a label
        if label_field(cells[0]):
            break
        if _SUB_UNIT.search(cells[0]):
            continue
        if len(cells) > 1 and (cells[0].isupper() or _TITLE_WORDS.search(cells[0])) \
                and not _ORG_WORDS.search(cells[0]) and _ORG_WORDS.search(cells[1]):
            cells = cells[1:]  # "PROGRESS NOTE    Mercy Hospital": the title came first
        cells = _without_logo(cells)
        name = _spaced(_initials_prefix(_letterhead_name(cells)), lines)
        if _ADDRESS.search(name) or len(name) < 4 or len(name) > 80:
            continue
        org = _ORG_WORDS.search(name)
        if _TITLE_WORDS.search(name) and not (org and org.group(1).lower() not in ("care",)):
            continue
        if not any(ch.isalpha() for ch in name) or re.search(r"\d{2}", name):
            continue
        out.append(Candidate("facility", name.strip(" .,:;"), off,
                             "letterhead" if org else "letterhead_weak"))
        if org:
            break
    return out


_CRED = (r"(?:M\.?\s?D\.?|D\.?\s?O\.?|NP|PA-C|PA|RN|DPM|FACS|FACP|FACC|PhD|Ph\.D\.|MBBS|APRN|"
         r"FNP(?:-[BC]C?)?|CNP|DDS|DMD|OD|O\.D\.|CRNP|ARNP|DNP|MPH|CNM)")
SIGNATURE = re.compile(rf"^\s*(?:/s/\s*)?(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+\.?(?:\s+[A-Z]\.?)?"
                       rf"(?:\s+[A-Z][A-Za-z'\-]+){{1,2}}),?\s+{_CRED}"
                       rf"(?:\s*,\s*{_CRED})*\s*(?:,?\s*[A-Z][a-z]+)?\s*(?:$|\s{{2,}}|\s+on\s)")
# Searched over the lower-cased text, only where an alternative's leading words stand.
_SIGN_CUES = ("electronically signed", "signed by", "dictated by", "sincerely", "respectfully",
              "signature", r"attending physician:?[ \t]*$", r"signed:?[ \t]*$", "authenticated by",
              "regards", "reviewed and signed", r"interpreted by:?[ \t]*$", "/s/")
_SIGN_CUE = re.compile("(?:" + "|".join(_SIGN_CUES) + ")", re.MULTILINE)
_SIGNERS = ("signed", "dictated", "authenticated")
_SIGNED_BY = re.compile("(?:" + "|".join(_SIGNERS) + r")[ \t]+by")
_CUED_NAME = re.compile(r"^\s*(?:/s/\s*)?(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?"
                        r"(?:\s+[A-Z][A-Za-z'\-]+){1,2})\s*(?:,.*)?$")
_SIGNED_SAME_LINE = re.compile(r"(?i:electronically\s+signed|signed|dictated|authenticated)\s+"
                               r"(?i:by)\s*:?\s+(?:Dr\.?\s+)?([A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?"
                               r"(?:\s+[A-Z][A-Za-z'\-]+){1,2}?)(?=\s*(?:,|$|\s+on\b|\s{2}))")


def _leading_words(alternatives: tuple[str, ...]) -> tuple[str, ...]:
    """The literals the alternatives of a pattern start with, none twice.

    "attending physician:?" -> "attending physician"; a letter a quantifier makes optional
    is left out; "signed by" is covered by "signed".
    """
    heads = set()
    for alt in alternatives:
        head = re.match(r"[a-z /]*", alt).group(0)  # type: ignore[union-attr]
        heads.add(head[:-1] if alt[len(head):len(head) + 1] in ("?", "*", "+", "{") else head)
    return tuple(h for h in sorted(heads) if not any(h.startswith(o) for o in heads if o != h))


_SIGN_CUE_HEADS = _leading_words(_SIGN_CUES)
_SIGNER_HEADS = _leading_words(_SIGNERS)


def _line_index(lines: list[Line], low: str, rx: re.Pattern[str], heads: tuple[str, ...]
                ) -> set[int]:
    """Indices of the lines in which ``rx`` matches (``low``: the lower-cased text).

    ``rx`` is tried only where one of ``heads`` (what its alternatives start with) stands:
    ``str.find`` skips ahead far faster than the regex engine tries every place. A match
    never spans lines, so these are the lines of ``rx.finditer`` too.
    """
    offsets = [off for off, _ in lines]
    found = set()
    for head in heads:
        at = low.find(head)
        while at >= 0:
            if rx.match(low, at):
                found.add(bisect_right(offsets, at) - 1)
            at = low.find(head, at + 1)
    return found


def signatures(lines: list[Line], low: str | None = None) -> list[Candidate]:
    """Clinician names in signature blocks (after a cue, or 'Name, MD' lines)."""
    if low is None:
        low = "\n".join(line for _, line in lines).lower()
    cues = _line_index(lines, low, _SIGN_CUE, _SIGN_CUE_HEADS)
    signed_by = _line_index(lines, low, _SIGNED_BY, _SIGNER_HEADS)
    out = []
    for i, (off, line) in enumerate(lines):
        if not line or len(line) > 120:
            continue
        cued = False
        if i - 1 in cues:
            prev = lines[i - 1][1]
            low_prev = prev.lower()
            cued = (":" not in prev.split("by")[-1].strip(" :")
                    and ("/s/" not in low_prev or low_prev.lstrip().startswith("/s/")))
        if line[:1].isalpha() or line[:1] in " /":
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
        if i in signed_by:
            m3 = _SIGNED_SAME_LINE.search(line)
            if m3 and ":" not in line[:m3.start(1)].split("by")[-1]:
                out.append(Candidate("author", m3.group(1), off + m3.start(1), "signature"))
    return out


_DATE_ONLY = re.compile(r"^[\s\-\u2013.]*(?:[A-Z][A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|"
                        r"\d{1,2}([/.-])\d{1,2}\1\d{2,4}|\d{4}([/.-])\d{1,2}\2\d{1,2}|"
                        r"\d{1,2}[ -]?[A-Z][A-Za-z]{2,8}\.?[ -]?\d{4})\s*$")


def date_lines(lines: list[Line]) -> list[Candidate]:
    """A line holding only a date near the top: a letter's date."""
    out = []
    for i, (off, line) in enumerate(lines[:10]):
        if not _DATE_ONLY.match(line):
            continue
        prev = next((p for _, p in reversed(lines[max(0, i - 2):i]) if p.strip()), "")
        if prev.rstrip().endswith((":", "#")) or label_field(prev.strip(), fuzzy=True):
            continue  # the value of the label above it ("DOB" / "03/12/1960"), no letter date
        out.append(Candidate("document", line.strip(), off, "dateline"))
    return out


# Digit- or letter-first patterns over the lower-cased head: the regex engine then skips
# ahead to candidate positions; word boundaries in front are checked in Python (``_free``).
_AGE = re.compile(r"(\d{1,3})(?:[\s-]*(?:years?|yrs?)[\s-]*old\b|\s*(?:y/o|yo|y\.o\.)(?!\w))|"
                  r"\((\d{1,3})\s*y\)")
_INFANT = re.compile(r"(\d{1,3})[\s-]*(month|week|day)s?[\s-]*old\b")  # "a 3-week-old boy"
_PERSON = re.compile(r"\d{1,3}[\s-]*(?:year|yr|month|week|day)s?[\s-]*old\s+"
                     r"(woman|female|lady|girl|man|male|gentleman|boy)\b")
_YO_SEX = re.compile(r"\d{1,3}\s*(?:yo|y/o|y\.o\.|yr)\s*([MF])\b")
# What every match of each pattern above contains, letter-first: scanning for it is ~30
# times faster than trying the digit-first pattern at every digit, and most heads lack it.
_AGE_CUE = re.compile(r"y(?:ears?[\s-]*old\b|rs?[\s-]*old\b|/o(?!\w)|o(?!\w)|\.o\.(?!\w)|\))")
_PERSON_CUE = re.compile(r"old\s+(?:woman|female|lady|girl|man|male|gentleman|boy)\b")
_YO_SEX_CUE = re.compile(r"y(?:o|/o|\.o\.|r)\s*[MF]\b")
# A pronoun is a word of its own; all but "she" start with "h" (a letter-first scan).
_H_PRONOUN = re.compile(r"h(?:e|ers?|erself|is|im|imself)\b")


def _free(text: str, at: int) -> bool:
    """No word character right before ``at`` (what a leading word boundary checks)."""
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


_SEEN_ON = re.compile(r"\b(?:saw|seen|seeing|evaluated|examined|visited)\b[^.\n]{0,80}?\bon\s+"
                      r"((?:[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4})|\d{1,2}/\d{1,2}/\d{2,4}|"
                      r"\d{4}-\d{2}-\d{2}|\d{1,2}-[A-Z][a-z]{2}-\d{4})")
_SEEN_TODAY = re.compile(r"\b(?:saw|seen|seeing|evaluated|examined)\b(?:[^.\n]|(?<=Mr|Ms|Dr)\.|"
                         r"(?<=Mrs)\.){0,80}?\btoday\b",
                         re.IGNORECASE)


def _pronouns(low: str) -> tuple[int, int]:
    """(feminine, masculine) personal pronouns standing as words ("she", "his"; not "the")."""
    fem = mas = 0
    for m in _H_PRONOUN.finditer(low):
        at, word = m.start(), m.group(0)
        if _free(low, at):
            if word.startswith("her"):
                fem += 1
            else:
                mas += 1
        elif word == "he" and at > 0 and low[at - 1] == "s" and _free(low, at - 1):
            fem += 1  # "she"
    return fem, mas


def narrative(text: str, lines: list[Line]) -> list[Candidate]:
    """Evidence from prose: age, sex words and pronouns, a letter's visit date."""
    head = text[:6000]
    low = head.lower()
    out = [Candidate("age", m.group(1) or m.group(2), m.start(), "narrative")
           for m in (_AGE.finditer(low) if _AGE_CUE.search(low) else ())
           if m.group(2) or _free(low, m.start())]
    out += [Candidate("age", str(int(m.group(1)) // 12 if m.group(2) == "month" else 0),
                      m.start(), "narrative")
            for m in (_INFANT.finditer(low) if "old" in low else ()) if _free(low, m.start())]
    if _PERSON_CUE.search(low):
        out += [Candidate("sex", m.group(1), m.start(1), "phrase")
                for m in _PERSON.finditer(low) if _free(low, m.start())]
    if _YO_SEX_CUE.search(head):
        out += [Candidate("sex", m.group(1), m.start(1), "phrase")
                for m in _YO_SEX.finditer(head) if _free(head, m.start())]
    fem, mas = _pronouns(low)
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
    if "NPI" not in text:  # a substring test in C; the pattern's leading \b tries every place
        return []
    return [Candidate("npi", m.group(1), m.start(1), "inline") for m in _NPI.finditer(text)]


def candidates(text: str, lines: list[Line] | None = None) -> list[Candidate]:
    """Every candidate of every field found by this module's layouts, in text order."""
    if lines is None:
        lines = lines_of(text)
    rows = label_rows(lines)
    found = inline_pairs(lines, set(rows))
    found += header_tables(lines, rows)
    found += letterhead(lines)
    found += signatures(lines, text.replace("\f", "\n").lower())
    found += date_lines(lines)
    found += narrative(text, lines)
    found += npis(text)
    return sorted(found, key=lambda c: c.start)
