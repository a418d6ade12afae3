"""What a generated chart says: facts, header layout, sections and clinical prose.

Variety is the point: the classifier trains on this and must work on real documents, so
titles are sometimes missing, section headings have synonyms and vary in order and case,
header layouts differ (label rows, name/DOB/MRN tables, letter "RE:" lines, compact
one-liners), dates are printed in several formats, and shared sections (medications,
allergies, vitals) appear across types so that the type-specific sections carry the
signal. Deterministic per seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from faker import Faker

from chartvault.synth import phrases as P
from chartvault.synth.model import Block, SynthDoc
from chartvault.taxonomy import DOC_TYPES, loinc_for

VACCINES = ["Influenza", "Tdap", "Pneumococcal PCV13", "Hepatitis B", "COVID-19 mRNA"]

WEIGHTS = {
    "summary_of_care": 8, "discharge_summary": 8, "history_and_physical": 7,
    "progress_note": 10, "consultation_note": 7, "operative_note": 7, "procedure_note": 5,
    "imaging_report": 8, "referral_note": 4, "transfer_summary": 3, "care_plan": 3,
    "lab_report": 5, "pathology_report": 4, "emergency_department_note": 7,
    "correspondence": 6, "other": 1,
}

TITLES: dict[str, list[str]] = {
    "summary_of_care": ["Continuity of Care Document", "Summary of Care", "Clinical Summary",
                        "Transition of Care Summary", "Patient Health Summary",
                        "Summarization of Episode Note"],
    "discharge_summary": ["DISCHARGE SUMMARY", "Discharge Summary", "HOSPITAL DISCHARGE SUMMARY"],
    "history_and_physical": ["HISTORY AND PHYSICAL", "History & Physical Examination",
                             "ADMISSION HISTORY AND PHYSICAL", "H&P"],
    "progress_note": ["PROGRESS NOTE", "Office Visit", "Clinic Note", "Follow-up Visit",
                      "SOAP NOTE", "Office Note"],
    "consultation_note": ["CONSULTATION", "Consultation Note", "CONSULT NOTE",
                          "Inpatient Consultation"],
    "operative_note": ["OPERATIVE REPORT", "Operative Note", "OPERATIVE NOTE",
                       "Brief Operative Report"],
    "procedure_note": ["PROCEDURE NOTE", "Procedure Report", "ENDOSCOPY REPORT",
                       "Bedside Procedure Note"],
    "imaging_report": ["RADIOLOGY REPORT", "Diagnostic Imaging Report", "IMAGING REPORT",
                       "Radiology"],
    "referral_note": ["REFERRAL", "Referral Request", "Referral Note", "Patient Referral Form"],
    "transfer_summary": ["TRANSFER SUMMARY", "Interfacility Transfer Summary",
                         "Transfer of Care Note"],
    "care_plan": ["PLAN OF CARE", "Care Plan", "Individualized Care Plan"],
    "lab_report": ["LABORATORY REPORT", "Lab Results", "CLINICAL LABORATORY REPORT"],
    "pathology_report": ["SURGICAL PATHOLOGY REPORT", "Pathology Report",
                         "PATHOLOGY CONSULTATION REPORT"],
    "emergency_department_note": ["EMERGENCY DEPARTMENT REPORT", "ED Physician Note",
                                  "EMERGENCY ROOM REPORT", "Emergency Department Visit"],
    "correspondence": [""],
    "other": ["CONSENT FOR TREATMENT", "PATIENT REGISTRATION FACE SHEET",
              "Authorization for Release of Information"],
}


class Ctx:
    """Facts of one document and helpers to write about them."""

    def __init__(self, rng: random.Random, fake: Faker, doc_type: str,
                 overrides: Mapping[str, Any]) -> None:
        self.rng, self.fake, self.doc_type = rng, fake, doc_type
        sex = rng.choice(["F", "M"])
        pat = dict(overrides.get("patient", {}))
        self.sex = pat.get("sex", sex)
        self.given = pat.get("given") or (fake.first_name_female() if self.sex == "F"
                                          else fake.first_name_male())
        self.family = pat.get("family") or fake.last_name()
        minor = rng.random() < 0.12
        self.service = overrides.get("service_date") or (
            date(2008, 1, 1) + timedelta(days=rng.randint(0, 6200)))
        age = rng.randint(1, 17) if minor else rng.randint(19, 92)
        self.birth = pat.get("birth_date") or (
            self.service - timedelta(days=age * 365 + rng.randint(0, 364)))
        self.age = (self.service - self.birth).days // 365
        self.mrn = pat.get("mrn") or self._mrn()
        self.facility = overrides.get("facility") or self._facility()
        self.author_given = fake.first_name()
        self.author_family = fake.last_name()
        self.npi = _npi(rng)
        self.cred = rng.choice(["MD", "MD", "DO", "MD, FACP", "NP", "PA-C", "MD, PhD"])
        self.document_date = self.service + timedelta(days=rng.choice([0, 0, 0, 1, 2, 3]))
        self.admission: date | None = None
        self.discharge: date | None = None
        self.icd: list[str] = []
        self.cpt: list[str] = []
        self.conditions = rng.sample(P.CONDITIONS, 4)
        self.meds = rng.sample(P.MEDICATIONS, rng.randint(3, 6))
        self.date_style = rng.choice(["us", "us", "iso", "long", "dmy", "us2"])

    def _mrn(self) -> str:
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.randint(10 ** 5, 10 ** 9 - 1))
        if r < 0.8:
            return f"{self.rng.choice('ABCDEMK')}{self.rng.randint(10 ** 5, 10 ** 7)}"
        return f"{self.rng.randint(100, 999)}{self.rng.randint(1000, 9999)}"

    def _facility(self) -> str:
        base = self.rng.choice([self.fake.last_name(), self.fake.city(), "St. " + self.fake.
                                first_name(), self.fake.last_name() + " Valley"])
        return f"{base} {self.rng.choice(P.FACILITY_KINDS)}"

    def d(self, value: date) -> str:
        """A date in this document's printing style."""
        s = self.date_style
        if s == "iso":
            return value.isoformat()
        if s == "long":
            return value.strftime("%B %-d, %Y")
        if s == "dmy":
            return value.strftime("%d-%b-%Y")
        if s == "us2":
            return f"{value.month}/{value.day}/{value.year}"
        return value.strftime("%m/%d/%Y")

    @property
    def he(self) -> str:
        """Subject pronoun."""
        return "she" if self.sex == "F" else "he"

    @property
    def his(self) -> str:
        """Possessive pronoun."""
        return "her" if self.sex == "F" else "his"

    @property
    def person(self) -> str:
        """'woman' / 'man' / 'girl' / 'boy'."""
        if self.age < 18:
            return "girl" if self.sex == "F" else "boy"
        return "woman" if self.sex == "F" else "man"

    def author(self) -> str:
        """Signature name."""
        return f"{self.author_given} {self.author_family}, {self.cred}"

    def code(self, cond: tuple[str, str], show: float = 0.5) -> str:
        """A condition, sometimes with its ICD-10 code printed."""
        if self.rng.random() < show:
            self.icd.append(cond[1])
            return f"{cond[0]} ({cond[1]})"
        return cond[0]

    def cap(self, text: str) -> str:
        """Heading in one of the document's casing styles."""
        return text.upper() if self.rng.random() < 0.6 else text.title()


