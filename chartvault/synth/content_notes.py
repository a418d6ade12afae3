"""Bodies of dictated clinical notes, letters included.

H&P, progress, consult, ER, discharge, transfer, operative and procedure notes.

Each writer picks its sections from a type-specific pool plus the shared ones, in an
order that varies within what a clinician would dictate; the sections and phrases a
clerk would recognise a type by (hospital course, pre- and postoperative diagnosis,
reason for consultation, ER course, "Dear Dr.") appear with high but not certain
probability, as in real charts.
"""

from __future__ import annotations

from datetime import timedelta

from chartvault.synth import content_bank as B
from chartvault.synth import content_prose as S
from chartvault.synth.content_facts import Ctx, sec
from chartvault.synth.model import Block


def _cc(c: Ctx) -> list[Block]:
    return sec(
        c,
        ["Chief Complaint", "CC", "Reason for Visit", "Presenting Complaint"],
        c.pick(B.SYMPTOMS).capitalize() + ".",
    )


def _hpi(c: Ctx, setting: str) -> list[Block]:
    return sec(
        c,
        ["History of Present Illness", "HPI", "History", "Present Illness"],
        S.history(c, setting),
    )


def _histories(c: Ctx) -> list[Block]:
    parts = [S.pmh(c), S.psh(c), S.meds(c), S.allergies(c), S.social(c), S.family(c)]
    keep = [p for p in parts if c.sometimes(0.8)]
    if c.sometimes(0.3):
        c.rng.shuffle(keep)
    return [b for p in keep for b in p]


def history_and_physical(c: Ctx) -> list[Block]:
    """Admission or pre-procedure H&P."""
    out = _cc(c) + _hpi(c, "admit") + _histories(c)
    out += S.ros(c) if c.sometimes(0.8) else []
    out += S.vitals(c) + S.exam(c)
    out += S.labs_paragraph(c) if c.sometimes(0.5) else []
    out += S.problem_plan(
        c, ["Assessment and Plan", "Impression and Plan", "Assessment", "Impression"]
    )
    out += (
        sec(
            c,
            ["Plan", "Disposition"],
            c.pick(
                [
                    f"Admit to the {c.pick(['medical floor', 'telemetry unit', 'ICU', 'hospitalist service'])}.",  # noqa: E501 - phrase bank
                    "Admit for observation, serial examinations and laboratory monitoring.",
                    "Proceed with surgery as scheduled. Consent obtained.",
                    "DVT prophylaxis, IV fluids, and further workup as above.",
                ]
            ),
        )
        if c.sometimes(0.7)
        else []
    )
    if c.sometimes(0.3):
        c.cpt.append(c.pick(["99222", "99223", "99221"]))
        out.append(Block("paragraph", f"Billing: CPT {c.cpt[-1]}."))
    return out


def progress_note(c: Ctx) -> list[Block]:
    """SOAP, office or clinic note."""
    r = c.rng
    out: list[Block] = []
    if r.random() < 0.45:
        out += sec(c, ["Subjective", "S"], S.history(c, "followup", (1, 4)))
        obj = S.vitals_text(c) + (
            " " + c.pick(["Lungs clear.", "Heart regular.", "Abdomen benign.", "No edema."])
        )
        out += sec(c, ["Objective", "O"], obj)
        out += sec(
            c,
            ["Assessment", "A"],
            c.code(c.conditions[0]).capitalize()
            + ", "
            + c.pick(["improving.", "stable.", "not at goal.", "worsening."]),
        )
        out += sec(
            c,
            ["Plan", "P"],
            f"Continue {c.meds[0][0]}. Return in "
            f"{c.pick(['3 months', '6 weeks', '2 weeks', '1 year'])}."
            + c.pick(["", " Labs before next visit.", " Call with any concerns."]),
        )
    else:
        out += sec(
            c,
            [
                "Interval History",
                "Subjective",
                "Chief Complaint",
                "Reason for Visit",
                "History of Present Illness",
            ],
            S.history(c, "followup"),
        )
        out += S.meds(c) if r.random() < 0.7 else []
        out += S.allergies(c) if r.random() < 0.4 else []
        out += S.ros(c) if r.random() < 0.3 else []
        out += S.vitals(c) + S.exam(c)
        out += S.labs_paragraph(c) if r.random() < 0.3 else []
        out += S.problem_plan(
            c,
            [
                "Assessment and Plan",
                "Assessment/Plan",
                "Impression/Plan",
                "Assessment",
                "Impression",
            ],
        )
        out += (
            sec(
                c,
                ["Follow-up", "Return Visit", "Plan"],
                f"Return to clinic in {c.pick(['two weeks', 'three months', 'six months'])}.",
            )
            if r.random() < 0.6
            else []
        )
    if r.random() < 0.4:
        c.cpt.append(c.pick(B.VISIT_CPT[:4]))
        out.append(Block("paragraph", f"Visit level: CPT {c.cpt[-1]}."))
    return out


