"""What a generated chart says: facts, header layout, sections and clinical prose.

Variety is the point: the classifier trains on this and must work on real documents, so
titles are sometimes missing or share the letterhead line, section headings have
synonyms and vary in order and case, header layouts differ, dates are printed in several
formats, and shared sections (medications, allergies, vitals, even C-CDA style tables)
appear across types so that the type-specific sections carry the signal. Deterministic
per seed: one ``random.Random`` and one seeded ``Faker`` per call, no global state.

Modules: ``content_facts`` (the facts and helpers), ``content_bank`` (vocabulary),
``content_prose`` (shared sections), ``content_notes`` / ``content_reports`` (bodies per
type), ``content_header`` (letterheads, demographics, signatures).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from faker import Faker

from chartvault.synth import content_bank as B
from chartvault.synth import content_notes as N
from chartvault.synth import content_prose as S
from chartvault.synth import content_reports as R
from chartvault.synth import layouts as L
from chartvault.synth.content_facts import Ctx
from chartvault.synth.content_header import header, letter_header, letterhead, signature
from chartvault.synth.model import Block, SynthDoc
from chartvault.taxonomy import DOC_TYPES, loinc_for

# Rough mix of a hospital chart room; "other" (forms) is rare.
WEIGHTS: dict[str, int] = {
    "summary_of_care": 8,
    "discharge_summary": 8,
    "history_and_physical": 7,
    "progress_note": 12,
    "consultation_note": 7,
    "operative_note": 7,
    "procedure_note": 5,
    "imaging_report": 9,
    "referral_note": 3,
    "transfer_summary": 2,
    "care_plan": 2,
    "lab_report": 6,
    "pathology_report": 4,
    "emergency_department_note": 7,
    "correspondence": 6,
    "other": 1,
}

TITLES: dict[str, list[str]] = {
    "summary_of_care": [
        "Continuity of Care Document",
        "Summary of Care",
        "Clinical Summary",
        "Transition of Care Summary",
        "Patient Health Summary",
        "Summarization of Episode Note",
        "Referral Summary",
        "Transition of Care/Referral Summary",
        "Ambulatory Summary",
        "Patient Chart Summary",
        "Health Record Summary",
        "CCD",
        "Visit Summary",
        "Medical Summary",
        "Full Chart",
    ],
    "discharge_summary": [
        "DISCHARGE SUMMARY",
        "Discharge Summary",
        "HOSPITAL DISCHARGE SUMMARY",
        "Discharge Summarization Note",
        "DISCHARGE NOTE",
    ],
    "history_and_physical": [
        "HISTORY AND PHYSICAL",
        "History & Physical Examination",
        "ADMISSION HISTORY AND PHYSICAL",
        "H&P",
        "Admission H&P",
        "HISTORY AND PHYSICAL EXAMINATION",
        "Preoperative H&P",
    ],
    "progress_note": [
        "PROGRESS NOTE",
        "Office Visit",
        "Clinic Note",
        "Follow-up Visit",
        "SOAP NOTE",
        "Office Note",
        "Progress Notes",
        "CLINIC VISIT",
        "Outpatient Note",
        "Follow-Up Note",
    ],
    "consultation_note": [
        "CONSULTATION",
        "Consultation Note",
        "CONSULT NOTE",
        "Inpatient Consultation",
        "CONSULTATION REPORT",
        "Specialty Consult",
        "New Patient Consultation",
    ],
    "operative_note": [
        "OPERATIVE REPORT",
        "Operative Note",
        "OPERATIVE NOTE",
        "Brief Operative Report",
        "OPERATION REPORT",
        "Surgical Report",
    ],
    "procedure_note": [
        "PROCEDURE NOTE",
        "Procedure Report",
        "ENDOSCOPY REPORT",
        "Bedside Procedure Note",
        "COLONOSCOPY REPORT",
        "Cardiac Cath Report",
    ],
    "imaging_report": [
        "RADIOLOGY REPORT",
        "Diagnostic Imaging Report",
        "IMAGING REPORT",
        "Radiology",
        "CT REPORT",
        "MRI REPORT",
        "ULTRASOUND REPORT",
        "Department of Radiology",
    ],
    "referral_note": [
        "REFERRAL",
        "Referral Request",
        "Referral Note",
        "Patient Referral Form",
        "Referral Form",
        "Specialist Referral",
    ],
    "transfer_summary": [
        "TRANSFER SUMMARY",
        "Interfacility Transfer Summary",
        "Transfer of Care Note",
        "Transfer Note",
        "PATIENT TRANSFER FORM",
    ],
    "care_plan": [
        "PLAN OF CARE",
        "Care Plan",
        "Individualized Care Plan",
        "Interdisciplinary Plan of Care",
        "NURSING CARE PLAN",
    ],
    "lab_report": [
        "LABORATORY REPORT",
        "Lab Results",
        "CLINICAL LABORATORY REPORT",
        "Laboratory Results",
        "CUMULATIVE LAB REPORT",
    ],
    "pathology_report": [
        "SURGICAL PATHOLOGY REPORT",
        "Pathology Report",
        "PATHOLOGY CONSULTATION REPORT",
        "Cytology Report",
        "SURGICAL PATHOLOGY",
    ],
    "emergency_department_note": [
        "EMERGENCY DEPARTMENT REPORT",
        "ED Physician Note",
        "EMERGENCY ROOM REPORT",
        "Emergency Department Visit",
        "ER REPORT",
        "ED Provider Note",
        "EMERGENCY ROOM NOTE",
    ],
    "correspondence": ["", "", "", "Letter", "Correspondence"],
    "other": [
        "CONSENT FOR TREATMENT",
        "PATIENT REGISTRATION FACE SHEET",
        "Authorization for Release of Information",
        "FINANCIAL AGREEMENT",
        "Notice of Privacy Practices Acknowledgment",
    ],
}
TITLE_RATE = {"summary_of_care": 0.75, "correspondence": 1.0}  # default 0.6

BODIES: dict[str, Callable[[Ctx], list[Block]]] = {
    "summary_of_care": R.summary_of_care,
    "discharge_summary": N.discharge_summary,
    "history_and_physical": N.history_and_physical,
    "progress_note": N.progress_note,
    "consultation_note": N.consultation_note,
    "operative_note": N.operative_note,
    "procedure_note": N.procedure_note,
    "imaging_report": R.imaging_report,
    "referral_note": R.referral_note,
    "transfer_summary": N.transfer_summary,
    "care_plan": R.care_plan,
    "lab_report": R.lab_report,
    "pathology_report": R.pathology_report,
    "emergency_department_note": N.emergency_department_note,
    "correspondence": N.correspondence,
    "other": R.other,
}
# Notes that EHRs sometimes print with C-CDA style tables appended (allergies, meds...).
TABLE_NOISE = {
    "discharge_summary",
    "history_and_physical",
    "progress_note",
    "consultation_note",
    "operative_note",
    "procedure_note",
    "emergency_department_note",
    "transfer_summary",
    "referral_note",
    "care_plan",
}

_CODE_IN_PARENS = re.compile(r"\(([a-z]\d{2}[0-9a-z.]*)\)")


def _codes_upper(text: str) -> str:
    # str.capitalize() lowercases ICD-10 codes printed inside a sentence: restore them.
    return _CODE_IN_PARENS.sub(lambda m: "(" + m.group(1).upper() + ")", text)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _merge(out.get(k) or {}, v) if isinstance(v, Mapping) else v
    return out


def _table_noise(c: Ctx) -> list[Block]:
    """One or two EHR-rendered tables, as templates append to notes."""
    r = c.rng
    tables = [
        [
            Block("heading", c.cap("Allergies"), bold=True),
            Block("table_row", "Substance    Reaction    Status"),
            Block(
                "table_row",
                f"{c.pick(B.ALLERGIES[:11]).capitalize()}    {c.pick(B.REACTIONS)}    Active",
            ),
        ],
        [
            Block("heading", c.cap(c.pick(["Medications", "Active Medications"])), bold=True),
            Block("table_row", "Medication    Sig    Status"),
            *[
                Block("table_row", f"{m[0].capitalize()} {m[1]}    {m[2]}    Active")
                for m in c.meds
            ],
        ],
        [
            Block("heading", c.cap("Vital Signs"), bold=True),
            Block("table_row", "BP    Pulse    Temp    SpO2"),
            Block(
                "table_row",
                f"{r.randint(100, 160)}/{r.randint(60, 95)}    {r.randint(55, 110)}"
                f"    {r.uniform(97, 100.5):.1f}    {r.randint(90, 100)}%",
            ),
        ],
    ]
    return [b for t in r.sample(tables, r.randint(1, 2)) for b in t]


def make_document(
    seed: int,
    doc_type: str | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    family: str | None = None,
) -> SynthDoc:
    """One generated document with its ground truth.

    ``overrides`` is merged into the facts before any text is written, e.g.
    ``{"patient": {"family": "Quaxley"}}`` to plant a canary name that gets printed.
    ``family`` prints the header in a house style drawn from that layout family
    (``layouts.FAMILIES``); None keeps the original layouts exactly.
    """
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    if doc_type is None:
        keys = list(WEIGHTS)
        doc_type = rng.choices(keys, weights=[WEIGHTS[k] for k in keys])[0]
    if doc_type not in DOC_TYPES:
        raise ValueError(f"unknown document type {doc_type}")
    c = Ctx(rng, fake, doc_type, overrides or {})
    house = L.draw_style(c, family) if family else None
    if house:
        L.dates_in(c, house)
    if doc_type in ("discharge_summary", "transfer_summary"):
        c.admission = c.service
        c.discharge = c.service + timedelta(days=rng.randint(1, 12))
        c.document_date = c.discharge + timedelta(days=rng.choice([0, 0, 1, 2]))
    show = {"mrn": rng.random() < 0.9, "service": rng.random() < 0.85, "author": rng.random() < 0.6}
    letter = doc_type == "correspondence"
    title = rng.choice(TITLES[doc_type]) if rng.random() < TITLE_RATE.get(doc_type, 0.6) else ""
    if title and rng.random() < 0.3:
        title = title.upper()
    if house and house.letterhead == "title_first" and title:
        blocks = [Block("title", title, bold=True), *letterhead(c, None)]
    else:
        blocks = letterhead(c, title or None)
    if house and house.letterhead == "logo":
        first = blocks[0]
        blocks[0] = Block(first.kind, f"{L.logo(c.facility)} {first.text}", first.bold, first.align)
    if letter:
        blocks += L.letter_header(c, show, house) if house else letter_header(c, show)
        show["service"] = True  # the letter names the visit date
    else:
        blocks += L.header(c, show, house) if house else header(c, show)
    blocks.append(Block("spacer"))
    body = BODIES[doc_type](c)
    if doc_type in TABLE_NOISE and rng.random() < 0.12:
        body += _table_noise(c)
    if (
        doc_type
        in (
            "discharge_summary",
            "history_and_physical",
            "consultation_note",
            "emergency_department_note",
            "progress_note",
            "transfer_summary",
        )
        and rng.random() < 0.5
    ):
        body += S.narrative(c)
    blocks += body
    blocks += signature(c, letter)
    if house:
        blocks += L.footer_facility(c, house)
    truth = {
        "source": f"synth:{seed}",
        "doc_type": doc_type,
        "loinc": loinc_for(doc_type),
        "patient": {
            "family": c.family,
            "given": c.given,
            "birth_date": c.birth.isoformat(),
            "sex": c.sex,
            "mrn": c.mrn if show["mrn"] else None,
        },
        "service_date": c.service.isoformat() if show["service"] or c.admission else None,
        "document_date": c.document_date.isoformat(),
        "author": f"{c.author_given} {c.author_family}",  # the signature always names them
        "facility": c.facility,
    }
    blocks = [Block(b.kind, _codes_upper(b.text), b.bold, b.align) for b in blocks]
    extra = {
        "admission_date": c.admission.isoformat() if c.admission else None,
        "discharge_date": c.discharge.isoformat() if c.discharge else None,
        "author_npi": c.npi if any(b.text == f"NPI: {c.npi}" for b in blocks) else None,
        "icd10_codes": sorted(set(c.icd)),
        "cpt_codes": sorted(set(c.cpt)),
    }
    running = f"{c.family.upper()}, {c.given.upper()}" + (f"   MRN: {c.mrn}" if show["mrn"] else "")
    style = {
        "font": rng.choice(
            ["DejaVuSans", "DejaVuSerif", "DejaVuSansMono", "DejaVuSans", "DejaVuSerif"]
        ),
        "size": rng.choice([9, 10, 10, 11, 11, 12]),
        "margin_in": rng.choice([0.75, 0.9, 1.0]),
        "spacing": rng.choice([1.15, 1.25, 1.35]),
    }
    if house:
        style["family"] = house.family
    return SynthDoc(
        doc_id=f"synth-{seed}",
        truth=truth,
        truth_extra=extra,
        blocks=blocks,
        running_header=running if rng.random() < 0.7 else None,
        style=style,
    )