_CODE_IN_PARENS = re.compile(r"\(([a-z]\d{2}[0-9a-z.]*)\)")


def _codes_upper(text: str) -> str:
    # str.capitalize() lowercases ICD-10 codes printed inside a sentence: restore them.
    return _CODE_IN_PARENS.sub(lambda m: "(" + m.group(1).upper() + ")", text)


def _npi(rng: random.Random) -> str:
    base = [rng.randint(1, 2)] + [rng.randint(0, 9) for _ in range(8)]
    digits = [int(c) for c in "80840"] + base
    total = 0
    for i, dgt in enumerate(reversed(digits)):
        if i % 2 == 0:
            dgt *= 2
            dgt = dgt - 9 if dgt > 9 else dgt
        total += dgt
    check = (10 - total % 10) % 10
    return "".join(map(str, base)) + str(check)


# --- header layouts ---------------------------------------------------------------------


def _sex_word(c: Ctx) -> str:
    word: str = c.rng.choice([{"F": "Female", "M": "Male"}[c.sex], str(c.sex)])
    return word


def header(c: Ctx, show: dict[str, bool]) -> list[Block]:
    """Demographic header in one of several layouts."""
    r = c.rng
    style = r.randint(0, 6)
    name_fl = f"{c.given} {c.family}"
    name_lf = f"{c.family.upper()}, {c.given.upper()}"
    dob = c.d(c.birth)
    rows: list[str] = []
    mrn_label = r.choice(["MRN", "Medical Record #", "MR#", "Med Rec No", "Patient ID", "Chart #"])
    svc_label = r.choice(["Date of Service", "Visit Date", "Encounter Date", "DOS",
                          "Date of Visit"])
    if c.doc_type == "operative_note":
        svc_label = r.choice(["Date of Surgery", "Date of Procedure", "Surgery Date"])
    if c.doc_type in ("imaging_report",):
        svc_label = r.choice(["Exam Date", "Date of Exam", "Study Date"])
    if style == 0:
        rows.append(f"Patient Name: {name_lf}    Date of Birth: {dob}")
        rows.append(f"Sex: {_sex_word(c)}    {mrn_label}: {c.mrn}" if show["mrn"] else
                    f"Sex: {_sex_word(c)}")
    elif style == 1:
        rows.append(f"PATIENT: {name_fl.upper() if r.random() < .5 else name_fl}")
        if show["mrn"]:
            rows.append(f"{mrn_label}: {c.mrn}")
        rows.append(f"DOB: {dob}    Age: {c.age}    Sex: {_sex_word(c)}")
    elif style == 2:
        cols = ["Name", "DOB", "Sex"] + (["MRN"] if show["mrn"] else [])
        vals = [name_lf, dob, c.sex] + ([c.mrn] if show["mrn"] else [])
        rows.append("    ".join(cols))
        rows.append("    ".join(vals))
    elif style == 3:
        acct = r.randint(10 ** 7, 10 ** 8)
        mid = f" {r.choice('ABCDEJKLMRS')}" if r.random() < .4 else ""
        rows.append(f"Patient: {c.family}, {c.given}{mid}    " +
                    (f"{mrn_label}: {c.mrn}    " if show["mrn"] else "") + f"Acct #: {acct}")
        rows.append(f"DOB: {dob} ({c.age} y)    Gender: {_sex_word(c)}")
    elif style in (5, 6):
        first = [("PATIENT NAME" if r.random() < .5 else "PATIENT", name_lf if r.random() < .5
                  else name_fl), ("DATE OF BIRTH" if r.random() < .5 else "DOB", dob),
                 ("SEX", _sex_word(c))]
        if show["mrn"]:
            first.append((r.choice(["MRN", "MEDICAL RECORD #"]), c.mrn))
        r.shuffle(first)
        rows.append("  ".join(k for k, _ in first))
        rows.append("  ".join(v for _, v in first))
        second = []
        if show["service"]:
            second.append((svc_label.upper(), c.d(c.service)))
        if show["author"]:
            second.append((r.choice(["AUTHOR", "PHYSICIAN", "PROVIDER", "ATTENDING"]),
                           f"{c.author_given} {c.author_family}, {c.cred}"))
        second.append((r.choice(["DATE SIGNED", "REPORT DATE", "DOCUMENT DATE"]),
                       c.d(c.document_date)))
        rows.append("  ".join(k for k, _ in second))
        rows.append("  ".join(v for _, v in second))
        return [Block("table_row", row.replace("  ", "    ")) for row in rows]
    else:
        rows.append(f"Name: {c.family}, {c.given}")
        rows.append(f"Birth Date: {dob}" + (f"    {mrn_label}: {c.mrn}" if show["mrn"] else ""))
        rows.append(f"Sex: {_sex_word(c)}")
    if c.admission and c.doc_type in ("discharge_summary", "transfer_summary"):
        rows.append(f"Admission Date: {c.d(c.admission)}    Discharge Date: {c.d(c.discharge)}"
                    if c.discharge else f"Admission Date: {c.d(c.admission)}")
    elif show["service"]:
        rows.append(f"{svc_label}: {c.d(c.service)}")
    if show["author"]:
        label = r.choice(["Physician", "Attending", "Provider", "Author", "Attending Physician"])
        if c.doc_type == "operative_note":
            label = "Surgeon"
        if c.doc_type in ("imaging_report", "pathology_report"):
            label = r.choice(["Ordering Physician", "Referring Physician"])
        rows.append(f"{label}: {c.author_given} {c.author_family}, {c.cred}")
    return [Block("field_row", row) for row in rows]


