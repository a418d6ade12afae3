"""From candidates to one validated value per field, with confidence and flags.

Each field ranks its evidence kinds (a labelled value beats a value inferred from prose);
the best-ranked candidate wins, earliest first. Other candidates of the same rank either
agree (support), or disagree (a conflict: flagged, and the confidence drops to what such
conflicts are worth on generated documents). Confidence is looked up per (field,
evidence kind, agreement state) in the calibration table, then lowered by failed checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from chartvault.model import Extraction, Patient, Sex
from extractors.metadata.calibration import confidence_for
from extractors.metadata.fields import _ORG_WORDS, _TITLE_WORDS, Candidate
from extractors.metadata.given_names import misread_given_name
from extractors.metadata.normalise import (
    DateOrder,
    clean_mrn,
    clean_org,
    cpt_valid,
    fix_digits,
    icd10_valid,
    mrn_ambiguous,
    npi_valid,
    parse_date,
    parse_person,
    sex_from,
)

LABELLED = ("inline", "below", "table")
BARE = ("bare",)  # a label without a colon: typed, but weaker than a colon's label
# Evidence kinds by field, strongest first; kinds in one tuple share a rank.
RANKS: dict[str, tuple[tuple[str, ...], ...]] = {
    "name": (LABELLED, BARE, ("band",)),
    "mrn": (LABELLED, BARE, ("band",)),
    "dob": (LABELLED, BARE),
    "sex": (LABELLED, BARE, ("band",), ("phrase",), ("pronoun",)),
    "service": (LABELLED, BARE, ("admission",), ("narrative",), ("today",)),
    "document": (LABELLED, BARE, ("dateline",), ("generic",)),
    "author": (("signature",), LABELLED, BARE, ("signature_weak",)),
    "facility": (LABELLED, BARE, ("letterhead",), ("letterhead_weak",)),
    "admission": (LABELLED, BARE),
    "discharge": (LABELLED, BARE),
}


def _letters(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


class Picked:
    """The winning value of a field and what backs it."""

    def __init__(self, value: Any, kind: str, state: str) -> None:
        self.value, self.kind, self.state = value, kind, state


def pick(cands: Sequence[Candidate], field: str, parse: Callable[[Candidate], Any],
         key: Callable[[Any], Any] = lambda v: v, last: tuple[str, ...] = ()) -> Picked | None:
    """Best-ranked parsable candidate; its agreement state among its rank.

    For the identity fields a colon-less label that contradicts a labelled value makes
    the labelled one doubtful too: the field is left empty rather than guessed.
    """
    got = _pick(cands, field, parse, key, last)
    if got is None or field not in ("name", "mrn", "dob") or got.kind not in LABELLED:
        return got
    bare = {key(v) for c in cands if c.kind in BARE for v in (parse(c),) if v is not None}
    return None if bare and key(got.value) not in bare else got


def _pick(cands: Sequence[Candidate], field: str, parse: Callable[[Candidate], Any],
          key: Callable[[Any], Any], last: tuple[str, ...]) -> Picked | None:
    for rank in RANKS[field]:
        vals = [(v, c.kind) for c in cands if c.kind in rank
                for v in (parse(c),) if v is not None]
        if not vals:
            continue
        value, kind = vals[-1] if vals[0][1] in last else vals[0]
        keys = {key(v) for v, _ in vals}
        if len(keys) > 1:
            if rank == ("band",):
                return None  # two unlabelled readings: neither is evidence enough
            return Picked(value, kind, "conflict")
        return Picked(value, kind, "agree" if len(vals) > 1 else "single")
    return None


def _by_field(cands: Sequence[Candidate]) -> dict[str, list[Candidate]]:
    out: dict[str, list[Candidate]] = {}
    for c in cands:
        out.setdefault(c.field, []).append(c)
    return out


def _names(f: dict[str, list[Candidate]]) -> list[Candidate]:
    """Name candidates, with 'Last Name:' + 'First Name:' pairs joined."""
    names = list(f.get("name", []))
    for fam in f.get("family", []):
        givens = f.get("given", [])
        same = [g for g in givens if (g.kind in LABELLED) == (fam.kind in LABELLED)]
        giv = min(same, key=lambda g: abs(g.start - fam.start), default=None)
        if giv is not None and abs(giv.start - fam.start) < 320:
            names.append(Candidate("name", f"{fam.value.split()[0]}, {giv.value}",
                                   min(fam.start, giv.start), fam.kind))
    return sorted(names, key=lambda c: c.start)


_SPECK_WORD = re.compile(r" [^\w\s,.'-]+(?= )")  # "REBECCA \\ M WELLS": a speck between words


def _person(c: Candidate) -> tuple[str, str] | None:
    g, fam = parse_person(_SPECK_WORD.sub("", c.value))
    words = (fam or "").split()
    ran_in = [i for i, w in enumerate(words) if _TITLE_WORDS.fullmatch(w.strip(":,."))
              or _ORG_WORDS.fullmatch(w.strip(":,."))]
    if len(words) > 1 and ran_in:
        # "Community Health and Hospitals: Health Summary Payne, Beth": a title ran in
        fam = " ".join(words[ran_in[-1] + 1:]) or None
    return (g, fam) if g and fam else None


def _clinician_shaped(value: str) -> bool:
    """A grid cell under a clinician's label that is no document title run into it.

    "INPATIENT CONSULTATION" under "Responsible Dr" is the title, its line read as one.
    """
    return _TITLE_WORDS.search(value) is None


def _not_visit(cands: list[Candidate], f: dict[str, list[Candidate]],
               _birth: Callable[[Candidate], date | None],
               _date: Callable[[Candidate], date | None]) -> list[Candidate]:
    """Birth-date candidates without those that repeat a visit or report date.

    A letter's template line "DOB: 02/14/2019" under a visit of 02/14/2019 is no birth
    date when the head prints another; a newborn's only birth date, seen that day, stays.
    """
    visits = {_date(c) for k in ("service", "document") for c in f.get(k, [])} - {None}
    kept = [c for c in cands if _birth(c) not in visits]
    return kept if kept and len(kept) < len(cands) else cands


def _not_birth(cands: list[Candidate], dob: date | None,
               _date: Callable[[Candidate], date | None]) -> list[Candidate]:
    """Service-date candidates without those that repeat the birth date.

    A "date of service" equal to the date of birth is nearly always a misread DOB label
    ("Dos:" for "DOB:" in a page footer); it is dropped when another date is on offer, so
    that a newborn's own encounter on its birth date still stands.
    """
    if dob is None:
        return cands
    dates = [None if c.kind == "today" else _date(c) for c in cands]
    if not any(d is not None and d != dob for d in dates):
        return cands
    return [c for c, d in zip(cands, dates, strict=True) if d != dob]


def resolve(cands: Sequence[Candidate], codes: Sequence[tuple[str, str]],
            today: date | None = None, order: DateOrder | None = None
            ) -> tuple[Extraction, dict[str, str]]:
    """One Extraction from a document's candidates and codes, and the evidence behind it.

    The evidence maps a confidence key to "kind|state", for calibration; ``order`` is the
    document's numeric date order (``normalise.date_order``), None for the default.
    """
    today = today or date.today()

    def _date(c: Candidate) -> date | None:
        return parse_date(c.value, order=order)

    f = _by_field(cands)
    conf: dict[str, float] = {}
    flags: list[str] = []
    evidence: dict[str, str] = {}

    def note(name: str, field: str, p: Picked | None) -> Any:
        if p is None:
            return None
        conf[name] = confidence_for(name, p.kind, p.state)
        evidence[name] = f"{p.kind}|{p.state}"
        if p.state == "conflict" and field in ("name", "mrn", "dob", "sex"):
            flags.append(f"conflicting_{ {'dob': 'birth_date'}.get(field, field) }")
        return p.value

    person = note("patient.name", "name", pick(_names(f), "name", _person,
                                               key=lambda v: (_letters(v[0]), _letters(v[1]))))
    if person:
        ev = evidence.pop("patient.name")
        evidence["patient.given"] = evidence["patient.family"] = ev
        conf.pop("patient.name")
        for key in ("patient.given", "patient.family"):
            conf[key] = confidence_for(key, *ev.split("|"))
    mrn = note("patient.mrn", "mrn", pick(f.get("mrn", []), "mrn",
                                          lambda c: clean_mrn(c.value), key=_letters))
    if mrn and mrn_ambiguous(mrn):
        flags.append("conflicting_mrn")  # two readings of one print: not a safe key
        conf["patient.mrn"] = min(conf["patient.mrn"], 0.5)
    def _birth(c: Candidate) -> date | None:
        return parse_date(c.value, birth=True, today=today, order=order)

    dob = note("patient.birth_date", "dob", pick(
        _not_visit(f.get("dob", []), f, _birth, _date), "dob", _birth))
    sex_cands = f.get("sex", [])
    sex: Sex | None = note("patient.sex", "sex", pick(sex_cands, "sex",
                                                       lambda c: sex_from(c.value)))
    if sex and any(c.kind not in LABELLED and sex_from(c.value) not in (sex, None)
                   for c in sex_cands if c.kind == "phrase"):
        flags.append("conflicting_sex")
        evidence["patient.sex"] = f"{evidence['patient.sex'].split('|')[0]}|conflict"
        conf["patient.sex"] = confidence_for("patient.sex", *evidence["patient.sex"].split("|"))

    admission = pick(f.get("admission", []), "admission", _date)
    discharge = pick(f.get("discharge", []), "discharge", _date)
    document = note("document_date", "document", pick(
        [*f.get("document", []), *(Candidate(c.field, c.value, c.start, "generic")
                                   for c in f.get("document_generic", []))],
        "document", _date))
    service_cands = [*f.get("service", []), *(Candidate("service", c.value, c.start, "admission")
                                              for c in f.get("admission", [])[:1])]
    service = note("service_date", "service", pick(
        _not_birth(service_cands, dob, _date), "service",
        lambda c: document if c.kind == "today" else _date(c)))
    author = note("author", "author", pick(
        [c for c in f.get("author", []) if c.kind != "table" or _clinician_shaped(c.value)],
        "author", _person, key=lambda v: (_letters(v[0]), _letters(v[1])),
        last=("signature", "signature_weak")))
    facility = note("facility", "facility", pick(
        f.get("facility", []), "facility", lambda c: clean_org(c.value), key=_letters))

    npi = None
    for c in f.get("npi", []):
        digits = re.sub(r"\D", "", fix_digits(c.value.replace(" ", "").replace("-", "")))
        if npi_valid(digits):
            npi = digits
            break
    else:
        if f.get("npi"):
            flags.append("invalid_npi")

    if person and person[0] and misread_given_name(person[0].split()[0]):
        flags.append("doubtful_name")
    _validate(conf, flags, today, dob, service, document,
              admission.value if admission else None, discharge.value if discharge else None,
              f.get("age", []))
    return Extraction(
        patient=Patient(family=person[1] if person else None, given=person[0] if person else None,
                        birth_date=dob, sex=sex, mrn=mrn),
        service_date=service, document_date=document,
        admission_date=admission.value if admission else None,
        discharge_date=discharge.value if discharge else None,
        author=f"{author[0]} {author[1]}" if author else None, author_npi=npi,
        facility=facility,
        icd10_codes=tuple(dict.fromkeys(c for t, c in codes if t == "ICD10" and icd10_valid(c))),
        cpt_codes=tuple(dict.fromkeys(c for t, c in codes if t == "CPT" and cpt_valid(c))),
        confidence={k: round(v, 3) for k, v in sorted(conf.items())},
        flags=tuple(dict.fromkeys(flags)),
    ), evidence


def _validate(conf: dict[str, float], flags: list[str], today: date, dob: date | None,
              service: date | None, document: date | None, admission: date | None,
              discharge: date | None, ages: Sequence[Candidate]) -> None:
    """Cross-field checks: each failure is a flag and a lower confidence."""
    for name, value in (("patient.birth_date", dob), ("service_date", service),
                        ("document_date", document)):
        if value and value > today:
            flags.append("future_date")
            conf[name] = min(conf.get(name, 1.0), 0.2)
    if dob and service and dob > service:
        flags.append("birth_after_service")
        conf["patient.birth_date"] = min(conf.get("patient.birth_date", 1.0), 0.3)
    if admission and discharge and admission > discharge:
        flags.append("admission_after_discharge")
    # the age at the visit, or on the day the chart was printed: forms print either
    reals = {(ref - dob).days // 365 for ref in (service, document) if ref and dob}
    if reals and ages:
        printed = {int(a.value) for a in ages if a.value.isdigit()}
        if printed and not any(abs(a - real) <= 1 for a in printed for real in reals):
            flags.append("age_mismatch")
            conf["patient.birth_date"] = min(conf.get("patient.birth_date", 1.0), 0.4)
