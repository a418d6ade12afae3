"""The spaCy pipeline: blank English tokenizer + rule components.

``chart_fields`` finds candidates (label-value parsing, header tables, letterheads,
signatures) and records them as ``doc.spans["fields"]``; ``chart_codes`` finds ICD-10-CM
and CPT codes in coded contexts as ``doc.spans["codes"]``; ``chart_resolve`` validates and
picks one value per field, with confidence and flags, into ``doc._.extraction``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from chartvault.model import Extraction, Patient, Sex
from extractors.metadata import fields as F
from extractors.metadata.normalise import (
    CPT,
    ICD10,
    clean_mrn,
    npi_valid,
    parse_date,
    parse_person,
    sex_from,
)

if not Doc.has_extension("extraction"):
    Doc.set_extension("extraction", default=None)
if not Doc.has_extension("candidates"):
    Doc.set_extension("candidates", default=None)

# Probability that a value is right, by evidence kind (see calibration in the docstring of
# chart_resolve); a conflict between candidates multiplies it by CONFLICT_PENALTY.
EVIDENCE_CONFIDENCE = {"inline": 0.95, "table": 0.93, "letterhead": 0.85,
                       "letterhead_weak": 0.6, "signature": 0.85, "signature_weak": 0.6,
                       "dateline": 0.75, "inferred": 0.6, "fallback": 0.5}
CONFLICT_PENALTY = 0.5


def _span(doc: Doc, start: int, end: int, label: str) -> Any:
    return doc.char_span(start, max(start + 1, end), label=label, alignment_mode="expand")


@Language.component("chart_fields", assigns=["doc.spans", "doc._.candidates"])
def chart_fields(doc: Doc) -> Doc:
    """Find field candidates."""
    cands = F.candidates(doc.text)
    doc._.candidates = cands
    spans = [_span(doc, c.start, c.start + len(c.value), c.field) for c in cands]
    doc.spans["fields"] = [s for s in spans if s is not None]
    return doc


_ICD_CONTEXT = re.compile(r"ICD|\(|Code|Dx|Diagnos", re.IGNORECASE)


@Language.component("chart_codes", assigns=["doc.spans"])
def chart_codes(doc: Doc) -> Doc:
    """Find codes in coded contexts only, for precision.

    ICD-10-CM in parentheses or code columns; CPT after "CPT" or in parentheses.
    """
    spans = []
    found: list[tuple[str, str]] = []
    for line_match in re.finditer(r"[^\n\f]+", doc.text):
        line = line_match.group(0)
        base = line_match.start()
        if "ICD-9" in line or "ICD9" in line:
            continue
        for m in ICD10.finditer(line):
            before = line[max(0, m.start() - 12):m.start()]
            if "(" in before[-2:] or _ICD_CONTEXT.search(before) or re.search(
                    r"\s{2}$", before):
                found.append(("ICD10", m.group(1)))
                s = _span(doc, base + m.start(1), base + m.end(1), "ICD10")
                if s is not None:
                    spans.append(s)
        for m in CPT.finditer(line):
            text = m.group(0)
            ctx = line[max(0, m.start() - 2):m.start()]
            if text.upper().startswith("CPT") or ctx.endswith("("):
                found.append(("CPT", m.group(1)))
                s = _span(doc, base + m.start(1), base + m.end(1), "CPT")
                if s is not None:
                    spans.append(s)
    doc.spans["codes"] = spans
    doc.user_data["codes"] = found
    return doc


def _first(cands: list[F.Candidate], field: str) -> list[F.Candidate]:
    return [c for c in cands if c.field == field]


def _pronoun_sex(text: str) -> Sex | None:
    words = Counter(re.findall(r"\b(she|her|hers|woman|female|he|his|him|man|male|mrs|ms|mr)\b",
                               text.lower()))
    fem = words["she"] + words["her"] + words["hers"] + words["woman"] + words["female"] + \
        words["mrs"] + words["ms"]
    mas = words["he"] + words["his"] + words["him"] + words["man"] + words["male"] + words["mr"]
    if fem >= 2 and fem > 2 * mas:
        return "F"
    if mas >= 2 and mas > 2 * fem:
        return "M"
    return None


def _pick_dates(cands: list[F.Candidate], field: str) -> tuple[date | None, str | None, bool]:
    values = []
    for c in _first(cands, field):
        d = parse_date(c.value)
        if d:
            values.append((d, c.kind))
    if not values:
        return None, None, False
    conflict = len({v for v, _ in values}) > 1
    return values[0][0], values[0][1], conflict


@Language.component("chart_resolve", requires=["doc._.candidates"],
                    assigns=["doc._.extraction"])
def chart_resolve(doc: Doc) -> Doc:
    """One validated value per field.

    Confidence is the precision of the evidence kind that supplied the value, measured on
    generated documents (EVIDENCE_CONFIDENCE), halved when candidates disagree.
    """
    cands: list[F.Candidate] = doc._.candidates or []
    conf: dict[str, float] = {}
    flags: list[str] = []

    given = family = None
    names = []
    for c in _first(cands, "name"):
        g, f = parse_person(c.value)
        if g and f:
            names.append((g, f, c.kind))
    if names:
        given, family, kind = names[0]
        distinct = {(g.lower(), f.lower()) for g, f, _ in names}
        conf["patient.family"] = conf["patient.given"] = EVIDENCE_CONFIDENCE[kind]
        if len(distinct) > 1:
            flags.append("conflicting_name")
            conf["patient.family"] *= CONFLICT_PENALTY
            conf["patient.given"] *= CONFLICT_PENALTY

    mrns = [(clean_mrn(c.value), c.kind) for c in _first(cands, "mrn")]
    mrns = [(m, k) for m, k in mrns if m]
    mrn = mrns[0][0] if mrns else None
    if mrns:
        conf["patient.mrn"] = EVIDENCE_CONFIDENCE[mrns[0][1]]
        if len({m for m, _ in mrns}) > 1:
            flags.append("conflicting_mrn")
            conf["patient.mrn"] *= CONFLICT_PENALTY

    dob, bkind, conflict = _pick_dates(cands, "dob")
    if dob:
        conf["patient.birth_date"] = EVIDENCE_CONFIDENCE[bkind or "inline"] * (
            CONFLICT_PENALTY if conflict else 1)
        if conflict:
            flags.append("conflicting_birth_date")

    sex: Sex | None = None
    for c in _first(cands, "sex"):
        sex = sex_from(c.value)
        if sex:
            conf["patient.sex"] = EVIDENCE_CONFIDENCE[c.kind]
            break
    if sex is None:
        sex = _pronoun_sex(doc.text)
        if sex:
            conf["patient.sex"] = EVIDENCE_CONFIDENCE["inferred"]

    admission, _, _ = _pick_dates(cands, "admission")
    discharge, _, _ = _pick_dates(cands, "discharge")
    service, skind, _ = _pick_dates(cands, "service")
    if service is None and admission is not None:
        service, skind = admission, "inline"
    if service:
        conf["service_date"] = EVIDENCE_CONFIDENCE[skind or "inline"]
    document, dkind, _ = _pick_dates(cands, "document")
    if document is None:  # a bare "Date:" (letter head, signature block) as a last resort
        document, dkind, _ = _pick_dates(cands, "document_generic")
    if document:
        conf["document_date"] = EVIDENCE_CONFIDENCE[dkind or "inline"]

    author = None
    for c in _first(cands, "author"):
        g, f = parse_person(c.value)
        if g and f:
            author = f"{g} {f}"
            conf["author"] = EVIDENCE_CONFIDENCE[c.kind]
            break

    facility = None
    for c in _first(cands, "facility"):
        facility = c.value
        conf["facility"] = EVIDENCE_CONFIDENCE[c.kind]
        break

    npi = None
    for c in _first(cands, "npi"):
        digits = re.sub(r"\D", "", c.value)[:10]
        if npi_valid(digits):
            npi = digits
        else:
            flags.append("invalid_npi")
        break

    today = date.today()
    for name, value in (("birth_date", dob), ("service_date", service),
                        ("document_date", document)):
        if value and value > today:
            flags.append("future_date")
            conf[f"{'patient.' if name == 'birth_date' else ''}{name}"] = 0.2
    if dob and service and dob > service:
        flags.append("birth_after_service")
        conf["patient.birth_date"] = min(conf.get("patient.birth_date", 0.5), 0.3)

    codes = doc.user_data.get("codes", [])
    icd = tuple(dict.fromkeys(c for kind, c in codes if kind == "ICD10"))
    cpt = tuple(dict.fromkeys(c for kind, c in codes if kind == "CPT"))
    doc._.extraction = Extraction(
        patient=Patient(family=family, given=given, birth_date=dob, sex=sex, mrn=mrn),
        service_date=service, document_date=document, admission_date=admission,
        discharge_date=discharge, author=author, author_npi=npi, facility=facility,
        icd10_codes=icd, cpt_codes=cpt, confidence={k: round(v, 3) for k, v in conf.items()},
        flags=tuple(dict.fromkeys(flags)),
    )
    return doc


def build() -> Language:
    """The extraction pipeline (no statistical components, nothing downloaded).

    The rules read characters, not tokens, so the tokenizer only needs to split on white
    space: English prefix/suffix rules cost two thirds of the time and buy nothing here.
    """
    nlp = spacy.blank("en")
    nlp.tokenizer = Tokenizer(nlp.vocab)
    nlp.add_pipe("chart_fields")
    nlp.add_pipe("chart_codes")
    nlp.add_pipe("chart_resolve")
    return nlp
