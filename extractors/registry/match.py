"""Link a document to one registered patient, or to none when the evidence is not decisive.

Candidates are the records holding any identifier-shaped token of the text (not only the
one extraction called the MRN: an encounter number, a mis-labelled field or a second
header still find them). Each candidate is then confirmed against the whole text: its
family and given names printed anywhere (fuzzy, for OCR), its birth date printed in any
format, and its sex and facility against what extraction read. The registry holds
look-alikes on purpose (same name with another birth date, an MRN one digit away, twins,
one placeholder MRN shared by many records), so a link needs the identifier, both names
and the birth date (or the facility when no birth date is printed) together, and a clear
lead over every other candidate; otherwise the answer is "no match", never the closest
record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from chartvault.model import Extraction
from extractors.registry.index import Registry
from extractors.registry.model import PatientRecord
from extractors.registry.normalise import (
    dates_in,
    identifier_key,
    identifier_tokens,
    name_key,
    name_words,
)

LinkStatus = Literal["linked", "no_match", "ambiguous", "conflict"]
NEAR_ID_MIN = 6  # shorter identifiers are one slip away from too many others
NAME_FUZZ = 85.0  # rapidfuzz ratio: one OCR slip in a 6-7 letter name still confirms
ORG_FUZZ = 90.0  # partial_ratio of the organisation's name somewhere in the text
_LEAD = 1.0  # score lead the best confirmed candidate needs over the next one
_SEX_WORDS = {"F": ("female", "woman", "girl"), "M": ("male", "man", "boy")}


@dataclass(frozen=True, slots=True)
class Evidence:
    """How far the document confirms one candidate record (per field)."""

    record: PatientRecord
    family: float  # 0..1: name printed (1) or a close OCR reading of it
    given: float
    birth: int  # 1 printed or read, 0 not stated, -1 the document states another
    sex: int  # 1 agrees, 0 unknown, -1 disagrees
    facility: int  # 1 the record's organisation is printed or read, 0 unknown, -1 other
    labelled: bool  # extraction itself read this identifier as the MRN
    near_id: bool = False  # the identifier is printed with one character misread

    @property
    def names(self) -> bool:
        """Both names confirmed."""
        return self.family >= NAME_FUZZ / 100 and self.given >= NAME_FUZZ / 100

    @property
    def confirmed(self) -> bool:
        """Enough, with the identifier, to say this is the document's patient."""
        if not self.names:
            return False
        if self.birth == 1:
            return True  # a sex read otherwise is then a conflict to review, not a veto
        return self.birth == 0 and self.sex >= 0 and self.facility == 1

    @property
    def score(self) -> float:
        """Strength of the evidence; used to rank confirmed candidates."""
        return (2 * self.family + 1.5 * self.given + 2.0 * (self.birth == 1)
                + 0.5 * self.sex + 0.5 * self.facility + 0.5 * self.labelled)


@dataclass(frozen=True, slots=True)
class Link:
    """The linker's answer for one document."""

    status: LinkStatus
    record: PatientRecord | None = None
    evidence: Evidence | None = None
    candidates: int = 0  # records that held an identifier of the text
    conflicts: tuple[str, ...] = ()  # fields where the document contradicts the record

    @property
    def corrected_identifier(self) -> bool:
        """Linked on an identifier OCR misread by one character (the registry's is kept)."""
        return self.evidence is not None and self.evidence.near_id


