"""Bodies of reports and structured documents.

Imaging, pathology, laboratory, summary of care (C-CDA rendering), plan of care, referral
request, and the odd non-clinical form.

A summary of care prints many tabular sections (allergies, medications, problems,
encounters, immunizations, results...) the way EHR renderings do; a clinical note names a
few of those sections too, which is why the count and the tables matter, not one heading.
"""

from __future__ import annotations

from datetime import timedelta

from chartvault.synth import content_bank as B
from chartvault.synth import content_prose as S
from chartvault.synth.content_facts import Ctx, items, sec
from chartvault.synth.model import Block


def imaging_report(c: Ctx) -> list[Block]:
    """Radiology report: exam, history, technique, comparison, findings, impression."""
    r = c.rng
    study, code, region = c.rng.choice(B.IMAGING)
    exam = study if c.sometimes(0.6) else study.title()
    if c.sometimes(0.3):
        c.cpt.append(code)
        exam += f" (CPT {code})"
    out = sec(c, ["Exam", "Examination", "Study", "Procedure"], exam)
    out += sec(
        c,
        ["Clinical History", "History", "Indication", "Clinical Indication", "Reason for Exam"],
        c.pick(
            [
                f"{c.pick(B.SYMPTOMS).capitalize()}.",
                f"{c.age_phrase().capitalize()} {c.person} with {c.conditions[0][0]}.",
                f"Evaluate for {c.conditions[0][0]}.",
            ]
        ),
    )
    if c.sometimes(0.7):
        out += sec(
            c,
            ["Technique", "Procedure", "Protocol"],
            c.pick(
                [
                    "Axial images were obtained from the lung apices through the pelvis following "
                    "the intravenous administration of contrast.",
                    "PA and lateral views.",
                    "Multiplanar multisequence images were obtained without contrast.",
                    "Real-time grayscale and color Doppler images were obtained.",
                    "Standard views were obtained.",
                ]
            ),
        )
    out += (
        sec(
            c,
            ["Comparison", "Comparisons", "Prior Studies"],
            c.pick(
                [
                    "None.",
                    f"Prior study dated {c.d(c.service - timedelta(days=r.randint(60, 900)))}.",
                    "No prior studies available.",
                ]
            ),
        )
        if c.sometimes(0.75)
        else []
    )
    findings = r.sample(
        B.IMAGING_FINDINGS[region], min(len(B.IMAGING_FINDINGS[region]), r.randint(2, 4))
    )
    out += sec(c, ["Findings", "Report", "Result"], " ".join(findings))
    impression = [
        c.pick(findings),
        c.pick(
            [
                "No acute abnormality.",
                "Findings as above.",
                "Recommend clinical correlation.",
                f"Findings consistent with {c.conditions[0][0]}.",
                "Follow-up imaging is recommended in 3 months.",
            ]
        ),
    ]
    if c.sometimes(0.5):
        out += items(c, ["Impression", "Conclusion"], impression)
    else:
        out += sec(c, ["Impression", "Conclusion", "Summary"], " ".join(impression))
    if c.sometimes(0.5):
        out.append(
            Block(
                "paragraph",
                c.pick(
                    [
                        "I have personally reviewed the images and agree with the findings.",
                        "Findings were communicated to the ordering provider.",
                        f"Dictated by radiologist. Transcribed {c.d(c.document_date)}.",
                    ]
                ),
            )
        )
    return out