def consultation_note(c: Ctx) -> list[Block]:
    """Inpatient or outpatient consultation."""
    out = sec(
        c,
        [
            "Reason for Consultation",
            "Reason for Consult",
            "Consultation Requested For",
            "Requesting Physician",
        ],
        f"Evaluation of {c.conditions[0][0]}"
        + c.pick([f", requested by Dr. {c.referrer}.", ".", f". Referred by Dr. {c.referrer}."]),
    )
    if c.sometimes(0.15):
        out = []
    out += _hpi(c, "consult") + _histories(c)
    out += S.ros(c) if c.sometimes(0.5) else []
    out += S.vitals(c) if c.sometimes(0.6) else []
    out += S.exam(c)
    out += S.labs_paragraph(c) if c.sometimes(0.4) else []
    out += sec(
        c,
        ["Impression", "Assessment", "Clinical Impression"],
        f"{c.code(c.conditions[0]).capitalize()}.",
    )
    spec = c.pick(B.SPECIALTIES)
    out += sec(
        c,
        ["Recommendations", "Plan", "Recommendation"],
        f"From a {spec} standpoint, recommend {c.rng.choice(c.meds)[0]} and further "
        "evaluation as outlined. We will follow along with you.",
    )
    if c.sometimes(0.6):
        out.append(
            Block(
                "paragraph",
                c.pick(
                    [
                        "Thank you for this consultation and for allowing us to participate in the care "  # noqa: E501 - phrase bank
                        "of this patient.",
                        "Thank you for the referral. We will continue to follow.",
                        f"Thank you, Dr. {c.referrer.split()[-1]}, for asking me to see this patient.",  # noqa: E501 - phrase bank
                    ]
                ),
            )
        )
    return out


def emergency_department_note(c: Ctx) -> list[Block]:
    """ER physician report."""
    out = _cc(c) + _hpi(c, "ed") + _histories(c)
    out += S.ros(c) if c.sometimes(0.6) else []
    out += S.vitals(c) + S.exam(c)
    out += S.labs_paragraph(c) if c.sometimes(0.5) else []
    course = (
        f"The patient received {c.rng.choice(c.meds)[0]} in the emergency department "
        f"with {c.pick(['improvement', 'partial relief', 'resolution of symptoms'])}. "
        f"Differential diagnosis included {c.conditions[0][0]} and "
        f"{c.conditions[1][0]}."
    )
    out += sec(
        c,
        [
            "Emergency Department Course",
            "ED Course",
            "ER Course",
            "Medical Decision Making",
            "Hospital Course",
        ],
        course,
    )
    out += sec(
        c,
        ["Diagnosis", "Clinical Impression", "Final Impression", "Assessment", "Diagnoses"],
        c.code(c.conditions[0]).capitalize() + ".",
    )
    out += sec(
        c,
        ["Disposition", "Plan"],
        c.pick(
            [
                "Discharged home in stable condition with instructions to follow up with the primary "  # noqa: E501 - phrase bank
                "care physician in two days.",
                "Admitted to the hospitalist service.",
                "Transferred to a tertiary care center.",
                "Discharged home; return to the ER for worsening symptoms.",
            ]
        ),
    )
    if c.sometimes(0.3):
        c.cpt.append(c.pick(B.VISIT_CPT[4:7]))
        out.append(Block("paragraph", f"Level of service: CPT {c.cpt[-1]}."))
    return out