class _Text:
    """The parts of a document's text the confirmations read, built once per document."""

    def __init__(self, text: str) -> None:
        self.words = name_words(text)
        self.word_list = list(self.words)
        self.lower = text.lower()
        self.compact = re.sub(r"[^a-z0-9]", "", self.lower)
        self._text = text
        self._dates: set[date] | None = None
        self._names: dict[tuple[str, str | None], float] = {}

    @property
    def dates(self) -> set[date]:
        if self._dates is None:
            self._dates = dates_in(self._text)
        return self._dates

    def name_score(self, name: str, extracted: str | None) -> float:
        """1 when the name is printed, a close OCR reading's ratio, else 0 (memoised)."""
        memo = self._names.get((name, extracted))
        if memo is None:
            memo = self._names[(name, extracted)] = self._name_score(name, extracted)
        return memo

    def _name_score(self, name: str, extracted: str | None) -> float:
        key = name_key(name)
        if not key:
            return 0.0
        parts = [p for p in (name_key(w) for w in re.split(r"[\s\-]+", name)) if p]
        if key in self.words or (parts and all(p in self.words for p in parts)):
            return 1.0
        if extracted and name_key(extracted) == key:
            return 1.0
        best = 0.0
        if extracted:
            best = fuzz.ratio(key, name_key(extracted)) / 100
        if len(key) >= 4:
            hit = process.extractOne(key, self.word_list, scorer=fuzz.ratio,
                                     score_cutoff=NAME_FUZZ)
            if hit is not None:
                best = max(best, hit[1] / 100)
        return best if best >= NAME_FUZZ / 100 else 0.0


def _birth(rec: PatientRecord, ex: Extraction, text: _Text) -> int:
    if rec.birth_date is None:
        return 0
    read = ex.patient.birth_date
    if read == rec.birth_date or rec.birth_date in text.dates:
        return 1
    return -1 if read is not None else 0


def _sex(rec: PatientRecord, ex: Extraction) -> int:
    read = ex.patient.sex
    if rec.sex in (None, "U") or read in (None, "U"):
        return 0
    return 1 if read == rec.sex else -1


def _facility(rec: PatientRecord, ex: Extraction, text: _Text, registry: Registry) -> int:
    """How the page's facility agrees with the record's organisation.

    1: read or printed; -1: another organisation of the registry is read; 0: neither
    (nothing read, or a reading that is no organisation the registry knows).
    """
    if not rec.organization:
        return 0
    org = re.sub(r"[^a-z0-9]", "", rec.organization.lower())
    if ex.facility and fuzz.token_set_ratio(ex.facility.lower(),
                                            rec.organization.lower()) >= 85:
        return 1
    if len(org) >= 6 and (org in text.compact or fuzz.partial_ratio(
            rec.organization.lower(), text.lower) >= ORG_FUZZ):
        return 1
    return -1 if ex.facility and registry.knows_organization(ex.facility) else 0


def _given(rec: PatientRecord, ex: Extraction, text: _Text) -> float:
    return max((text.name_score(g, ex.patient.given) for g in rec.given[:2]), default=0.0)


def evidence(rec: PatientRecord, ex: Extraction, text: _Text, labelled: str,
             registry: Registry) -> Evidence:
    """Weigh one candidate against the document."""
    family = text.name_score(rec.family, ex.patient.family)
    if family == 0.0:  # most holders of a shared MRN: no need to read further
        return Evidence(rec, 0.0, 0.0, 0, 0, 0, False)
    return Evidence(
        record=rec,
        family=family,
        given=_given(rec, ex, text),
        birth=_birth(rec, ex, text),
        sex=_sex(rec, ex),
        facility=_facility(rec, ex, text, registry),
        labelled=any(identifier_key(i.value) == labelled for i in rec.identifiers),
    )


def _conflicts(ev: Evidence, text: _Text) -> tuple[str, ...]:
    """Fields the document states otherwise than the linked record (-> review)."""
    out = []
    sex = ev.record.sex
    if ev.sex < 0:
        other = "M" if sex == "F" else "F"
        stated = sex in _SEX_WORDS and any(w in text.words for w in _SEX_WORDS[sex])
        if not stated or any(w in text.words for w in _SEX_WORDS[other]):
            out.append("sex")
    if ev.facility < 0:
        out.append("facility")
    return tuple(out)


def candidates(text: str, ex: Extraction, registry: Registry) -> list[PatientRecord]:
    """Records holding an identifier printed in the text (or read as its MRN)."""
    keys = identifier_tokens(text)
    if ex.patient.mrn:
        keys.add(identifier_key(ex.patient.mrn))
    seen: dict[str, PatientRecord] = {}
    for key in keys:
        for rec in registry.by_identifier_key(key):
            seen.setdefault(rec.id or repr(rec.identifiers), rec)
    return list(seen.values())


