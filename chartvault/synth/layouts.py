"""Header layouts random along every axis, grouped in named style families.

A hospital prints every chart in one house style: one label vocabulary, one separator,
labels beside or above their values, one name, date and sex format. A *family* is a
distribution over such house styles; ``draw_style`` picks one house style from it per
document, and ``header`` / ``letter_header`` print the identity block in that style.
Families differ on purpose (vocabulary slices, separators, positions, formats), so that
building with some families and measuring on the others (``benchmarks/leave_family_out``)
shows whether extraction depends on having seen a layout. ``family=None`` in
``make_document`` keeps the original layouts, byte for byte.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

from chartvault.synth.content_facts import Ctx
from chartvault.synth.content_header import AUTHOR_LABELS, DEFAULT_AUTHOR, SERVICE_LABELS
from chartvault.synth.model import Block

# Label wordings as forms print them, per field (a family sees a slice of each).
VOCAB: dict[str, tuple[str, ...]] = {
    "name": ("Patient Name", "Patient", "Name", "Pt Name", "Patient's Name", "Name of Patient",
             "Client Name", "Resident", "Member Name", "Patient Full Name", "Pt.",
             "Patient (Last, First)", "Name (Last, First)", "Legal Name", "Client"),
    "family": ("Last Name", "Surname", "Family Name", "Last", "Patient Last Name", "Family"),
    "given": ("First Name", "Given Name", "First", "Forename", "Given Names",
              "Patient First Name", "Given"),
    "dob": ("Date of Birth", "DOB", "D.O.B.", "Birth Date", "Birthdate", "Born", "Birth Dt",
            "Date Of Birth", "Birthday", "B/D", "DOB (Age)"),
    "sex": ("Sex", "Gender", "Sex at Birth", "Birth Sex", "Administrative Sex", "Legal Sex",
            "M/F"),
    "age_sex": ("Age/Sex", "Age / Sex", "Sex/Age", "Age/Gender", "Age & Sex", "Age, Sex"),
    "mrn": ("MRN", "Medical Record Number", "Medical Record #", "Med Rec #", "MR #", "MR No.",
            "MR Number", "Hospital Number", "Hospital No.", "Hosp #", "Unit Number", "Unit No.",
            "Chart #", "Chart No.", "Chart Number", "Patient ID", "Patient Identifier", "Pt ID",
            "EMPI", "Enterprise ID", "MPI #", "Record Number", "Health Record No.", "Person ID",
            "UR Number", "URN", "Clinic Number", "Patient No.", "MR", "Medical Rec. No."),
    "other_id": ("Encounter #", "Encounter Number", "Encounter ID", "Visit #", "Visit Number",
                 "Visit ID", "Account #", "Account Number", "Acct No.", "FIN", "FIN #", "CSN",
                 "Admission #", "Billing #", "Episode #", "Case #", "Acct", "Enc #", "HAR"),
    "service": ("Date of Service", "Service Date", "DOS", "Visit Date", "Date of Visit",
                "Encounter Date", "Appointment Date", "Date Seen", "Clinic Date",
                "Date of Encounter", "Visit", "Seen On"),
    "author": ("Physician", "Provider", "Attending", "Author", "Clinician", "Dictated By",
               "Seen By", "Treating Physician", "Attending Physician", "Consultant",
               "Rendering Provider", "Signed By", "Treating Provider", "Examined By"),
    "document": ("Report Date", "Date Signed", "Document Date", "Dictated", "Date Dictated",
                 "Signed", "Date of Report", "Note Date", "Created", "Finalized",
                 "Date Reported", "Signed On", "Date Created"),
    "facility": ("Facility", "Hospital", "Clinic", "Organization", "Facility Name",
                 "Practice"),
}

Position = Literal["beside", "above", "stacked"]
NameMode = Literal["labelled", "split", "band", "corner", "sticker"]


@dataclass(frozen=True)
class Family:
    """The axes a family draws from; every tuple is a set of allowed choices."""

    name: str
    separators: tuple[str, ...]
    positions: tuple[Position, ...]
    label_case: tuple[str, ...]  # upper | title | as_is
    name_modes: tuple[NameMode, ...]
    name_formats: tuple[str, ...]
    date_styles: tuple[str, ...]
    sex_formats: tuple[str, ...]
    per_line: tuple[int, ...]
    other_ids: float  # probability of an encounter/account number beside the MRN
    letterheads: tuple[str, ...]  # top | title_first | labelled | footer | logo
    vocab_slice: int  # which share of each vocabulary the family prints


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("colon_rows", (": ", ":  ", ": "), ("beside",), ("title", "as_is"),
           ("labelled", "labelled", "band"), ("LF_UPPER", "LF", "FL"),
           ("us", "us2", "long", "iso"), ("word", "letter"), (2, 3), 0.3,
           ("top", "top", "title_first", "logo"), 0),
    Family("bare_labels", ("  ", " ", "   "), ("beside",), ("upper", "title"),
           ("labelled", "band"), ("FAMILY_Given", "LF_UPPER", "FL_UPPER"),
           ("short_month", "d_mon_y", "us"), ("letter", "word_upper"), (1, 2, 3), 0.5,
           ("top", "labelled"), 1),
    Family("label_above", (":", ""), ("above",), ("upper", "title"),
           ("labelled", "labelled", "split"), ("LF", "FL", "LF_MIDDLE"),
           ("us", "mon_d_y_dash", "dd_mon_y_upper"), ("word", "letter", "age_sex"), (3, 4), 0.5,
           ("top", "title_first"), 2),
    Family("stacked_form", (":", ""), ("stacked",), ("title", "upper"),
           ("labelled", "split"), ("FL", "LF", "FL_MIDDLE"),
           ("iso", "us", "month_ordinal"), ("word", "letter"), (1,), 0.3,
           ("top", "footer"), 3),
    Family("sticker", (": ", " ", ":"), ("beside",), ("upper",),
           ("sticker", "corner"), ("LF_UPPER", "LF_MIDDLE", "FAMILY_Given"),
           ("us", "dmy_slash", "d_mon_y_slash"), ("letter", "age_sex"), (2, 3), 0.7,
           ("top", "labelled"), 4),
    Family("split_european", (": ", " : ", " - "), ("beside", "above"), ("title", "as_is"),
           ("split", "split", "labelled"), ("FAMILY_Given", "LF", "FL_SUFFIX"),
           ("dmy_slash", "dmy_dot", "d_month_y"), ("word", "word_upper"), (2, 3), 0.4,
           ("top", "title_first"), 5),
    Family("band_row", ("  ", ": ", " : "), ("beside", "above"), ("upper", "title"),
           ("band", "corner", "labelled"), ("LF_UPPER", "FL_SUFFIX", "LF_MIDDLE"),
           ("mon_dot", "mon_d_y_upper", "us2"), ("age_sex", "letter"), (2, 3, 4), 0.6,
           ("top", "footer", "labelled", "logo"), 6),
    Family("dashes", (" - ", " -- ", " = "), ("beside", "stacked"), ("title", "upper"),
           ("labelled", "corner"), ("FL", "LF", "FAMILY_Given"),
           ("ymd_slash", "iso", "d_mon_y", "long"), ("word", "letter", "age_sex"), (1, 2), 0.4,
           ("top", "title_first", "labelled"), 7),
)}
SLICES = 8


@dataclass(frozen=True)
class Style:
    """One house style drawn from a family."""

    family: str
    sep: str
    position: Position
    label_case: str
    name_mode: NameMode
    name_format: str
    date_style: str
    sex_format: str
    per_line: int
    other_id: bool
    letterhead: str
    labels: dict[str, str]
    gap: str


def _slice(field: str, k: int) -> tuple[str, ...]:
    """The family's share of a field's wordings: about half, keyed by slice number."""
    words = VOCAB[field]
    share = tuple(w for w in words if (zlib.crc32(f"{field}|{w}".encode()) + k) % SLICES
                  in {(k * 3) % SLICES, (k * 3 + 1) % SLICES, (k * 3 + 4) % SLICES,
                      (k * 3 + 6) % SLICES})
    return share or words


def draw_style(c: Ctx, family: str) -> Style:
    """One house style of ``family`` for this document."""
    f = FAMILIES[family]
    labels = {field: c.pick(_slice(field, f.vocab_slice)) for field in VOCAB}
    svc = SERVICE_LABELS.get(c.doc_type)
    if svc and c.sometimes(0.5):
        labels["service"] = c.pick(svc)
    auth = AUTHOR_LABELS.get(c.doc_type)
    if auth and c.sometimes(0.3):
        labels["author"] = c.pick([a for a in auth if "Ordering" not in a
                                   and "Referring" not in a and "Submitting" not in a]
                                  or DEFAULT_AUTHOR)
    return Style(family, c.pick(f.separators), c.rng.choice(f.positions), c.pick(f.label_case),
                 c.rng.choice(f.name_modes), c.pick(f.name_formats), c.pick(f.date_styles),
                 c.pick(f.sex_formats), c.rng.choice(f.per_line), c.sometimes(f.other_ids),
                 c.pick(f.letterheads), labels, c.pick(["  ", "   ", "    "]))


def _case(s: Style, label: str) -> str:
    if s.label_case == "upper":
        return label.upper()
    if s.label_case == "title":
        return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in label.split())
    return label


def person(c: Ctx, fmt: str) -> str:
    """The patient's name in a printing format."""
    g, f = c.given, c.family
    mid = c.pick(list("ABCDEFGHJKLMNPRSTW"))
    suffix = c.pick(["Jr.", "Sr.", "II", "III"]) if c.sex == "M" else c.pick(["", "II"])
    return {
        "LF_UPPER": f"{f.upper()}, {g.upper()}",
        "LF": f"{f}, {g}",
        "FL": f"{g} {f}",
        "FL_UPPER": f"{g.upper()} {f.upper()}",
        "FAMILY_Given": f"{f.upper()} {g}",
        "LF_MIDDLE": f"{f.upper()}, {g.upper()} {mid}",
        "FL_MIDDLE": f"{g} {mid}. {f}",
        "FL_SUFFIX": f"{g} {f} {suffix}".rstrip() if suffix else f"{g} {mid}. {f}",
    }[fmt]