def pathology_report(c: Ctx) -> list[Block]:
    """Surgical pathology report: specimen, clinical history, diagnosis, gross, micro."""
    r = c.rng
    cases = r.sample(B.PATHOLOGY, r.randint(1, 3))
    letters = "ABCD"
    out: list[Block] = []
    if c.sometimes(0.7):
        out += sec(
            c,
            ["Accession Number", "Case Number", "Surgical Pathology Number"],
            f"{c.pick(['S', 'SP', 'P'])}{c.service.year % 100}-{r.randint(1000, 99999)}",
        )
    out += items(
        c,
        ["Specimen", "Specimens Received", "Source of Specimen", "Specimen(s)"],
        [f"{letters[i]}. {s}" for i, (s, _, _) in enumerate(cases)],
    )
    out += sec(
        c,
        ["Clinical History", "Clinical Information", "Pertinent History", "Preoperative Diagnosis"],
        c.pick(
            [
                f"{c.age_phrase().capitalize()} {c.person} with {c.conditions[0][0]}.",
                "Rule out malignancy.",
                f"{c.pick(B.SYMPTOMS).capitalize()}.",
            ]
        ),
    )
    dx = []
    for i, (s, d, icd) in enumerate(cases):
        coded = c.sometimes(0.3)
        if coded:
            c.icd.append(icd)
        dx.append(f"{letters[i]}. {s}: {d}" + (f" ({icd})." if coded else "."))
    out += items(
        c,
        ["Final Diagnosis", "Diagnosis", "Pathologic Diagnosis", "Final Pathologic Diagnosis"],
        dx,
    )
    gross = [
        g.format(
            size=round(r.uniform(0.3, 9.0), 1),
            size2=round(r.uniform(0.3, 6.0), 1),
            n=r.randint(2, 12),
            cas=f"{letters[0]}1",
            cas2=f"{letters[0]}{r.randint(2, 6)}",
        )
        for g in r.sample(B.PATH_GROSS, 2)
    ]
    out += sec(c, ["Gross Description", "Gross", "Macroscopic Description"], " ".join(gross))
    if c.sometimes(0.7):
        micro = [
            m.format(dx_lower=cases[0][1].lower(), size=round(r.uniform(0.1, 2.0), 1))
            for m in r.sample(B.PATH_MICRO, 2)
        ]
        out += sec(c, ["Microscopic Description", "Microscopic", "Comment"], " ".join(micro))
    if c.sometimes(0.4):
        c.cpt.append(c.pick(["88305", "88307", "88309", "88342"]))
        out.append(Block("paragraph", f"CPT: {c.cpt[-1]}"))
    return out


def lab_report(c: Ctx) -> list[Block]:
    """Clinical laboratory results table."""
    r = c.rng
    out: list[Block] = []
    panel = c.pick(
        [
            "COMPREHENSIVE METABOLIC PANEL",
            "CBC WITH DIFFERENTIAL",
            "LIPID PANEL",
            "BASIC METABOLIC PANEL",
            "CHEMISTRY",
            "HEMATOLOGY",
        ]
    )
    out += sec(
        c,
        ["Specimen", "Specimen Type", "Source"],
        f"{c.pick(['Blood', 'Serum', 'Plasma', 'Whole blood'])}, collected "
        f"{c.d(c.service)} {r.randint(6, 18):02d}:{r.randint(0, 59):02d}.",
    )
    if c.sometimes(0.6):
        out.append(Block("paragraph", f"Ordering provider: Dr. {c.referrer}"))
    out.append(Block("heading", panel, bold=True))
    header = c.pick(
        [
            "Test    Result    Units    Reference Range    Flag",
            "Component    Value    Flag    Ref Range    Units",
            "Analyte    Result    Reference Interval",
        ]
    )
    out.append(Block("table_row", header))
    for name, unit, (lo, hi), ref in r.sample(B.LABS, r.randint(5, 12)):
        flag = c.pick(["", "", "", "H", "L"])
        val = f"{r.uniform(lo, hi):.1f}"
        row = {
            "T": f"{name}    {val}    {unit}    {ref}    {flag}",
            "C": f"{name}    {val}    {flag}    {ref}    {unit}",
            "A": f"{name}    {val} {unit}    {ref}",
        }[header[0]]
        out.append(Block("table_row", row.rstrip()))
    if c.sometimes(0.5):
        out += sec(
            c,
            ["Comment", "Interpretation", "Notes"],
            c.pick(
                [
                    "Specimen slightly hemolyzed.",
                    "Results verified by repeat analysis.",
                    "Critical value called to and read back by the nurse.",
                ]
            ),
        )
    out.append(
        Block(
            "paragraph",
            f"{c.pick(['Laboratory director', 'Medical director', 'Verified by'])}: "
            f"{c.fake.first_name()} {c.fake.last_name()}, MD",
        )
    )
    return out


def _table(c: Ctx, heading: str, cols: list[str], rows: list[list[str]]) -> list[Block]:
    return [
        Block("heading", c.cap(heading), bold=True),
        Block("table_row", "    ".join(cols)),
        *[Block("table_row", "    ".join(x for x in row if x)) for row in rows],
    ]