# --- sections ---------------------------------------------------------------------------

Section = Callable[[Ctx], list[Block]]


def sec(c: Ctx, heading: str | list[str], *paras: str) -> list[Block]:
    """A heading and its paragraphs."""
    h = heading if isinstance(heading, str) else c.rng.choice(heading)
    inline = c.rng.random() < 0.3 and len(paras) == 1
    if inline:
        return [Block("paragraph", f"{c.cap(h)}: {paras[0]}")]
    return [Block("heading", c.cap(h) + (":" if c.rng.random() < 0.5 else ""), bold=True),
            *[Block("paragraph", p) for p in paras]]


def hpi(c: Ctx) -> str:
    """History of present illness."""
    r = c.rng
    sym = r.choice(P.SYMPTOMS)
    cond = c.conditions[0]
    return r.choice([
        f"The patient is a {c.age}-year-old {c.person} with a history of {c.conditions[1][0]} "
        f"who presents with {sym} for {r.choice(P.DURATIONS)}. {c.he.capitalize()} denies "
        f"{r.choice(P.SYMPTOMS)}. Symptoms are worse with exertion and improve with rest.",
        f"{c.given} is a {c.age}-year-old {c.person} seen today for {sym}. {c.he.capitalize()} "
        f"reports the symptoms began {r.choice(P.DURATIONS)} ago and have gradually worsened. "
        f"{c.his.capitalize()} {cond[0]} has been managed by {c.his} primary care physician.",
        f"This {c.age}-year-old {c.person} was in {c.his} usual state of health until "
        f"{r.choice(P.DURATIONS)} ago when {c.he} developed {sym}. There was no trauma. "
        f"{c.he.capitalize()} took acetaminophen without relief.",
    ])


def pmh(c: Ctx) -> list[Block]:
    """Past medical history list."""
    return sec(c, ["Past Medical History", "PMH", "Medical History"],
               ", ".join(x[0] for x in c.conditions[1:]).capitalize() + ".")


def meds(c: Ctx, heading: list[str] | None = None) -> list[Block]:
    """Medication list."""
    heading = heading or ["Medications", "Current Medications", "Home Medications"]
    h = c.rng.choice(heading)
    out = [Block("heading", c.cap(h) + ":", bold=True)]
    for i, (name, dose, sig) in enumerate(c.meds, 1):
        prefix = f"{i}. " if c.rng.random() < 0.5 else "- "
        out.append(Block("list_item", f"{prefix}{name.capitalize()} {dose} {sig}."))
    return out


def allergies(c: Ctx) -> list[Block]:
    """Allergy line."""
    return sec(c, ["Allergies", "Drug Allergies", "Allergies/Adverse Reactions"],
               c.rng.choice(P.ALLERGIES).capitalize() + ".")


def vitals(c: Ctx) -> list[Block]:
    """Vital signs line."""
    r = c.rng
    return sec(c, ["Vital Signs", "Vitals"],
               f"Temperature {r.uniform(97.0, 101.5):.1f} F, pulse {r.randint(58, 118)}, "
               f"respirations {r.randint(12, 24)}, blood pressure {r.randint(100, 168)}/"
               f"{r.randint(58, 98)}, oxygen saturation {r.randint(89, 100)}% on room air.")