def discharge_summary(c: Ctx) -> list[Block]:
    """Hospital discharge summary."""
    r = c.rng
    out = sec(
        c,
        [
            "Admission Diagnosis",
            "Admitting Diagnosis",
            "Reason for Admission",
            "Diagnosis on Admission",
        ],
        c.code(c.conditions[0]).capitalize() + ".",
    )
    out += sec(
        c,
        ["Discharge Diagnoses", "Discharge Diagnosis", "Final Diagnoses", "Principal Diagnosis"],
        "; ".join(c.code(x) for x in c.conditions[: r.randint(1, 4)]).capitalize() + ".",
    )
    if r.random() < 0.4:
        out += sec(
            c,
            ["Procedures Performed", "Procedures", "Consultations"],
            c.pick([p[0] for p in B.PROCEDURES]).capitalize() + ".",
        )
    out += _hpi(c, "admit") if r.random() < 0.6 else []
    course = [
        f"{c.He} was admitted to the {c.pick(['medical floor', 'surgical service', 'ICU', 'telemetry unit'])} "  # noqa: E501 - phrase bank
        f"and treated with {r.choice(c.meds)[0]}. {c.His} symptoms improved over "
        f"the following {r.randint(2, 6)} days.",
        f"On hospital day {r.randint(2, 5)} {c.he} was tolerating a regular diet and "
        "ambulating independently.",
        f"{c.He} was seen by {c.pick(B.SPECIALTIES)} during the stay.",
    ]
    out += sec(
        c,
        [
            "Hospital Course",
            "Brief Hospital Course",
            "Summary of Hospital Stay",
            "Course in Hospital",
        ],
        " ".join(r.sample(course, r.randint(1, 3))),
    )
    out += (
        S.meds(c, ["Discharge Medications", "Medications at Discharge", "Discharge Meds"])
        if r.random() < 0.8
        else []
    )
    out += sec(
        c,
        ["Condition at Discharge", "Discharge Condition", "Condition"],
        c.pick(["Stable.", "Good.", "Improved, hemodynamically stable.", "Fair."]),
    )
    out += sec(
        c,
        ["Discharge Instructions", "Disposition", "Follow-up", "Discharge Plan"],
        f"Discharged {c.pick(['home', 'to a skilled nursing facility', 'home with home health'])}. "
        f"Follow up with {c.his} primary care physician in one week.",
    )
    if r.random() < 0.3:
        c.cpt.append(c.pick(["99238", "99239"]))
        out.append(Block("paragraph", f"Discharge day management: CPT {c.cpt[-1]}."))
    return out


def transfer_summary(c: Ctx) -> list[Block]:
    """Interfacility or inter-unit transfer summary."""
    out = sec(
        c,
        ["Reason for Transfer", "Transfer Reason"],
        f"Higher level of care for {c.conditions[0][0]}.",
    )
    out += sec(
        c,
        ["Receiving Facility", "Transferred To", "Accepting Facility"],
        f"{c.fake.last_name()} {c.pick(B.FACILITY_KINDS)}, accepting physician "
        f"Dr. {c.fake.last_name()}.",
    )
    out += sec(
        c,
        ["Condition at Transfer", "Condition"],
        c.pick(["Hemodynamically stable for transport.", "Guarded, on supplemental oxygen."]),
    )
    out += sec(c, ["Hospital Course", "Clinical Course"], S.history(c, "admit", (1, 3)))
    out += S.meds(c, ["Medications at Transfer", "Current Medications", "Active Medications"])
    out += S.allergies(c) + (S.vitals(c) if c.sometimes(0.6) else [])
    out += sec(
        c,
        ["Mode of Transport", "Transport"],
        c.pick(["Advanced life support ambulance.", "Air ambulance.", "Basic life support."]),
    )
    out += sec(c, ["Code Status"], c.pick(["Full code.", "DNR/DNI."])) if c.sometimes(0.5) else []
    return out