def summary_of_care(c: Ctx) -> list[Block]:
    """C-CDA style rendering: many tabular sections in an EHR-specific order."""
    r = c.rng

    def past(lo: int, hi: int) -> str:
        return c.d(c.service - timedelta(days=r.randint(lo, hi)))

    sections: list[list[Block]] = []
    sections.append(
        _table(
            c,
            c.pick(
                [
                    "Allergies",
                    "Allergies, Adverse Reactions, Alerts",
                    "Allergies and Adverse Reactions",
                ]
            ),
            ["Substance", "Reaction", "Severity", "Status"],
            [
                [
                    a.capitalize(),
                    c.pick(B.REACTIONS).capitalize(),
                    c.pick(["Mild", "Moderate", "Severe"]),
                    "Active",
                ]
                for a in r.sample(B.ALLERGIES[:11], r.randint(1, 3))
            ],
        )
    )
    sections.append(
        _table(
            c,
            c.pick(["Medications", "Current Medications", "Medication List"]),
            ["Medication", "Instructions", "Start Date", "Status"],
            [[f"{m[0].capitalize()} {m[1]}", m[2], past(30, 900), "Active"] for m in c.meds],
        )
    )
    probs = []
    for cond in c.conditions:
        c.icd.append(cond[1])
        probs.append(
            [
                cond[0].capitalize(),
                cond[1],
                c.pick(["Active", "Resolved", "Chronic"]),
                past(100, 3000),
            ]
        )
    sections.append(
        _table(
            c,
            c.pick(["Problems", "Problem List", "Active Problems"]),
            ["Problem", "Code", "Status", "Onset"],
            probs,
        )
    )
    enc = []
    for k in range(r.randint(1, 3)):
        code = c.pick(B.VISIT_CPT[:4])
        c.cpt.append(code)
        enc.append(
            [
                c.pick(["Office visit", "Follow-up visit", "Annual exam"]),
                f"CPT {code}",
                c.d(c.service - timedelta(days=90 * k)),
                c.author_family,
            ]
        )
    sections.append(
        _table(
            c,
            c.pick(["Encounters", "Encounter History"]),
            ["Encounter", "Code", "Date", "Provider"],
            enc,
        )
    )
    if r.random() < 0.6:
        rows = []
        for pr in r.sample(B.PROCEDURES, r.randint(1, 3)):
            c.cpt.append(pr[1])
            rows.append([pr[0].capitalize(), f"CPT {pr[1]}", past(200, 4000), "Completed"])
        sections.append(
            _table(
                c,
                c.pick(["Procedures", "Surgical History", "History of Procedures"]),
                ["Procedure", "Code", "Date", "Status"],
                rows,
            )
        )
    if r.random() < 0.7:
        sections.append(
            _table(
                c,
                c.pick(["Results", "Laboratory Results", "Diagnostic Results"]),
                ["Test", "Value", "Units", "Range", "Date"],
                [
                    [n, f"{r.uniform(lo, hi):.1f}", u, ref, c.d(c.service)]
                    for n, u, (lo, hi), ref in r.sample(B.LABS, r.randint(2, 6))
                ],
            )
        )
    if r.random() < 0.6:
        sections.append(
            _table(
                c,
                c.pick(["Immunizations", "Immunization History"]),
                ["Vaccine", "Date", "Status"],
                [[v, past(30, 2000), "Completed"] for v in r.sample(B.VACCINES, r.randint(1, 4))],
            )
        )
    if r.random() < 0.7:
        sections.append(
            _table(
                c,
                "Vital Signs",
                ["Date", "Test", "Result"],
                [
                    [c.d(c.service), "BP", f"{r.randint(100, 160)}/{r.randint(60, 95)} mm[Hg]"],
                    ["", "Heart rate", f"{r.randint(55, 110)} /min"],
                    ["", "Weight", f"{r.randint(100, 260)} lb"],
                ],
            )
        )
    if r.random() < 0.6:
        sections.append(
            _table(
                c,
                "Social History",
                ["Element", "Description", "Date"],
                [
                    [
                        "Smoking status",
                        c.pick(["Never smoker", "Former smoker", "Current every day smoker"]),
                        past(0, 300),
                    ]
                ],
            )
        )
    extras = [
        ("Reason for Referral", f"Evaluation of {c.conditions[0][0]}."),
        ("Reason for Visit", f"Follow-up of {c.conditions[0][0]}."),
        ("Functional Status", "Independent in activities of daily living."),
        ("Advance Directives", "Advance directive on file: full code."),
        ("Payers", f"{c.fake.company()} health plan, primary."),
        ("Insurance Providers", f"{c.fake.company()} PPO."),
        ("Instructions", "Take medications as prescribed. Call with questions."),
        ("Plan of Care", "Follow up in three months. Continue current medications."),
        ("Care Team", f"Primary care: {c.author_given} {c.author_family}."),
        ("Goals", "Maintain blood pressure below 140/90."),
        ("Health Concerns", c.conditions[1][0].capitalize() + "."),
        ("Medical Equipment", c.pick(["Walker.", "Glucometer.", "None recorded."])),
        ("Family History", "Father: hypertension. Mother: diabetes."),
        ("Mental Status", "Alert and oriented."),
    ]
    for h, text in r.sample(extras, r.randint(2, 7)):
        sections.append([Block("heading", c.cap(h), bold=True), Block("paragraph", text)])
    r.shuffle(sections)
    return [b for s in sections for b in s]


