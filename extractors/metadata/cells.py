"""Labels without colons, and identity blocks without labels, in the form head.

Many forms print "DOB 01/02/1960" or "MEDICAL RECORD NUMBER    123456" (the label in its
own cell, the value in the next), or a sticker: a name alone on its line above
"DOB ... MRN ..." lines. Without a colon a label is only a word, so a value found this
way must have the shape of its field (a date, a record number, a person, a sex) or it is
not taken; and a name with no label is taken only right beside an identity line (a line
that carries a birth-date, record-number or sex label). Both read the form head only.
Their candidates are labelled evidence ("bare") and unlabelled evidence ("band").
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from extractors.metadata.fields import (
    _LEAD_SPECKS,
    _ORG_WORDS,
    _TITLE_WORDS,
    _WIDE_SPLIT,
    CELL_SPLIT,
    Candidate,
    Line,
    _labelled,
    _labels_in,
    label_readings,
    label_row,
    split_combo,
)
from extractors.metadata.given_names import is_given_name
from extractors.metadata.labels import label_field
from extractors.metadata.normalise import CREDENTIALS, clean_mrn, parse_date, parse_person, sex_from

_WORDS = re.compile(r"[^\s]+")
CELL_LINES = 30  # identity blocks sit in the first lines; prose lines (over 160) hold none
GRID_LINES = 16  # a label grid beside the letterhead ends before the body's tables begin
_SEPS = " \t-=#:.>|"
_DATE_FIELDS = {"dob", "service", "admission", "discharge", "document", "document_generic"}
_IDENTITY = {"dob", "mrn", "sex", "age_sex", "combo:age+dob", "combo:dob+sex", "combo:age+dob+sex",
             "combo:dob+mrn", "combo:mrn+sex"}
_AGE_SEX = re.compile(r"\s*(?:\d{1,3}\s*(?:y|yr|yrs|yo|y/o|years?)?\s*[/,-]?\s*(?:M|F|Male|Female)|"
                      r"(?:M|F|Male|Female)\s*[/,-]\s*\d{1,3}\s*(?:y|yr|yrs|yo)?)\b", re.IGNORECASE)
_DATE_START = re.compile(r"\s*(?:\d|[OlIS]\d|[A-Za-z]{3,9}\.?[\s-]*\d)")  # "I5APR1971"
_SEX_VALUE = re.compile(r"(?:[MF]-)?(?:M|F|U|Male|Female|MALE|FEMALE|Unknown|UNKNOWN|male|"
                        r"female)[.,]?")  # "M-Male": "M - Male" with its gaps lost
_NAME_CHARS = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'`.,\- ]*")


def cells(line: str) -> list[tuple[int, str]]:
    """(offset, text) of a line's cells, split at wide gaps, specks trimmed in front."""
    out, pos = [], 0
    for cell in CELL_SPLIT.split(line):
        at = line.find(cell, pos) if cell else -1
        if at < 0:
            continue
        pos = at + len(cell)
        stripped = cell.strip().lstrip(_LEAD_SPECKS).lstrip()
        if stripped:
            out.append((at + cell.find(stripped), stripped))
    return out


@lru_cache(maxsize=16384)
def leading_label(cell: str) -> tuple[str, int] | None:
    """(field, value offset) of the longest known label that opens a cell, no colon needed.

    The label must end at a word boundary; what follows it (after any "-", "=", "#"
    separator) is the value, possibly empty (the value is then the next cell). Exact
    labels first, then labels with one OCR slip (short phrases only: the slip tolerance
    costs a set of deletion variants per phrase).
    """
    words = list(_WORDS.finditer(cell, 0, min(len(cell), 60)))[:6]
    phrases = []
    for k in range(len(words), 0, -1):
        end = words[k - 1].end()
        phrase = cell[:end]
        if not any(ch.isdigit() for ch in phrase):
            phrases.append((end, phrase.rstrip(_SEPS)))
    short = len(words) <= 4 and len(cell) <= 30  # a label-only cell: worth the slip search
    for slips in (False, True) if short else (False,):
        for end, phrase in phrases:
            if slips and (len(phrase) > 26 or phrase.count(" ") > 3):
                continue
            field = label_field(phrase, fuzzy=True, slips=slips)
            if field == "document_generic" and not slips:
                # "Date Bom 6/21/1942": a longer label with one OCR slip before bare "Date"
                field, end = _slipped_longer(phrases, end) or (field, end)
            if field:
                rest = cell[end:]
                return field, end + len(rest) - len(rest.lstrip(_SEPS))
    return None