def link(text: str, ex: Extraction, registry: Registry) -> Link:
    """The registered patient this document is about, if the evidence is decisive."""
    cands = candidates(text, ex, registry)
    view = _Text(text)
    labelled = identifier_key(ex.patient.mrn or "")
    weighed = [evidence(r, ex, view, labelled, registry) for r in cands]
    confirmed = sorted((e for e in weighed if e.confirmed), key=lambda e: -e.score)
    if confirmed:
        best = confirmed[0]
        if len(confirmed) > 1 and best.score - confirmed[1].score < _LEAD:
            return Link("ambiguous", candidates=len(cands))
        return Link("linked", best.record, best, len(cands), _conflicts(best, view))
    # the identifier and both names point at a registered patient whom the document
    # contradicts (another birth date or sex): a person must look, not a guess either way
    if any(e.names and (e.birth < 0 or e.sex < 0) for e in weighed):
        return Link("conflict", candidates=len(cands))
    near, owned = _near_identifier(text, ex, registry, view)
    if near is not None:
        return Link("linked", near.record, near, len(cands), _conflicts(near, view))
    if owned:  # the page prints someone else's MRN beside this patient's name and birth
        return Link("conflict", candidates=len(cands))
    return Link("no_match", candidates=len(cands))


def _near_identifier(text: str, ex: Extraction, registry: Registry, view: _Text
                     ) -> tuple[Evidence | None, bool]:
    """The one record printed with its names, birth date and a one-character-off identifier.

    That is an identifier OCR misread ("T9437711" read "19437711"). Candidates come from
    the birth dates printed; both names must be printed as such (no fuzz), sex must not
    disagree, and exactly one record may qualify: a look-alike with the same name, birth
    date and a near identifier leaves the document unlinked. A near token that is itself
    another patient's identifier is no misreading to correct: the second value says so.
    """
    tokens = [k for k in identifier_tokens(text) if len(k) >= NEAR_ID_MIN - 1]
    free = [k for k in tokens if not registry.knows_identifier_key(k)]
    owned = [k for k in tokens if registry.knows_identifier_key(k)]
    found: dict[str, Evidence] = {}
    someone_elses = False
    for born in view.dates if tokens else ():
        for rec in registry.by_birth_date(born):
            if rec.id in found or _sex(rec, ex) < 0:
                continue
            if name_key(rec.family) not in view.words or not any(
                    name_key(g) in view.words for g in rec.given[:2]):
                continue
            keys = [k for i in rec.identifiers
                    if len(k := identifier_key(i.value)) >= NEAR_ID_MIN]
            if any(_near(k, free) for k in keys):
                found[rec.id] = Evidence(rec, 1.0, 1.0, 1, _sex(rec, ex),
                                         _facility(rec, ex, view, registry), False,
                                         near_id=True)
            elif any(_near(k, [t for t in owned if t not in keys]) for k in keys):
                someone_elses = True
    if len(found) == 1 and not someone_elses:
        return next(iter(found.values())), False
    return None, someone_elses


def _near(key: str, tokens: list[str]) -> bool:
    """Whether one of the tokens is ``key`` with one character changed, added or lost."""
    return bool(tokens) and process.extractOne(
        key, tokens, scorer=Levenshtein.distance, score_cutoff=1) is not None


def ranked(text: str, ex: Extraction, registry: Registry, limit: int = 5) -> list[Evidence]:
    """The records holding an identifier of the text, best evidence first (for a reviewer).

    Unlike ``link``, this decides nothing: a person compares the candidates with the page.
    """
    view = _Text(text)
    labelled = identifier_key(ex.patient.mrn or "")
    weighed = [evidence(r, ex, view, labelled, registry) for r in candidates(text, ex, registry)]
    weighed.sort(key=lambda e: (-e.confirmed, -e.score))
    return weighed[:limit]