def exam(c: Ctx) -> list[Block]:
    """Physical examination."""
    return sec(c, ["Physical Examination", "Physical Exam", "Exam"],
               "General: Alert and oriented, in no acute distress. HEENT: Normocephalic, "
               "atraumatic. Lungs: " + c.rng.choice(["Clear to auscultation bilaterally.",
                                                     "Scattered rhonchi at the right base."])
               + " Heart: Regular rate and rhythm, no murmurs. Abdomen: Soft, "
               + c.rng.choice(["nontender.", "mildly tender in the right upper quadrant."])
               + " Extremities: No edema.")


def assessment_plan(c: Ctx) -> list[Block]:
    """Assessment and plan with coded problems."""
    r = c.rng
    out = [Block("heading", c.cap(r.choice(["Assessment and Plan", "Assessment/Plan",
                                             "Impression and Plan"])) + ":", bold=True)]
    for i, cond in enumerate(c.conditions[:r.randint(2, 3)], 1):
        med = r.choice(c.meds)
        out.append(Block("list_item", f"{i}. {c.code(cond).capitalize()}: " + r.choice([
            f"continue {med[0]} {med[1]} {med[2]}.", "stable, no changes today.",
            f"start {med[0]} {med[1]}; recheck in {r.choice([2, 4, 6])} weeks.",
            "check labs and follow up in clinic."])))
    return out


def signature(c: Ctx) -> list[Block]:
    """Signature block (dated)."""
    r = c.rng
    lines = [r.choice(["Electronically signed by", "Dictated by", "Signed:", "Sincerely,",
                       "Attending physician:"]),
             c.author()]
    if r.random() < 0.35:
        lines.append(f"NPI: {c.npi}")
    lines.append(f"{r.choice(['Signed', 'Date', 'Dictated', 'D'])}: {c.d(c.document_date)}")
    if r.random() < 0.4:
        lines.append(f"T: {c.d(c.document_date + timedelta(days=r.randint(0, 2)))}")
    return [Block("spacer"), *[Block("signature", x) for x in lines]]