def _slipped_longer(phrases: list[tuple[int, str]], end: int) -> tuple[str, int] | None:
    for longer_end, phrase in phrases:
        if longer_end > end and len(phrase) <= 26 and phrase.count(" ") <= 3:
            field = label_field(phrase, fuzzy=True)
            if field and field != "document_generic":
                return field, longer_end
    return None


# Words of form and document titles that take a person's shape ("FINANCIAL AGREEMENT").
_FORM_WORDS = re.compile(r"\b(agreement|consent|treatment|authori[sz]ation|registration|sheet|"
                         r"form|chart|notice|acknowledg\w*|instructions?|education|release|"
                         r"request|orders?|flowsheet|worksheet|questionnaire|assessment|"
                         r"screening|statement|privacy|financial|face|admission|discharge|"
                         r"medications?|allerg\w*|problems?|results?|vitals?|history|"
                         r"encounters?|insurance|diagnos\w*|plan|care|department|unit|"
                         r"service|division|section|page|continued|confidential)\b",
                         re.IGNORECASE)


def _is_person(value: str, unlabelled: bool = False) -> bool:
    """A person's name; unlabelled, its given name must also be a known given name."""
    words = value.split()
    if not 2 <= len(words) <= 5 or not _NAME_CHARS.fullmatch(value):
        return False
    if _ORG_WORDS.search(value) or _TITLE_WORDS.search(value):
        return False
    g, f = parse_person(value)
    known = is_given_name(g or "")
    # "PAGE, LEAH": a surname that is a form word, ordered as only names are
    if _FORM_WORDS.search(value) and not ("," in value and known):
        return False
    return bool(g and f) and (not unlabelled or known)


def typed(field: str, value: str) -> bool:
    """Whether ``value`` has the shape of ``field`` (the check that replaces a colon)."""
    if field == "name" or field == "author":
        return _is_person(value)
    if field in ("family", "given"):
        words = value.split()
        return 1 <= len(words) <= 2 and len(words[0].strip(".")) > 1 \
            and bool(_NAME_CHARS.fullmatch(value)) and not _ORG_WORDS.search(value) \
            and all(w[:1].isupper() for w in words)
    if field in _DATE_FIELDS:
        return bool(_DATE_START.match(value)) and parse_date(value) is not None
    if field == "mrn":  # "14JUL1958" is a date, "1002 Healthcare Dr." an address
        words = value.split()
        token = words[0] if words else ""
        return sum(ch.isdigit() for ch in token) >= 3 and clean_mrn(token) is not None \
            and parse_date(token) is None \
            and all(any(ch.isdigit() for ch in w) for w in words[1:3])
    if field == "sex":
        return bool(_SEX_VALUE.fullmatch(value.split()[0] if value.split() else "")) \
            and sex_from(value) is not None
    if field == "age_sex":
        return bool(_AGE_SEX.match(value))
    if field == "age":
        return bool(re.match(r"\d{1,3}\b", value))
    if field.startswith("combo:"):
        return bool(split_combo(field, value, 0, "bare"))
    if field == "facility":
        return bool(_ORG_WORDS.search(value)) and len(value) <= 80
    return False