def sex_text(c: Ctx, s: Style) -> str:
    """The sex as the style prints it (age/sex styles are printed by ``age_sex``)."""
    word = {"F": "Female", "M": "Male"}[c.sex]
    return {"word": word, "letter": c.sex, "word_upper": word.upper()}.get(s.sex_format, c.sex)


def age_sex(c: Ctx) -> str:
    """'54 F', '54/F', '54Y F', 'F/54', '54 yo F'."""
    return c.pick([f"{c.age} {c.sex}", f"{c.age}/{c.sex}", f"{c.age}Y {c.sex}",
                   f"{c.sex}/{c.age}", f"{c.age} yo {c.sex}", f"{c.age}y / {c.sex}"])


def _other_id(c: Ctx) -> str:
    r = c.rng
    return c.pick([str(r.randint(10**6, 10**9)), f"E{r.randint(10**6, 10**8)}",
                   f"{r.randint(10**5, 10**6)}-{r.randint(10, 99)}",
                   str(r.randint(10**9, 10**10))])


Pairs = list[tuple[str, str]]


def _fields(c: Ctx, s: Style, show: dict[str, bool], name_inline: bool) -> tuple[Pairs, Pairs]:
    """(label, value) pairs of the identity and of the encounter block, in the style's order."""
    lab = s.labels
    ident: list[tuple[str, str]] = []
    if name_inline and s.name_mode == "labelled":
        label = lab["name"]
        if "Last, First" in label and not s.name_format.startswith("LF"):
            label = label.split(" (")[0]  # the label says the order: keep it true
        ident.append((label, person(c, s.name_format)))
    elif name_inline and s.name_mode == "split":
        ident += [(lab["family"], c.family.upper() if c.sometimes(0.4) else c.family),
                  (lab["given"], c.given)]
    ident.append((lab["dob"], c.d(c.birth)))
    if s.sex_format == "age_sex":
        ident.append((lab["age_sex"], age_sex(c)))
    else:
        ident.append((lab["sex"], sex_text(c, s)))
        if c.sometimes(0.3):
            ident.append(("Age", f"{c.age}" + c.pick(["", " y", " yrs", "Y"])))
    if show["mrn"]:
        ident.append((lab["mrn"], c.mrn))
    if s.other_id:
        ident.insert(c.rng.randint(len(ident) - 1, len(ident)), (lab["other_id"], _other_id(c)))
    if c.sometimes(0.5):
        c.rng.shuffle(ident)  # the family's order, not always name first
        if s.name_mode in ("labelled", "split") and c.sometimes(0.7):
            names = [p for p in ident if p[0] in (lab["name"], lab["family"], lab["given"])]
            ident = names + [p for p in ident if p not in names]
    enc: list[tuple[str, str]] = []
    if c.admission and c.doc_type in ("discharge_summary", "transfer_summary"):
        enc.append((_case(s, c.pick(["Admission Date", "Admit Date", "Date of Admission"])),
                    c.d(c.admission)))
        if c.discharge:
            enc.append((_case(s, c.pick(["Discharge Date", "Date of Discharge"])),
                        c.d(c.discharge)))
    elif show["service"]:
        enc.append((lab["service"], c.d(c.service)))
    if show["author"]:
        enc.append((lab["author"], f"{c.author_given} {c.author_family}, {c.cred}"))
    if c.sometimes(0.4):
        enc.append((lab["document"], c.d(c.document_date)))
    if s.letterhead == "labelled":
        enc.append((lab["facility"], c.facility))
    return [(_case(s, k), v) for k, v in ident], [(_case(s, k), v) for k, v in enc]