def body(c: Ctx) -> list[Block]:
    """Type-specific content."""
    r = c.rng
    t = c.doc_type
    out: list[Block] = []
    if t == "discharge_summary":
        out += sec(c, ["Admission Diagnosis", "Admitting Diagnosis", "Reason for Admission"],
                   c.code(c.conditions[0]).capitalize() + ".")
        out += sec(c, ["Discharge Diagnoses", "Discharge Diagnosis", "Final Diagnoses"],
                   "; ".join(c.code(x) for x in c.conditions[:3]).capitalize() + ".")
        out += sec(c, ["Hospital Course", "Brief Hospital Course", "Summary of Hospital Stay"],
                   hpi(c), f"{c.he.capitalize()} was admitted to the medical floor and treated "
                   f"with intravenous fluids and {r.choice(c.meds)[0]}. {c.his.capitalize()} "
                   f"symptoms improved over the following days and {c.he} was tolerating a "
                   "regular diet and ambulating independently at discharge.")
        out += meds(c, ["Discharge Medications", "Medications at Discharge"])
        out += sec(c, ["Condition at Discharge", "Discharge Condition"],
                   r.choice(["Stable.", "Good.", "Improved, hemodynamically stable."]))
        out += sec(c, ["Discharge Instructions", "Disposition"],
                   f"Discharged home. Follow up with {c.his} primary care physician in one "
                   "week. Return to the emergency department for worsening symptoms.")
    elif t == "history_and_physical":
        out += sec(c, ["Chief Complaint", "CC"], r.choice(P.SYMPTOMS).capitalize() + ".")
        out += sec(c, ["History of Present Illness", "HPI"], hpi(c))
        out += pmh(c)
        out += sec(c, ["Past Surgical History", "PSH"], r.choice(
            ["Appendectomy.", "Cholecystectomy.", "None.", "Right knee arthroscopy."]))
        out += meds(c) + allergies(c)
        out += sec(c, ["Social History"], r.choice([
            "Denies tobacco, alcohol or illicit drug use.", "Former smoker, quit ten years ago.",
            "Drinks alcohol socially. Lives with spouse."]))
        out += sec(c, ["Family History"], "Father with coronary artery disease; mother with "
                   "diabetes.")
        out += sec(c, ["Review of Systems", "ROS"], "Ten-point review of systems is negative "
                   "except as noted in the history of present illness.")
        out += vitals(c) + exam(c) + assessment_plan(c)
    elif t == "progress_note":
        if r.random() < 0.5:
            out += sec(c, ["Subjective", "S"], hpi(c))
            out += sec(c, ["Objective", "O"], vitals(c)[-1].text)
            out += sec(c, ["Assessment", "A"], c.code(c.conditions[0]).capitalize() + ", " +
                       r.choice(["improving.", "stable.", "not at goal."]))
            out += sec(c, ["Plan", "P"], f"Continue {c.meds[0][0]}. Return in "
                       f"{r.choice(['3 months', '6 weeks', '2 weeks'])}.")
        else:
            out += sec(c, ["Reason for Visit", "Chief Complaint", "Interval History"], hpi(c))
            out += meds(c) + vitals(c) + exam(c) + assessment_plan(c)
        c.cpt.append(r.choice(P.VISIT_CPT[:4]))
        if r.random() < 0.5:
            out.append(Block("paragraph", f"Visit level: CPT {c.cpt[-1]}."))
    elif t == "consultation_note":
        spec = r.choice(P.SPECIALTIES)
        out += sec(c, ["Reason for Consultation", "Reason for Consult"],
                   f"Evaluation of {c.conditions[0][0]}, requested by Dr. {c.fake.last_name()}.")
        out += sec(c, ["History of Present Illness", "HPI"], hpi(c))
        out += pmh(c) + meds(c) + allergies(c) + exam(c)
        out += sec(c, ["Impression", "Assessment"], f"{c.code(c.conditions[0]).capitalize()}.")
        out += sec(c, ["Recommendations", "Plan"],
                   f"From a {spec} standpoint, recommend {r.choice(c.meds)[0]} and further "
                   "evaluation as outlined. We will follow along with you.",
                   "Thank you for this consultation and for allowing us to participate in the "
                   "care of this patient.")
    elif t == "operative_note":
        surg = r.choice([p for p in P.PROCEDURES if p[2] == "surgery"])
        c.cpt.append(surg[1])
        dx = c.code(c.conditions[0], 0.6)
        out += sec(c, ["Preoperative Diagnosis", "Pre-op Diagnosis"], dx.capitalize() + ".")
        out += sec(c, ["Postoperative Diagnosis", "Post-op Diagnosis"], r.choice(
            ["Same.", dx.capitalize() + "."]))
        out += sec(c, ["Procedure Performed", "Procedure", "Operation"],
                   f"{surg[0].capitalize()}" + (f" (CPT {surg[1]})." if r.random() < .5 else "."))
        out += sec(c, ["Surgeon"], f"{c.author_given} {c.author_family}, {c.cred}")
        out += sec(c, ["Anesthesia"], r.choice(["General endotracheal.", "Spinal.",
                                                 "Monitored anesthesia care."]))
        out += sec(c, ["Estimated Blood Loss", "EBL"], f"{r.choice([10, 25, 50, 100, 200])} mL.")
        out += sec(c, ["Indications", "Indications for Procedure"],
                   f"The patient is a {c.age}-year-old {c.person} with {c.conditions[0][0]}. "
                   "Risks, benefits and alternatives were discussed and consent was obtained.")
        out += sec(c, ["Description of Procedure", "Procedure in Detail", "Operative Technique"],
                   "The patient was brought to the operating room and placed supine. After "
                   "induction of anesthesia the operative site was prepped and draped in the "
                   "usual sterile fashion. A time-out was performed. The dissection proceeded "
                   "without difficulty and hemostasis was obtained. The wound was irrigated and "
                   "closed in layers. Sponge and needle counts were correct.")
        out += sec(c, ["Specimens"], r.choice(["Sent to pathology.", "None."]))
        out += sec(c, ["Complications"], "None. The patient tolerated the procedure well and "
                   "was taken to the recovery room in stable condition.")
    elif t == "procedure_note":
        pr = r.choice([p for p in P.PROCEDURES if p[2] != "surgery"])
        c.cpt.append(pr[1])
        out += sec(c, ["Procedure", "Procedure Performed"], pr[0].capitalize() + ".")
        out += sec(c, ["Indication", "Indications"], c.code(c.conditions[0]).capitalize() + ".")
        out += sec(c, ["Consent"], "Informed consent was obtained after discussion of risks "
                   "including bleeding, infection and perforation.")
        out += sec(c, ["Sedation", "Anesthesia"], r.choice(["Moderate sedation with midazolam "
                   "and fentanyl.", "Local anesthesia with 1% lidocaine."]))
        out += sec(c, ["Description", "Technique", "Findings"],
                   f"The {pr[0]} was performed under sterile technique. " + r.choice([
                       "No abnormalities were identified.",
                       "Biopsies were obtained and sent to pathology.",
                       "Clear fluid was obtained and sent for analysis."]))
        out += sec(c, ["Post-procedure", "Disposition"], "The patient tolerated the procedure "
                   "well without immediate complications.")
    elif t == "imaging_report":
        exam_name, cpt, region = r.choice(P.IMAGING)
        c.cpt.append(cpt)
        out += sec(c, ["Exam", "Examination", "Procedure"], exam_name)
        out += sec(c, ["Clinical History", "Indication", "History"],
                   r.choice(P.SYMPTOMS).capitalize() + ".")
        out += sec(c, ["Technique"], r.choice(["Standard protocol images were obtained.",
                                               "Axial images with coronal reformats."]))
        out += sec(c, ["Comparison"], r.choice(["None.", f"Prior study dated "
                                                f"{c.d(c.service - timedelta(days=400))}."]))
        finds = P.IMAGING_FINDINGS[region]
        out += sec(c, ["Findings"], " ".join(r.sample(finds, min(3, len(finds)))))
        out += sec(c, ["Impression", "Conclusion"], r.choice(finds))
        out.append(Block("paragraph", f"Interpreted by: {c.fake.first_name()} "
                         f"{c.fake.last_name()}, MD, Radiologist"))
    elif t == "pathology_report":
        out += sec(c, ["Specimen", "Specimen(s) Received"], r.choice([
            "Gallbladder, cholecystectomy.", "Colon, sigmoid, biopsy.", "Skin, left forearm, "
            "shave biopsy.", "Appendix, appendectomy."]))
        out += sec(c, ["Clinical History", "Clinical Information"], c.conditions[0][0].capitalize()
                   + ".")
        out += sec(c, ["Gross Description"], "Received in formalin labeled with the patient's "
                   f"name is a tan-pink tissue fragment measuring "
                   f"{r.randint(1, 9)}.{r.randint(0, 9)} "
                   "cm. Representative sections are submitted in one cassette.")
        out += sec(c, ["Microscopic Description", "Microscopic"], "Sections show mucosa with "
                   "chronic inflammation. No dysplasia or malignancy is identified.")
        out += sec(c, ["Diagnosis", "Final Diagnosis", "Pathologic Diagnosis"], r.choice([
            "Chronic cholecystitis with cholelithiasis.", "Tubular adenoma; negative for "
            "high-grade dysplasia.", "Acute appendicitis with periappendiceal inflammation.",
            "Seborrheic keratosis."]))
        out.append(Block("paragraph", "Pathologist: " + f"{c.author_given} {c.author_family}, MD"))
    elif t == "emergency_department_note":
        out += sec(c, ["Chief Complaint", "CC"], r.choice(P.SYMPTOMS).capitalize() + ".")
        out += sec(c, ["History of Present Illness", "HPI"], hpi(c))
        out += pmh(c) + meds(c) + allergies(c) + vitals(c) + exam(c)
        out += sec(c, ["ED Course", "Emergency Department Course", "Medical Decision Making"],
                   f"Labs and imaging were obtained in the emergency department. The patient "
                   f"received {r.choice(c.meds)[0]} with improvement. Differential diagnosis "
                   f"included {c.conditions[0][0]} and {c.conditions[1][0]}.")
        out += sec(c, ["Diagnosis", "Clinical Impression", "Final Impression"],
                   c.code(c.conditions[0]).capitalize() + ".")
        out += sec(c, ["Disposition"], r.choice(["Discharged home in stable condition.",
                                                 "Admitted to the hospitalist service.",
                                                 "Transferred to a tertiary care center."]))
        c.cpt.append(r.choice(P.VISIT_CPT[4:7]))
    elif t == "referral_note":
        spec = r.choice(P.SPECIALTIES)
        out += sec(c, ["Referred To", "Refer To"], f"Dr. {c.fake.last_name()}, {spec}")
        out += sec(c, ["Reason for Referral", "Referral Reason"],
                   f"Evaluation and management of {c.code(c.conditions[0])}.")
        out += sec(c, ["Urgency", "Priority"], r.choice(["Routine.", "Urgent, within 2 weeks."]))
        out += sec(c, ["Clinical Summary", "Pertinent History"], hpi(c))
        out += meds(c)
        out += sec(c, ["Requested Services"], "Consultation and treatment as indicated.")
    elif t == "transfer_summary":
        out += sec(c, ["Reason for Transfer"], f"Higher level of care for {c.conditions[0][0]}.")
        out += sec(c, ["Receiving Facility", "Transferred To"],
                   f"{c.fake.last_name()} {r.choice(P.FACILITY_KINDS)}, accepting physician "
                   f"Dr. {c.fake.last_name()}.")
        out += sec(c, ["Condition at Transfer"], "Hemodynamically stable for transport.")
        out += sec(c, ["Hospital Course"], hpi(c))
        out += meds(c, ["Medications at Transfer", "Current Medications"]) + allergies(c)
        out += sec(c, ["Mode of Transport"], r.choice(["Advanced life support ambulance.",
                                                       "Air ambulance."]))
    elif t == "care_plan":
        out += sec(c, ["Health Concerns", "Problems"], "; ".join(c.code(x) for x in
                                                                 c.conditions[:3]) + ".")
        out += sec(c, ["Goals", "Patient Goals"], r.choice([
            "Hemoglobin A1c below 7 percent within six months.",
            "Blood pressure below 130/80 at home readings.",
            "Walk 30 minutes five days per week."]))
        out += sec(c, ["Interventions", "Planned Interventions"],
                   "Diabetes education, nutrition counseling, medication reconciliation and "
                   "home blood pressure monitoring.")
        out += sec(c, ["Outcomes", "Evaluation"], "Progress toward goals will be reviewed at "
                   "each visit.")
    elif t == "lab_report":
        out.append(Block("table_row", "Test    Result    Units    Reference Range    Flag"))
        for name, unit, (lo, hi), ref in r.sample(P.LABS, r.randint(5, 9)):
            val = r.uniform(lo, hi)
            out.append(Block("table_row", f"{name}    {val:.1f}    {unit}    {ref}    "
                             f"{r.choice(['', '', 'H', 'L'])}".rstrip()))
        out += sec(c, ["Specimen"], f"Blood, collected {c.d(c.service)}.")
        out.append(Block("paragraph", f"Laboratory director: {c.fake.first_name()} "
                         f"{c.fake.last_name()}, MD"))
    elif t == "summary_of_care":
        out += [Block("heading", c.cap("Allergies, Adverse Reactions, Alerts"), bold=True),
                Block("table_row", "Substance    Reaction    Severity    Status"),
                Block("table_row", f"{r.choice(P.ALLERGIES[:5]).capitalize()}    Hives    "
                      f"{r.choice(['Mild', 'Moderate'])}    Active")]
        out += [Block("heading", c.cap("Medications"), bold=True),
                Block("table_row", "Medication    Instructions    Start Date    Status")]
        for m in c.meds:
            out.append(Block("table_row", f"{m[0].capitalize()} {m[1]}    {m[2]}    "
                             f"{c.d(c.service - timedelta(days=r.randint(30, 900)))}    Active"))
        out += [Block("heading", c.cap(r.choice(["Problems", "Problem List", "Active Problems"])),
                      bold=True), Block("table_row", "Problem    Code    Status    Onset")]
        for cond in c.conditions:
            c.icd.append(cond[1])
            out.append(Block("table_row", f"{cond[0].capitalize()}    {cond[1]}    Active    "
                             f"{c.d(c.service - timedelta(days=r.randint(100, 3000)))}"))
        out += [Block("heading", c.cap("Encounters"), bold=True),
                Block("table_row", "Encounter    Code    Date    Provider")]
        for k in range(r.randint(1, 3)):
            code = r.choice(P.VISIT_CPT[:4])
            c.cpt.append(code)
            out.append(Block("table_row", f"Office visit    CPT {code}    "
                             f"{c.d(c.service - timedelta(days=90 * k))}    "
                             f"{c.author_family}"))
        if r.random() < 0.6:
            out += [Block("heading", c.cap(r.choice(["Procedures", "Surgical History"])),
                          bold=True), Block("table_row", "Procedure    Code    Date    Status")]
            for pr in r.sample(P.PROCEDURES, r.randint(1, 3)):
                c.cpt.append(pr[1])
                out.append(Block("table_row", f"{pr[0].capitalize()}    CPT {pr[1]}    "
                                 f"{c.d(c.service - timedelta(days=r.randint(200, 4000)))}    "
                                 "Completed"))
        if r.random() < 0.6:
            out += [Block("heading", c.cap(r.choice(["Results", "Laboratory Results",
                                                    "Diagnostic Results"])), bold=True),
                    Block("table_row", "Test    Value    Units    Range    Date")]
            for name, unit, (lo, hi), ref in r.sample(P.LABS, r.randint(2, 5)):
                out.append(Block("table_row", f"{name}    {r.uniform(lo, hi):.1f}    {unit}    "
                                 f"{ref}    {c.d(c.service)}"))
        if r.random() < 0.5:
            out += [Block("heading", c.cap("Immunizations"), bold=True),
                    Block("table_row", "Vaccine    Date    Status"),
                    Block("table_row", f"{r.choice(VACCINES)}    "
                          f"{c.d(c.service - timedelta(days=r.randint(30, 700)))}    Completed")]
        if r.random() < 0.3:
            out += sec(c, ["Reason for Referral", "Reason for Visit"],
                       f"Follow-up of {c.conditions[0][0]}.")
        if r.random() < 0.3:
            out += sec(c, ["Functional Status", "Advance Directives", "Insurance Providers",
                           "Payers"], r.choice(["Independent in activities of daily living.",
                                                "Advance directive on file: full code.",
                                                f"{c.fake.company()} health plan, primary."]))
        out += vitals(c)
        out += [Block("heading", c.cap(r.choice(["Plan of Care", "Care Plan"])), bold=True),
                Block("paragraph", "Follow up in three months. Continue current medications.")]
        out += sec(c, ["Social History"], "Never smoker.")
    elif t == "correspondence":
        out += letter_body(c)
    else:  # other
        out += sec(c, ["Statement"], "I hereby consent to examination and treatment by the "
                   "physicians and staff of this facility. I authorize the release of "
                   "information necessary for billing and insurance purposes.")
        out += sec(c, ["Insurance"], f"Primary: {c.fake.company()} PPO, member ID "
                   f"{r.randint(10 ** 8, 10 ** 9)}.")
        out += sec(c, ["Emergency Contact"], f"{c.fake.name()} ({c.fake.phone_number()}).")
    if t in ("history_and_physical", "discharge_summary") and r.random() < 0.4:
        c.cpt.append(r.choice(["99222", "99223", "99238", "99239"]))
        out.append(Block("paragraph", f"Billing: CPT {c.cpt[-1]}."))
    if t in NARRATIVE and r.random() < 0.5:
        out += narrative(c)
    return out