def emit(field: str, value: str, at: int, kind: str = "bare") -> list[Candidate]:
    """Candidates of a typed value (joined labels split, a name cut at a wide gap)."""
    if field.startswith("combo:"):
        return split_combo(field, value, at, kind)
    if field == "age_sex":
        both = _labelled(field, value, at, kind)  # "74/F": the age checks the birth date
        if both:
            return both
        m = re.search(r"(?<![A-Za-z])(M|F|Male|Female)\b", value, re.IGNORECASE)
        return [Candidate("sex", m.group(1), at + m.start(1), kind)] if m else []
    if field in ("name", "author"):
        value = re.split(r"\s{2,}", value)[0]
    return [Candidate(field, value, at, kind)]


Row = list[tuple[int, str]]


def bare_pairs(lines: list[Line], rows: list[Row] | None = None) -> list[Candidate]:
    """Colon-less "Label value" cells and "Label" / "value" cell pairs in the form head.

    Cells with a colon are left to ``fields.inline_pairs``; a label cell followed by a
    cell that is itself a label takes nothing. "ignore" labels (account, encounter
    numbers) consume their value so that it is never read as anything else.
    """
    out: list[Candidate] = []
    head = lines[:CELL_LINES]
    rows = rows if rows is not None else [cells(line) for _, line in head]
    for i, (off, line) in enumerate(head):
        row = rows[i]
        if not row:
            continue
        if len(row) == 1 and i + 1 < len(head):
            out += _label_over_value(row[0][1], head[i + 1], rows[i + 1])
        pairing: bool | None = None  # a header row pairs nothing; decided when it matters
        j = 0
        while j < len(row):
            at, cell = row[j]
            j += 1
            if not cell[:1].isalpha() or len(cell) > 90 or ":" in cell:
                continue
            hit = leading_label(cell)
            if hit is None:
                continue
            field, vpos = hit
            value, vat = cell[vpos:].strip(), off + at + vpos
            if value and field in ("family", "given") and " " not in cell[:vpos].strip() \
                    and not any(ch in cell[:vpos] for ch in "-=#"):
                continue  # "Family Medicine": a one-word label needs its own cell
            if not value and j < len(row) and ":" not in row[j][1] \
                    and leading_label(row[j][1]) is None:
                if pairing is None:
                    pairing = label_row(line) is None
                if not pairing:
                    continue
                vat, value = off + row[j][0], row[j][1]
                j += 1
            if value and field != "ignore" and typed(field, value):
                out += emit(field, value, vat)
        out += _lone_sex(off, row)
    return out


_LONE_SEX = re.compile(r"(?:M|F|Male|Female|MALE|FEMALE)")


def _lone_sex(off: int, row: Row) -> list[Candidate]:
    """A cell that is only "F" / "Male" on a row with an identity label but no sex label."""
    sexes = [(at, c) for at, c in row if _LONE_SEX.fullmatch(c)]
    if len(sexes) != 1 or len(row) < 2:
        return []
    fields = {hit[0] for _, c in row if (hit := leading_label(c)) is not None}
    if fields & {"sex", "age_sex"} or not fields & _IDENTITY:
        return []
    return [Candidate("sex", sexes[0][1], off + sexes[0][0], "band")]


def _label_over_value(label: str, below: Line, nrow: Row) -> list[Candidate]:
    """A lone label line ("DATE SIGNED", "DOB:") over a value of its type on the next line."""
    if len(label) > 40 or not label[:1].isalpha():
        return []
    field = label_field(label.rstrip(" :#"), fuzzy=True)
    if field is None or field == "ignore":
        return []
    if not nrow or ":" in nrow[0][1] or leading_label(nrow[0][1]) is not None:
        return []
    value = nrow[0][1]
    if not typed(field, value):
        return []
    return [dataclasses.replace(c, kind="below") for c in emit(field, value, below[0] + nrow[0][0])]


def _identity_line(line: str, row: Row) -> bool:
    """A line that carries a birth-date, record-number or sex label (colon or not)."""
    if (":" in line or "#" in line) and any(
            f in _IDENTITY for _, _, f in _labels_in(line, fuzzy=True)):
        return True
    return any((hit := leading_label(c)) is not None and hit[0] in _IDENTITY for _, c in row)