def _rows(s: Style, pairs: list[tuple[str, str]]) -> list[Block]:
    """Pairs laid out beside, above or stacked, ``per_line`` to a row."""
    out: list[Block] = []
    n = s.per_line
    groups = [pairs[i:i + n] for i in range(0, len(pairs), n)]
    for g in groups:
        if s.position == "beside":
            out.append(Block("field_row", s.gap.join(f"{k}{s.sep}{v}" for k, v in g)))
        elif s.position == "above":
            colon = ":" if s.sep.strip() == ":" else ""
            out.append(Block("table_row", s.gap.join(f"{k}{colon}" for k, _ in g)))
            out.append(Block("table_row", s.gap.join(v for _, v in g)))
        else:
            for k, v in g:
                colon = ":" if s.sep.strip() == ":" else ""
                out += [Block("field_row", f"{k}{colon}"), Block("field_row", v)]
    return out


def header(c: Ctx, show: dict[str, bool], s: Style) -> list[Block]:
    """The demographic header of a non-letter document in house style ``s``."""
    name = person(c, s.name_format)
    out: list[Block] = []
    if s.name_mode == "corner":
        out.append(Block("field_row", name, align="right"))
    if s.name_mode == "sticker":
        lines = [name, f"{_case(s, s.labels['dob'])}{s.sep}{c.d(c.birth)}{s.gap}"
                 + (age_sex(c) if s.sex_format == "age_sex" else sex_text(c, s))]
        if show["mrn"]:
            lines.append(f"{_case(s, s.labels['mrn'])}{s.sep}{c.mrn}"
                         + (f"{s.gap}{_case(s, s.labels['other_id'])}{s.sep}{_other_id(c)}"
                            if s.other_id else ""))
        out += [Block("field_row", x) for x in lines]
        return out + _rows(s, _fields(c, s, show, False)[1])
    ident, enc = _fields(c, s, show, s.name_mode in ("labelled", "split"))
    rows = _rows(s, ident + enc)
    if s.name_mode == "band":
        first = rows[0]
        if s.position == "beside":
            rows[0] = Block(first.kind, f"{name}{s.gap}{first.text}")
        else:
            rows.insert(0, Block("field_row", name))
    return out + rows