def operative_note(c: Ctx) -> list[Block]:
    """Operative report with pre- and postoperative diagnoses."""
    r = c.rng
    surg = c.pick([p[0] for p in B.PROCEDURES if p[2] == "surgery"])
    code = next(p[1] for p in B.PROCEDURES if p[0] == surg)
    show_code = r.random() < 0.5
    if show_code:
        c.cpt.append(code)
    dx = c.code(c.conditions[0], 0.6)
    out = sec(
        c,
        ["Preoperative Diagnosis", "Pre-op Diagnosis", "Preoperative Diagnoses"],
        dx.capitalize() + ".",
    )
    out += sec(
        c,
        ["Postoperative Diagnosis", "Post-op Diagnosis", "Postoperative Diagnoses"],
        c.pick(["Same.", dx.capitalize() + ".", "Same as above."]),
    )
    out += sec(
        c,
        ["Procedure Performed", "Procedure", "Operation", "Title of Operation", "Procedures"],
        surg.capitalize() + (f" (CPT {code})." if show_code else "."),
    )
    parts = [
        sec(c, ["Surgeon", "Attending Surgeon"], f"{c.author_given} {c.author_family}, {c.cred}"),
        sec(c, ["Assistant", "First Assistant"], f"{c.fake.first_name()} {c.fake.last_name()}, PA"),
        sec(
            c,
            ["Anesthesia", "Type of Anesthesia"],
            c.pick(["General endotracheal.", "Spinal.", "Monitored anesthesia care.", "General."]),
        ),
        sec(
            c,
            ["Estimated Blood Loss", "EBL", "Blood Loss"],
            f"{r.choice([5, 10, 25, 50, 100, 200, 400])} mL.",
        ),
        sec(c, ["Fluids", "IV Fluids"], f"{r.choice([500, 800, 1200, 1500])} mL crystalloid."),
        sec(c, ["Drains"], c.pick(["None.", "Jackson-Pratt drain."])),
        sec(
            c,
            ["Specimens", "Specimen"],
            c.pick(
                ["Sent to pathology.", "None.", f"{surg.split()[-1].capitalize()} to pathology."]
            ),
        ),
        sec(c, ["Complications"], c.pick(["None.", "None apparent."])),
        sec(
            c,
            ["Findings", "Operative Findings"],
            c.pick(
                [
                    "Inflamed gallbladder with multiple stones.",
                    "As expected; no unexpected findings.",
                    "Moderate adhesions were encountered and lysed.",
                ]
            ),
        ),
        sec(
            c,
            ["Indications", "Indications for Procedure", "Indication for Surgery"],
            f"The patient is a {c.age_phrase()} {c.person} with {c.conditions[0][0]}. Risks, "
            "benefits and alternatives were discussed and informed consent was obtained.",
        ),
    ]
    out += [b for p in parts if r.random() < 0.75 for b in p]
    steps = [
        f"The patient was brought to the operating room and placed in the "
        f"{c.pick(['supine', 'prone', 'lateral decubitus', 'lithotomy'])} position.",
        "After induction of general anesthesia the operative site was prepped and draped in "
        "the usual sterile fashion.",
        "A time-out was performed confirming the correct site.",
        f"A {r.randint(1, 12)}-cm incision was made and carried down through the subcutaneous "
        "tissue with electrocautery.",
        "The dissection proceeded without difficulty.",
        "Hemostasis was obtained. The wound was irrigated with saline.",
        "The fascia was closed with 0 Vicryl and the skin with staples.",
        "Sponge, needle and instrument counts were correct at the end of the case.",
        "The patient tolerated the procedure well and was taken to the recovery room in "
        "stable condition.",
    ]
    out += sec(
        c,
        [
            "Description of Procedure",
            "Procedure in Detail",
            "Operative Technique",
            "Details of Procedure",
            "Description of Operation",
        ],
        " ".join(steps),
    )
    return out