def _lone_person(line: str, row: Row) -> str | None:
    """A line that is only a person's name (no label, no credentials).

    Two cells may be one name that large type or a speck spread ("Patricia  T Deleon").
    """
    if len(row) == 2 and not any(ch.isdigit() for _, c in row for ch in c):
        row = [(row[0][0], f"{row[0][1]} {row[1][1]}")]
    if len(row) != 1:
        return None
    text = row[0][1]
    if len(text) > 50 or not text[:1].isupper() or " " not in text \
            or not _NAME_CHARS.fullmatch(text):
        return None
    if leading_label(text) is not None:
        return None
    if any(w.lower().strip(".,") in CREDENTIALS for w in text.replace(",", " ").split()[1:]):
        return None  # "John Smith, MD": a clinician's line, not the patient's
    return text if _is_person(text, unlabelled=True) else None


_CLINICIAN_WORDS = {"dr", "doctor", "physician", "provider", "md", "nurse", "by", "attending",
                    "surgeon", "consultant", "author", "clinician", "radiologist", "signed"}
_ANY_LABEL = re.compile(r"([A-Za-z][A-Za-z.' ]{1,24}):\s*")


def _person_after_unknown_label(row: Row) -> str | None:
    """The person after a label no lexicon knows ("Concerning: DOE, JANE"), line alone.

    It counts as unlabelled, so its given name must be a known one.
    """
    row = _solid(row)
    text = " ".join(c for _, c in row) if len(row) == 2 and row[0][1].endswith(":") \
        else row[0][1] if len(row) == 1 else ""
    m = _ANY_LABEL.match(text)
    if m is None or label_field(m.group(1)) is not None \
            or _CLINICIAN_WORDS.intersection(m.group(1).lower().replace(".", " ").split()) \
            or text[m.end():].lower().startswith("dr"):
        return None  # "Responsible Dr: Dr. Henry Seven" is the clinician
    return _lone_person(text[m.end():], [(0, text[m.end():])])


def _solid(row: Row) -> Row:
    """A row without its specks (cells with no letter or digit: "—", ";")."""
    return [(at, c) for at, c in row if any(ch.isalnum() for ch in c)]


def lone_names(lines: list[Line], rows: list[Row]) -> list[Candidate]:
    """A name alone on a head line right above or below an identity line (a sticker)."""
    out: list[Candidate] = []
    head = lines[:CELL_LINES]
    for i, (off, line) in enumerate(head):
        name = _lone_person(line, _solid(rows[i])) or _person_after_unknown_label(rows[i])
        if name is None:
            continue
        near = [k for k in (i + 1, i + 2, i - 1) if 0 <= k < len(head)]
        if any(_identity_line(head[k][1], rows[k]) for k in near):
            out.append(Candidate("name", name, off + line.find(name), "band"))
    return out


def head_band_names(lines: list[Line], rows: list[Row]) -> list[Candidate]:
    """An unlabelled name in the first cell of a colon-less identity row."""
    out: list[Candidate] = []
    for i, (off, line) in enumerate(lines[:CELL_LINES]):
        row = rows[i]
        if len(row) < 2 or ":" in line:
            continue  # rows with colons are read by ``bands.name_bands``
        if leading_label(row[0][1]) is not None:
            continue
        if not any((hit := leading_label(c)) is not None and hit[0] in _IDENTITY
                   for _, c in row[1:]):
            continue
        if _lone_person(row[0][1], row[:1]) is not None:
            out.append(Candidate("name", row[0][1], off + row[0][0], "band"))
    return out


_KEPT_FIELDS = _DATE_FIELDS | _IDENTITY | {"name", "family", "given", "author", "age_sex"}