NARRATIVE = {"discharge_summary", "history_and_physical", "progress_note", "consultation_note",
             "emergency_department_note", "transfer_summary", "correspondence",
             "operative_note"}


def narrative(c: Ctx) -> list[Block]:
    """More of what long notes hold: discussion, education, data reviewed (1-3 pages)."""
    r = c.rng
    sentences = [
        f"Laboratory studies were reviewed, including a hemoglobin of {r.uniform(9, 15):.1f} "
        f"and a creatinine of {r.uniform(0.6, 2.2):.1f}.",
        f"{c.he.capitalize()} was counseled on the risks and benefits of the treatment plan "
        "and verbalized understanding.",
        f"We discussed {c.his} {c.conditions[1][0]} at length, including diet, exercise and "
        "medication adherence.",
        f"Prior records from {c.fake.last_name()} Clinic were obtained and reviewed.",
        "The family was updated at the bedside and all questions were answered.",
        f"{c.he.capitalize()} will return sooner if symptoms worsen or new symptoms develop.",
        "Home health and physical therapy evaluations were requested.",
        f"Medication reconciliation was completed; {r.choice(c.meds)[0]} was continued.",
        "Imaging obtained during this visit showed no acute abnormality.",
        "Smoking cessation and alcohol moderation were encouraged.",
    ]
    heads = ["Discussion", "Data Reviewed", "Patient Education", "Interval Events",
             "Care Coordination", "Counseling", "Additional Notes"]
    out: list[Block] = []
    for h in r.sample(heads, r.randint(1, 3)):
        paras = [" ".join(r.sample(sentences, r.randint(4, 8))) for _ in range(r.randint(1, 3))]
        out += sec(c, h, *paras)
    return out