def procedure_note(c: Ctx) -> list[Block]:
    """Bedside, endoscopic or cardiac procedure note."""
    pr = c.pick([p[0] for p in B.PROCEDURES if p[2] != "surgery"])
    code = next(p[1] for p in B.PROCEDURES if p[0] == pr)
    shown = f" (CPT {code})" if c.sometimes(0.4) else ""
    if shown:
        c.cpt.append(code)
    out = sec(
        c, ["Procedure", "Procedure Performed", "Procedure Name"], pr.capitalize() + shown + "."
    )
    out += sec(c, ["Indication", "Indications"], c.code(c.conditions[0]).capitalize() + ".")
    out += sec(
        c,
        ["Consent", "Informed Consent"],
        "Informed consent was obtained after "
        "discussion of risks including bleeding, infection and perforation.",
    )
    out += sec(
        c,
        ["Sedation", "Anesthesia", "Medications"],
        c.pick(
            [
                "Moderate sedation with midazolam and fentanyl.",
                "Local anesthesia with 1% lidocaine.",
                "Propofol administered by anesthesia.",
            ]
        ),
    )
    out += sec(
        c,
        ["Description", "Technique", "Description of Procedure"],
        f"The {pr} was performed under sterile technique after a time-out. "
        + c.pick(
            [
                "The procedure was completed without complication.",
                "Ultrasound guidance was used. Clear fluid was obtained and sent for studies.",
                "The scope was advanced without difficulty and the mucosa was inspected.",
            ]
        ),
    )
    out += sec(
        c,
        ["Findings", "Results"],
        c.pick(
            [
                "Normal study.",
                "Small sessile polyp removed with cold snare.",
                "Mild gastritis.",
                "1.5 liters of straw-colored fluid removed.",
                "Opening pressure 18 cm H2O.",
            ]
        ),
    )
    out += sec(c, ["Complications"], "None.")
    out += sec(c, ["Estimated Blood Loss", "EBL"], "Minimal.") if c.sometimes(0.4) else []
    out += sec(
        c,
        ["Post-Procedure Plan", "Plan", "Recommendations"],
        c.pick(
            [
                "Follow up pathology. Repeat in 5 years.",
                "Chest x-ray to exclude pneumothorax.",
                "Resume diet as tolerated.",
            ]
        ),
    )
    return out


def correspondence(c: Ctx) -> list[Block]:
    """A letter to a referring physician, an employer or a school."""
    r = c.rng
    ref = f"Dr. {c.referrer.split()[-1]}"
    salutation = c.pick(
        [
            f"Dear {ref}:",
            f"Dear {ref},",
            "To Whom It May Concern:",
            f"Dear Dr. {c.referrer}:",
            "Dear Colleague:",
        ]
    )
    out = [Block("paragraph", salutation)]
    opening = c.pick(
        [
            f"Thank you for referring {c.given} {c.family} to our office. I had the pleasure of "
            f"seeing {c.him} on {c.d(c.service)} for {c.conditions[0][0]}.",
            f"I saw your patient in follow-up today regarding {c.conditions[0][0]}. As you know, "
            f"this {c.age_phrase()} {c.person} has a history of {c.conditions[1][0]}.",
            f"I am writing on behalf of my patient, {c.given} {c.family}, whom I saw on "
            f"{c.d(c.service)}.",
            f"This letter is to update you on {c.given} {c.family}, seen in my office on "
            f"{c.d(c.service)}.",
        ]
    )
    out.append(Block("paragraph", opening))
    out.append(Block("paragraph", S.history(c, "neutral", (1, 4))))
    if r.random() < 0.4:
        out.append(Block("paragraph", f"On examination, {S.vitals_text(c).lower()}"))
    out.append(
        Block(
            "paragraph",
            f"My impression is {c.code(c.conditions[0])}. I have "
            f"recommended {r.choice(c.meds)[0]} and will see {c.him} again in "
            f"{c.pick(['three months', 'six weeks', 'one month'])}.",
        )
    )
    out.append(
        Block(
            "paragraph",
            c.pick(
                [
                    "Thank you for allowing me to participate in the care of this patient. Please do not "  # noqa: E501 - phrase bank
                    "hesitate to contact me with any questions.",
                    f"I will keep you informed of {c.his} progress.",
                    "Please feel free to call me if you have any questions.",
                    f"{c.He} may return to work on {c.d(c.service + timedelta(days=7))}.",
                ]
            ),
        )
    )
    return out
