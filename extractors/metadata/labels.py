"""Field labels as printed on forms, and how to look them up despite OCR noise.

A label maps to a field key; ``ignore`` labels (account numbers, SSN, referring or
ordering clinicians) are recognised only so that their values are never mistaken for the
MRN or the author. Lookup compares letters only, so "DATEOF SURGERY." and "Med. Rec. #"
still match.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("patient name", "patient's name", "pt name", "name of patient", "patient",
             "name", "re", "client name", "patient full name", "pt", "member name",
             "resident name", "re patient", "full name", "legal name", "patient full name"),
    "family": ("last name", "surname", "family name", "patient last name"),
    "given": ("first name", "given name", "patient first name"),
    "dob": ("date of birth", "birth date", "birthdate", "dob", "d.o.b.", "d.o.b", "born",
            "dob/age", "dob / age", "date of birth/age", "birth"),
    "mrn": ("medical record number", "medical record no", "medical record #", "medical record",
            "med rec no", "med rec #", "med rec", "mrn #", "mrn", "mr #", "mr#", "mr no",
            "mr number", "chart #", "chart no", "chart number", "record #", "record number",
            "record no", "patient id", "patient #", "hospital #", "hospital number", "unit #",
            "unit number", "mrn no", "health record number", "patient number", "pt id",
            "medical rec no", "medical rec #", "med rec number", "chart id", "patient id no",
            "patient no", "pt #", "mrn number", "medical record id", "hospital no"),
    "sex": ("sex", "gender", "sex/gender", "gender/sex", "sex / gender", "birth sex", "m/f",
            "sex at birth", "administrative sex", "legal sex", "sex (m/f)"),
    "age": ("age",),
    "age_sex": ("age/sex", "age / sex", "sex/age", "age/gender", "age & sex"),
    "service": ("date of service", "service date", "dos", "visit date", "date of visit",
                "encounter date", "date of encounter", "exam date", "date of exam",
                "study date", "date of study", "date of surgery", "surgery date",
                "date of procedure", "procedure date", "date of operation", "operation date",
                "collection date", "date collected", "date of consultation",
                "consultation date", "date of consult", "consult date", "date seen",
                "appointment date", "date of evaluation", "evaluation date",
                "examination date", "date of examination", "date performed",
                "date of collection", "procedure performed on", "ed visit date",
                "date of ed visit", "arrival date", "ed visit", "collected", "date received",
                "received date", "received", "specimen collected", "specimen received"),
    "admission": ("admission date", "date of admission", "admit date", "admitted",
                  "date admitted", "hospitalized", "hospitalised", "date hospitalized"),
    "discharge": ("discharge date", "date of discharge", "discharged", "date discharged"),
    "document": ("report date", "date of report", "date signed", "signed date", "document date",
                 "date dictated", "dictation date", "date of dictation", "dictated",
                 "date transcribed", "signed on", "date reported", "reported", "d",
                 "date of note", "note date", "date of letter", "letter date", "created",
                 "date created", "finalized", "date finalized", "authenticated",
                 "date of transcription", "transcribed", "verified date", "signed date/time",
                 "date/time signed"),
    "document_generic": ("date", "signed", "printed"),
    "author": ("author", "physician", "attending physician", "attending", "provider",
               "surgeon", "dictated by", "electronically signed by", "signed by",
               "interpreted by", "pathologist", "radiologist", "reading physician",
               "treating physician", "rendering provider", "consultant", "clinician",
               "primary surgeon", "attending surgeon", "dictating physician", "seen by",
               "examined by", "reported by", "authenticated by", "performed by",
               "consulting physician", "emergency physician", "ed physician", "author/signer",
               "signing physician", "dictating provider", "treating provider"),
    "npi": ("npi", "npi #", "npi no", "npi number", "provider npi"),
    "facility": ("facility", "hospital", "organization", "custodian",
                 "facility name", "practice", "clinic", "clinic name", "hospital name",
                 "practice name", "organization name", "custodian organization",
                 "treating facility", "service facility", "rendering facility",
                 "place of service", "facility/location"),
    "ignore": ("referring physician", "ordering physician", "primary care physician", "pcp",
               "referred by", "cc", "acct #", "account #", "account number", "acct", "account",
               "ssn", "social security", "social security number", "ss#", "fin", "fin #",
               "encounter #", "encounter number", "visit #", "visit number", "csn", "har",
               "room", "bed", "room/bed", "phone", "tel", "fax", "insurance", "member id",
               "policy #", "group #", "referring provider", "ordering provider", "copy to",
               "assistant", "assistant surgeon", "anesthesiologist", "anesthesia",
               "date of injury", "onset", "t", "time", "transcriptionist", "dob of guarantor",
               "guarantor", "emergency contact", "next of kin", "referring", "ordered by",
               "requested by", "primary care provider", "family physician", "pcp name",
               "order #", "accession #", "accession", "specimen #", "case #", "exam",
               "indication", "address", "city", "zip", "email", "status", "race",
               "ethnicity", "language", "marital status", "religion", "location of service",
               "receiving facility", "transferring facility", "referring facility",
               "sending facility", "accepting physician", "receiving physician",
               "accepting facility", "referring doctor", "receiving hospital",
               "referring hospital", "previous facility", "pharmacy"),
}

# How forms word the same fields elsewhere: record numbers by hospital tradition (unit,
# hospital, UR, EMPI/MPI numbers), names split or ordered ("Patient (Last, First)"),
# birth dates and sexes by registration system; and the numbers printed beside the MRN
# that are *not* it (encounter, visit, account, billing, episode numbers).
MORE_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("patient (last, first)", "name (last, first)", "patient name (last, first)",
             "name (last, first, mi)", "patient (last, first, mi)", "pt. name", "client",
             "resident", "member", "patient's full name", "name of client", "patient legal name",
             "name of resident", "full patient name", "regarding", "subject", "in re",
             "re:", "patient re"),
    "family": ("family", "last", "surname/family name", "patient surname", "family/last name",
               "last name/surname", "surname (family name)"),
    "given": ("given", "first", "forename", "forenames", "given names", "given name(s)",
              "first/given name", "patient given name", "christian name"),
    "dob": ("birth dt", "birthday", "b/d", "bd", "dob (age)", "date of birth (age)",
            "dob/age/sex", "birth date/age", "d.o.b./age", "born on", "dob (mm/dd/yyyy)",
            "date birth", "birth date (age)", "dob(age)", "b.d.", "dob age", "dt of birth",
            "dt. of birth"),
    "mrn": ("mr", "mr no.", "hospital no.", "hosp #", "hosp no", "hosp no.", "hospital id",
            "unit no.", "unit no", "chart", "chart no.", "patient identifier", "pt identifier",
            "empi", "empi #", "empi no", "enterprise id", "enterprise mrn", "mpi", "mpi #",
            "mpi no", "person id", "person #", "person number", "ur number", "ur no", "urn",
            "ur #", "u.r. number", "clinic number", "clinic no",
            "medical rec. no.", "medical record no.", "med. rec. #", "health record no.",
            "hrn", "emrn", "mrn/id", "id #", "patient id #", "pt. id", "record", "mr id",
            "local patient id", "patient mrn", "medical record num", "mrn (local)"),
    "sex": ("gender identity", "gender (sex)", "sex (gender)", "sex/gender identity",
            "administrative gender", "admin gender", "admin sex", "birth gender",
            "legal gender", "sex assigned at birth", "assigned sex", "assigned sex at birth",
            "physiological sex", "biological sex", "patient gender", "gender/sex at birth",
            "sex code", "gender code"),
    "age_sex": ("age, sex", "age and sex", "sex & age", "gender/age", "age / gender",
                "age/sex/race", "sex / age", "age - sex", "age & gender", "age/gender/race"),
    "service": ("seen on", "clinic date", "visit", "date of encounter", "appt date",
                "appointment", "date seen in clinic", "treatment date", "date of treatment",
                "service", "encounter", "dt of service", "svc date", "date of appointment",
                "clinic visit", "office visit", "visit dt", "study dt", "exam dt",
                "date of study/exam", "date of the visit"),
    "document": ("date reported", "date created", "signed on", "date signed/time",
                 "electronically signed on", "signature date", "date of signature",
                 "report dt", "dictated on", "transcribed on", "finalized on", "date typed",
                 "typed", "dictation dt"),
    "author": ("examined by", "treating provider", "signed by", "clinician name",
               "provider name", "physician name", "attending md", "attending dr",
               "attending doctor", "doctor", "md", "responsible physician", "note author",
               "author of note", "consulting provider", "treating doctor", "practitioner",
               "responsible dr", "responsible doctor", "responsible clinician",
               "responsible provider", "responsible consultant", "operating surgeon",
               "reading radiologist", "reporting radiologist", "reporting pathologist",
               "performing physician", "performing surgeon", "operating physician"),
    "facility": ("hospital/facility",
                 "organisation", "health facility", "provider organization"),
    "ignore": ("encounter id", "enc #", "enc no", "enc id", "visit id", "visit no",
               "acct no", "acct no.", "account no", "account no.", "account id", "patient account",
               "patient account #", "pt acct", "admission #", "admission no", "adm #",
               "billing #", "billing no", "billing number", "episode #", "episode no",
               "episode number", "episode id", "case", "case no", "case number", "fin no",
               "fin number", "fin nbr", "financial number", "claim #", "claim number",
               "requisition #", "req #", "order no", "order number", "admit #",
               "guarantor #", "insurance id", "subscriber id", "policy number", "nhs number",
               "ssn #", "soc sec #", "visit no.", "csn #", "har #", "encounter no", "enc",
               "account nbr", "acct nbr", "location", "unit", "ward", "service line",
               "dept", "department", "floor", "mother", "father", "parent", "guardian",
               "spouse", "contact", "surgeon's assistant", "interpreter"),
}
for _field, _labels in MORE_LABELS.items():
    FIELD_LABELS[_field] = FIELD_LABELS[_field] + _labels
# Short labels that only mean a field in the form head ("Last", "First", "S"): in the
# narrative they are ordinary words.
HEAD_ONLY = {"last", "first", "given", "family", "forename", "mr", "service", "appointment",
             "md", "doctor", "site", "client", "resident", "member", "bd"}

# letters-only key -> field; "Medical Record #" and "MEDICALRECORD#" meet at "medicalrecord"
LABELS: dict[str, str] = {}
for _field, _labels in FIELD_LABELS.items():
    for _lab in _labels:
        LABELS.setdefault(re.sub(r"[^a-z]", "", _lab), _field)
LABELS.pop("", None)

_STRIP = re.compile(r"[^a-z]")
_HEAD_ONLY_KEYS = {_STRIP.sub("", w) for w in HEAD_ONLY}


_FUZZY_MIN = 7  # letters: shorter labels ("sex", "dob") are too close to ordinary words
_FUZZY_TWO = 12  # letters from which two OCR slips are tolerated ("DATE OL SERVICI")


def _deletions(key: str, depth: int) -> set[str]:
    out, frontier = {key}, {key}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _fuzzy_index(depth: int, min_len: int) -> dict[str, str | None]:
    """Deletion variant -> field, for labels of ``min_len`` letters or more.

    None where two fields share a variant: an ambiguous slip is no label.
    """
    index: dict[str, str | None] = {}
    for key, field in LABELS.items():
        if len(key) >= min_len:
            for variant in _deletions(key, depth):
                index[variant] = field if index.get(variant, field) == field else None
    return index


_FUZZY_1 = _fuzzy_index(1, _FUZZY_MIN)
_FUZZY_2 = _fuzzy_index(2, _FUZZY_TWO)
# First and last five letters of the two-slip variants: a key's variant can only meet one
# if its own ends do, and those come from the key's first and last seven letters.
_HEADS_2 = frozenset(v[:5] for v in _FUZZY_2)
_TAILS_2 = frozenset(v[-5:] for v in _FUZZY_2)


_FIVE_OF_SEVEN = tuple(combinations(range(7), 5))


def _fives(seven: str) -> set[str]:
    """Every five letters of seven, in order: what the ends of a two-slip variant can be."""
    return {seven[a] + seven[b] + seven[c] + seven[d] + seven[e]
            for a, b, c, d, e in _FIVE_OF_SEVEN}


def _may_meet_2(key: str) -> bool:
    """Whether a two-slip variant of ``key`` (11 letters or more) can be in ``_FUZZY_2``.

    Exact as a filter: a variant's first (last) five letters are five of the key's first
    (last) seven, 21 strings each where the key's own variants are hundreds.
    """
    return not _HEADS_2.isdisjoint(_fives(key[:7])) \
        and not _TAILS_2.isdisjoint(_fives(key[-7:]))


@lru_cache(maxsize=8192)
def _fuzzy_field(key: str) -> str | None:
    """Field of a label key within one OCR slip (two for long labels), if unambiguous.

    Symmetric deletion: two keys are close when deleting up to ``d`` letters from each
    makes them meet (a substitution costs one deletion on each side).
    """
    if not _FUZZY_MIN - 1 <= len(key) <= 30:
        return None
    found = {_FUZZY_1.get(v, "") for v in _deletions(key, 1)}
    if len(key) >= _FUZZY_TWO - 1 and _may_meet_2(key):
        found |= {_FUZZY_2.get(v, "") for v in _deletions(key, 2)}
    found.discard("")
    return found.pop() if len(found) == 1 else None


_PAREN = re.compile(r"\([^)]*\)")
_JOINER = re.compile(r"\s*(?:/|&|,|\band\b|\+)\s*")
_COMBINABLE = {"dob", "sex", "age", "mrn", "age_sex"}
_WORDS_OF = re.compile(r"[a-z]+")
_ABBREV = {"dt": "date", "dte": "date", "svc": "service", "serv": "service", "adm": "admission",
           "admit": "admission", "disch": "discharge", "dc": "discharge", "rpt": "report",
           "pt": "patient", "pts": "patient", "enc": "encounter", "hosp": "hospital",
           "med": "medical", "rec": "record", "spec": "specimen", "specs": "specimen",
           "num": "number", "nbr": "number", "nr": "number",
           "dob": "dob", "phys": "physician", "prov": "provider", "fac": "facility"}
_BIRTH_WORD = re.compile(r"birth|\bborn\b|\bd\.?o\.?b\b", re.IGNORECASE)
# Birth words that are some other field: the baby's weight, the mother's, the place.
# When the encounter happened, by what happened: the words of service-date labels.
_EVENT_WORDS = {"visit", "encounter", "service", "exam", "examination", "study", "surgery",
                "operation", "op", "procedure", "collected", "collection", "seen", "consult",
                "consultation", "appointment", "appt", "performed", "arrival", "arrived",
                "triage", "scan", "imaging", "treatment", "evaluation", "evaluated", "ed",
                "er", "clinic", "office", "specimen", "biopsy", "accessioned", "received",
                "test", "testing", "session", "episode", "surgical", "operative", "acquired",
                "presentation", "presented", "imaged", "scanned", "or", "theatre", "theater",
                "obtained"}
_EVENT_LABEL_WORDS = {"date", "dt", "dte", "of", "the", "on", "time", "and", "day", "patient",
                      "was", "when", "start", "dos", "first", "initial"}
# An event word names a date only with a word of time ("Exam Date", "Surgery Performed"),
# or alone when it is itself a moment ("Arrived", "Seen", "Visit").
_WHEN_WORDS = {"date", "dt", "dte", "on", "time", "day", "performed", "collected", "received",
               "seen", "arrived", "accessioned", "acquired", "dos", "imaged", "scanned",
               "obtained"}
_WHEN_EVENTS = {"visit", "encounter", "arrival", "arrived", "seen", "appointment", "appt",
                "collected", "performed", "dos", "accessioned", "obtained"}
_BIRTH_LABEL_WORDS = {"date", "dt", "dte", "of", "patient", "pt", "patients", "the", "day", "on",
                      "d", "b", "o", "mm", "dd", "yyyy", "yy", "age", "his", "her", "client"}
_NOT_BIRTH = re.compile(r"weight|history|control|place|country|city|state|order|sex|gender|"
                        r"certificate|name|plurality|hospital|mother|father|parent|guarantor|"
                        r"spouse|insured|subscriber|defect|trauma|rate|plan|mark|facility|"
                        r"registration|length|height|\bwt\b|\bhx\b", re.IGNORECASE)
# "Patient DOB", "Pt. Sex", "Patient's Gender": whose field it is, said in front of it.
_WHOSE = re.compile(r"\s*(?:patient'?s?|pt'?s?\.?|client'?s?|member'?s?|resident'?s?)\s+",
                    re.IGNORECASE)
_WHOSE_FIELDS = {"dob", "sex", "age", "age_sex", "mrn", "family", "given", "name"}


def _combo(cell: str, fuzzy: bool) -> str | None:
    """'combo:age+dob' for a label joining identity labels ("Age/DOB", "Sex & DOB").

    Every part must be an identity label of its own; the value is then split by type
    (a date, a sex, an age, a record number), whatever order the parts are printed in.
    """
    parts = [p for p in _JOINER.split(cell.strip(" :#")) if p.strip()]
    if len(parts) < 2:
        return None
    fields: list[str] = []
    for part in parts:
        f = LABELS.get(_STRIP.sub("", part.lower()))
        if f is None and fuzzy:
            f = _fuzzy_field(_STRIP.sub("", part.lower()))
        if f not in _COMBINABLE:
            return None
        fields += ["age", "sex"] if f == "age_sex" else [f]
    return "combo:" + "+".join(sorted(set(fields)))


def _label_words_only(cell: str) -> bool:
    """Whether every word of ``cell`` is a word labels are made of (the fallbacks' gate).

    Spelling out abbreviations, joined and qualified labels, birth and event words all
    build labels from label words; a phrase with any other word ("Doe, Jane DOB") is a
    value running into a label and is not worth those tries.
    """
    return all(w in _VOCAB_WORDS or "birth" in w for w in _WORDS_OF.findall(cell.lower()))


# OCR misreads inside labels: "Date Bom", "Agel Sex", "EMP!", "visit ot" / "Ot. of Birth"
_OCR_SWAPS = (("m", "rn"), ("l", "/"), ("!", "I"), (" ot", " dt"), ("Ot", "Dt"))


@lru_cache(maxsize=32768)
def label_field(cell: str, fuzzy: bool = False, slips: bool = True) -> str | None:
    """Field of a label cell ('Patient Name:', 'DATEOF SURGERY.'), or None.

    ``fuzzy`` (the form head) accepts the short head-only labels ("Last", "First") and,
    with ``slips``, one OCR slip in a label of seven letters or more ("pate of Visit",
    "PANIENT"), two in one of twelve or more; callers use it only where a label is
    expected (header rows, the form head), never across the narrative.
    """
    key = _STRIP.sub("", cell.lower())
    if not 0 < len(key) <= 40:
        return None
    found = LABELS.get(key)
    if found is None and fuzzy and slips:  # "Date Bom", "AgelSex", "EMP!": OCR's swaps
        for seen, printed in _OCR_SWAPS:
            if seen in cell:
                found = label_field(cell.replace(seen, printed), fuzzy, slips=False)
                if found is not None:
                    return found
    if found is None and not _label_words_only(cell):  # a value, not a label, or a speck in it
        return (_fuzzy_field(key) or _without_specks(cell)) if fuzzy and slips else None
    if found is None and "(" in cell:  # "Date of Birth (mm/dd/yyyy)", "Name (Last, First)"
        bare = _PAREN.sub(" ", cell).strip()
        if bare and bare != cell:
            return label_field(bare, fuzzy, slips)
    if found is None and _JOINER.search(cell):
        found = _combo(cell, fuzzy and slips)
    if found is None:
        words = _WORDS_OF.findall(cell.lower())
        spelled = [_ABBREV.get(w, w) for w in words]
        if spelled != words:  # "Dt of Birth", "Svc Dt", "Adm. Date": abbreviations spelled out
            return label_field(" ".join(spelled), fuzzy, slips)
        if 0 < len(words) <= 4 and _BIRTH_WORD.search(cell) and not _NOT_BIRTH.search(cell) \
                and all(w in _BIRTH_LABEL_WORDS or _BIRTH_WORD.search(w) for w in words):
            return "dob"  # "Date Birth", "Birthdt", "Day of Birth": label words only
        if 0 < len(words) <= 4 and any(w in _EVENT_WORDS for w in words) \
                and all(w in _EVENT_WORDS or w in _EVENT_LABEL_WORDS for w in words) \
                and ((len(words) > 1 and any(w in _WHEN_WORDS for w in words))
                     or any(w in _WHEN_EVENTS for w in words)):
            return "service"  # "Exam Performed", "Arrival Date/Time", "Date of Op"
    if found is None:
        whose = _WHOSE.match(cell)
        if whose and cell[whose.end():].strip():  # "Patient DOB", "Pt. Birth Date"
            inner = label_field(cell[whose.end():], fuzzy, slips)
            return inner if inner in _WHOSE_FIELDS or (inner or "").startswith("combo:") else None
    if found is None and fuzzy and slips:
        found = _fuzzy_field(key)
    elif found is not None and not fuzzy and key in _HEAD_ONLY_KEYS:
        return None
    return found


def _without_specks(cell: str) -> str | None:
    """Field of a label with a speck read as a short word inside ("Family Ni Name")."""
    words = cell.split()
    kept = [w for w in words if len(w.strip(".,:;#")) > 2 or not w.strip(".,:;")
            or w.lower().strip(".,:;") in _VOCAB_WORDS]
    if len(words) < 3 or len(kept) == len(words) or not kept:
        return None
    return label_field(" ".join(kept), fuzzy=True, slips=False)


# Every word that labels are made of, for ``_label_words_only``.
_VOCAB_WORDS = {w for labels in FIELD_LABELS.values() for lab in labels
                for w in _WORDS_OF.findall(lab.lower())} | set(_ABBREV) | set(_ABBREV.values()) \
    | _EVENT_WORDS | _EVENT_LABEL_WORDS | _WHEN_WORDS | _BIRTH_LABEL_WORDS \
    | {"patient", "patients", "pt", "pts", "client", "clients", "member", "members", "resident",
       "residents", "s", "mm", "dd", "yyyy", "yy", "mi", "code", "number", "no"}