def letter_body(c: Ctx) -> list[Block]:
    """A letter to a referring physician."""
    r = c.rng
    ref = f"Dr. {c.fake.last_name()}"
    return [
        Block("paragraph", f"Dear {ref}:"),
        Block("paragraph", r.choice([
            f"Thank you for referring {c.given} {c.family} to our office. I had the pleasure "
            f"of seeing the patient on {c.d(c.service)} for "
            f"{c.conditions[0][0]}.",
            f"I saw your patient in follow-up today regarding {c.conditions[0][0]}. As you "
            f"know, this {c.age}-year-old {c.person} has a history of {c.conditions[1][0]}."])),
        Block("paragraph", hpi(c)),
        Block("paragraph", f"My impression is {c.code(c.conditions[0])}. I have recommended "
              f"{r.choice(c.meds)[0]} and will see {c.his if c.sex == 'F' else 'him'} again in "
              f"{r.choice(['three months', 'six weeks', 'one month'])}."),
        Block("paragraph", "Thank you for allowing me to participate in the care of this "
              "patient. Please do not hesitate to contact me with any questions."),
    ]


# --- assembly ---------------------------------------------------------------------------


def letterhead(c: Ctx) -> list[Block]:
    """Facility name, address and phone."""
    f = c.fake
    lines = [Block("letterhead", c.facility, bold=True, align="center")]
    lines.append(Block("letterhead", f"{f.street_address()}, {f.city()}, {f.state_abbr()} "
                       f"{f.zipcode()}", align="center"))
    if c.rng.random() < 0.7:
        lines.append(Block("letterhead", f"Tel {f.phone_number()}", align="center"))
    return lines