def _label_tail(row: Row) -> list[str | None] | None:
    """Fields of the label cells that end a row after other text, or None.

    A label grid printed beside the letterhead shares its lines ("Mercy Hospital  Full
    Name  Age/Sex"); one unknown cell (a label OCR garbled) is allowed at its left.
    """
    tail: list[str | None] = []
    unknown = 0
    for _, c in reversed(row):
        if len(c) == 1 and c not in "MF":
            continue  # a speck ("é", "j"): no column
        if any(ch.isdigit() for ch in c) or len(c) > 30:
            break
        f = label_field(c, fuzzy=True)
        if f is None:
            unknown += 1
            if unknown > 1 or len(c) > 12 or not re.sub(r"[\W_]", "", c).isalpha():
                break
        tail.append(f)
    while tail and tail[-1] is None:
        tail.pop()  # the unknown cell must sit between or right of known labels
    if not any(f in _KEPT_FIELDS for f in tail):
        return None
    return tail[::-1]


def _wide_cells(line: str) -> Row:
    """Cells split at wide gaps only: a joined label ("Age / Sex") stays one cell."""
    out, pos = [], 0
    for cell in _WIDE_SPLIT.split(line):
        at = line.find(cell, pos) if cell else -1
        stripped = cell.strip().lstrip(_LEAD_SPECKS + ";:").strip()
        if at >= 0 and stripped:
            out.append((at + cell.find(stripped), stripped))
            pos = at + len(cell)
    return _solid(out)


_PERSON_THEN_VALUE = re.compile(r"(.*[A-Za-z.])\s+(\d\S*(?:\s+\S+)*)")


def _unmerged(row: Row) -> Row:
    """Cells with a person and the next cell's value parted where OCR lost the gap.

    "Lori S Henderson 56/F" under "Full Name  Age/Sex" is two cells printed close.
    """
    out: Row = []
    for at, cell in row:
        m = _PERSON_THEN_VALUE.fullmatch(cell)
        if m and _is_person(m.group(1)):
            out += [(at, m.group(1)), (at + m.start(2), m.group(2))]
        else:
            out.append((at, cell))
    return out


def _identity_shaped(cell: str) -> bool:
    """A cell that could be a grid value: a date, a record number, a sex, a person."""
    return any(typed(f, cell) for f in ("dob", "mrn", "sex")) or _is_person(cell, True)


def shared_label_rows(lines: list[Line], rows: list[Row]) -> list[Candidate]:
    """Values under the label cells that end a row, matched right-aligned and by type.

    The left column (letterhead, address) runs into the grid on the same OCR lines, so
    only the value row's last cells are the grid's; each must have its label's shape,
    and a person under an unreadable label is taken as unlabelled (a known given name).
    """
    out: list[Candidate] = []
    for i in range(min(len(rows), GRID_LINES) - 1):
        labels: Row = []
        fields = None
        line = lines[i][1]
        for seen in label_readings(line):
            labels = _wide_cells(seen) if len(rows[i]) >= 2 else []  # "Last | Name" first
            fields = _label_tail(labels) if labels else None
            if fields is not None:
                break
        if fields is None:
            continue
        off = lines[i + 1][0]
        values = _wide_cells(lines[i + 1][1])
        if len(values) < len(fields):
            values = _unmerged(values)
        whole = len(fields) == len(labels)
        if len(values) < len(fields) or (whole and len(values) == len(fields)):
            continue  # a whole label row over as many values is ``header_tables``' own
        if whole and any(_identity_shaped(c) for _, c in values[:-len(fields)]):
            continue  # the extra cells are the grid's, not a left column's: no alignment
        for f, (at, value) in zip(fields, values[-len(fields):], strict=True):
            if f is None:
                if not any(ch.isdigit() for ch in value) and _is_person(value, unlabelled=True):
                    out.append(Candidate("name", value, off + at, "band"))
            elif f == "name" and not _is_person(value, unlabelled=True):
                continue  # a column guessed by position holds a person only by its name
            elif f != "ignore" and typed(f, value):
                out += emit(f, value, off + at, "table")
    return out


def candidates(lines: list[Line]) -> list[Candidate]:
    """Every candidate of this module's layouts (the head's cells are split once)."""
    rows = [cells(line) if line.strip() and len(line) <= 160 else []
            for _, line in lines[:CELL_LINES]]
    return bare_pairs(lines, rows) + lone_names(lines, rows) + head_band_names(lines, rows) \
        + shared_label_rows(lines, rows)