def letter_header(c: Ctx, show: dict[str, bool], s: Style) -> list[Block]:
    """Date line, inside address and the patient line of a letter in house style ``s``."""
    out = [Block("spacer"), Block("paragraph", c.d(c.document_date)), Block("spacer")]
    if c.sometimes(0.5):
        out += [Block("paragraph", f"Dr. {c.referrer}"),
                Block("paragraph", f"{c.fake.street_address()}, {c.fake.city()}")]
    lead = c.pick(["RE", "Re", "Regarding", "Patient", "Subject", "RE"])
    name = person(c, s.name_format)
    dob_label = _case(s, s.labels["dob"])
    mrn = f"{s.gap}{_case(s, s.labels['mrn'])}{s.sep}{c.mrn}" if show["mrn"] else ""
    form = c.rng.randint(0, 2)
    if form == 0:
        out.append(Block("field_row", f"{lead}: {name}{s.gap}{dob_label}{s.sep}"
                                      f"{c.d(c.birth)}{mrn}"))
    elif form == 1:
        out.append(Block("field_row", f"{lead}: {name}"))
        out += _rows(s, [(dob_label, c.d(c.birth))]
                     + ([(_case(s, s.labels["mrn"]), c.mrn)] if show["mrn"] else []))
    else:
        out.append(Block("field_row", f"{lead}: {name} ({dob_label} {c.d(c.birth)})"))
        if show["mrn"]:
            out.append(Block("field_row", mrn.strip()))
    return out


def footer_facility(c: Ctx, s: Style) -> list[Block]:
    """A facility printed once more at the foot of the document, for 'footer' styles."""
    if s.letterhead != "footer":
        return []
    return [Block("paragraph", f"{c.facility} - {c.pick(['Confidential', 'Medical Records'])}")]


def logo(facility: str) -> str:
    """The facility's initials, as a logo prints them before its name ("SMH")."""
    return "".join(w[0] for w in facility.split() if w[:1].isupper())


def dates_in(c: Ctx, s: Style) -> None:
    """Print every date of the document in the style's date format."""
    c.date_style = s.date_style