def care_plan(c: Ctx) -> list[Block]:
    """Plan of care: concerns, goals, interventions, outcomes."""
    out = sec(
        c,
        ["Health Concerns", "Problems", "Nursing Diagnoses", "Identified Problems"],
        "; ".join(c.code(x) for x in c.conditions[:3]) + ".",
    )
    out += items(
        c,
        ["Goals", "Patient Goals", "Short-Term Goals", "Long-Term Goals"],
        c.rng.sample(
            [
                "Hemoglobin A1c below 7 percent within six months.",
                "Blood pressure below 130/80 at home readings.",
                "Walk 30 minutes five days per week.",
                "Independent with transfers before discharge.",
                "Pain at or below 3/10 with activity.",
                "Weight loss of 5 percent in three months.",
            ],
            3,
        ),
    )
    out += items(
        c,
        ["Interventions", "Planned Interventions", "Nursing Interventions"],
        c.rng.sample(
            [
                "Diabetes education.",
                "Nutrition counseling.",
                "Medication reconciliation.",
                "Home blood pressure monitoring.",
                "Physical therapy three times weekly.",
                "Fall precautions.",
                "Social work referral.",
            ],
            3,
        ),
    )
    out += sec(
        c,
        ["Outcomes", "Evaluation", "Progress Toward Goals"],
        c.pick(
            [
                "Progress toward goals will be reviewed at each visit.",
                "Goals partially met.",
                "Patient and caregiver agree with the plan of care.",
            ]
        ),
    )
    out += (
        sec(
            c,
            ["Responsible Team", "Care Team"],
            f"{c.author_given} {c.author_family}; nursing; case management.",
        )
        if c.sometimes(0.5)
        else []
    )
    return out


def referral_note(c: Ctx) -> list[Block]:
    """Referral request form: referred to, reason, urgency, pertinent history."""
    spec = c.pick(B.SPECIALTIES)
    out = sec(
        c,
        ["Referred To", "Refer To", "Referral To", "Specialist"],
        f"Dr. {c.fake.last_name()}, {spec}",
    )
    out += (
        sec(
            c,
            ["Referring Provider", "Referred By"],
            f"{c.author_given} {c.author_family}, {c.cred}",
        )
        if c.sometimes(0.6)
        else []
    )
    out += sec(
        c,
        ["Reason for Referral", "Referral Reason", "Reason for Request"],
        f"Evaluation and management of {c.code(c.conditions[0])}.",
    )
    out += sec(c, ["Urgency", "Priority"], c.pick(["Routine.", "Urgent, within 2 weeks.", "STAT."]))
    out += sec(
        c,
        ["Pertinent History", "Clinical Summary", "Relevant History"],
        S.history(c, "neutral", (1, 3)),
    )
    out += S.meds(c) if c.sometimes(0.6) else []
    out += sec(
        c,
        ["Requested Services", "Services Requested"],
        c.pick(
            [
                "Consultation and treatment as indicated.",
                "Evaluate and treat.",
                "Consultation only; return to referring provider.",
            ]
        ),
    )
    out += (
        sec(
            c,
            ["Authorization", "Insurance Authorization"],
            f"Authorization #{c.rng.randint(10**6, 10**7)}, {c.rng.randint(1, 6)} visits approved.",
        )
        if c.sometimes(0.5)
        else []
    )
    return out


def other(c: Ctx) -> list[Block]:
    """Consent form, registration face sheet or release authorization."""
    r = c.rng
    out = sec(
        c,
        ["Statement", "Consent", "Authorization"],
        c.pick(
            [
                "I hereby consent to examination and treatment by the physicians and staff of this "
                "facility. I authorize the release of information necessary for billing and "
                "insurance purposes.",
                "I authorize the release of my health information to the "
                "party named below for the purpose of continuity of care. This authorization expires "  # noqa: E501 - phrase bank
                "one year from the date signed.",
            ]
        ),
    )
    out += sec(
        c,
        ["Insurance", "Primary Insurance"],
        f"{c.fake.company()} PPO, member ID {r.randint(10**8, 10**9)}.",
    )
    out += sec(
        c, ["Emergency Contact", "Next of Kin"], f"{c.fake.name()} ({c.fake.phone_number()})."
    )
    out += sec(c, ["Address"], c.fake.address().replace("\n", ", "))
    out.append(Block("paragraph", "Patient or legal representative signature: ____________"))
    return out