def make_document(seed: int, doc_type: str | None = None, *,
                  overrides: Mapping[str, Any] | None = None) -> SynthDoc:
    """One generated document with its ground truth."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    if doc_type is None:
        keys = list(WEIGHTS)
        doc_type = rng.choices(keys, weights=[WEIGHTS[k] for k in keys])[0]
    if doc_type not in DOC_TYPES:
        raise ValueError(f"unknown document type {doc_type}")
    c = Ctx(rng, fake, doc_type, overrides or {})
    if doc_type in ("discharge_summary", "transfer_summary"):
        c.admission = c.service
        c.discharge = c.service + timedelta(days=rng.randint(1, 12))
        c.document_date = c.discharge + timedelta(days=rng.choice([0, 0, 1, 2]))
    show = {"mrn": rng.random() < 0.93, "service": rng.random() < 0.85,
            "author": rng.random() < 0.6}
    blocks: list[Block] = letterhead(c)
    title_choices = TITLES[doc_type]
    title = rng.choice(title_choices)
    if doc_type == "correspondence":
        blocks += [Block("spacer"), Block("paragraph", c.d(c.document_date)), Block("spacer")]
        blocks.append(Block("field_row", f"RE: {c.given} {c.family}"))
        blocks.append(Block("field_row", f"DOB: {c.d(c.birth)}"))
        if show["mrn"]:
            blocks.append(Block("field_row", f"MRN: {c.mrn}"))
        show["service"] = True
        show["author"] = True
    else:
        if title and rng.random() < 0.55:
            blocks.append(Block("title", title, bold=True, align=rng.choice(["center", "left"])))
        blocks += header(c, show)
    blocks.append(Block("spacer"))
    blocks += body(c)
    blocks += signature(c)
    show["author"] = True  # the signature names the author
    truth = {
        "source": f"synth:{seed}",
        "doc_type": doc_type,
        "loinc": loinc_for(doc_type),
        "patient": {"family": c.family, "given": c.given, "birth_date": c.birth.isoformat(),
                    "sex": c.sex, "mrn": c.mrn if show["mrn"] else None},
        "service_date": c.service.isoformat() if show["service"] or c.admission else None,
        "document_date": c.document_date.isoformat(),
        "author": f"{c.author_given} {c.author_family}",
        "facility": c.facility,
    }
    extra = {
        "admission_date": c.admission.isoformat() if c.admission else None,
        "discharge_date": c.discharge.isoformat() if c.discharge else None,
        "author_npi": c.npi if any(b.text == f"NPI: {c.npi}" for b in blocks) else None,
        "icd10_codes": sorted(set(c.icd)),
        "cpt_codes": sorted(set(c.cpt)),
    }
    running = f"{c.family.upper()}, {c.given.upper()}" + (f"   MRN: {c.mrn}" if show["mrn"]
                                                           else "")
    style = {"font": rng.choice(["DejaVuSans", "DejaVuSerif", "DejaVuSansMono",
                                 "DejaVuSans", "DejaVuSerif"]),
             "size": rng.choice([9, 10, 10, 11, 11, 12]),
             "margin_in": rng.choice([0.75, 0.9, 1.0]), "spacing": rng.choice([1.15, 1.25, 1.35])}
    blocks = [Block(b.kind, _codes_upper(b.text), b.bold, b.align) for b in blocks]
    return SynthDoc(doc_id=f"synth-{seed}", truth=truth, truth_extra=extra, blocks=blocks,
                    running_header=running if rng.random() < 0.7 else None, style=style)
