"""Sections that many note types share: history, medications, examination, plan.

Shared on purpose: real H&Ps, consults, ER reports and progress notes all carry a history
of present illness, medications and an examination, so these must not tell the types
apart; titles, type-specific sections and the way a note opens and closes do.
Sentences are assembled from fragments so that no one sentence dominates a type.
"""

from __future__ import annotations

from chartvault.synth import content_bank as B
from chartvault.synth.content_facts import Ctx, items, sec
from chartvault.synth.model import Block


def opening(c: Ctx, setting: str) -> str:
    """First sentence of a history; ``setting`` says where the patient is being seen."""
    a, p, hx = c.age_phrase(), c.person, c.conditions[1][0]
    sym = c.pick(B.SYMPTOMS)
    dur = c.pick(B.DURATIONS)
    by_setting = {
        "ed": [
            f"The patient is a {a} {p} who presents to the emergency department with {sym}.",
            f"This {a} {p} arrives by ambulance complaining of {sym} for {dur}.",
            f"{c.He} is a {a} {p} brought to the ER by family because of {sym}.",
            f"A {a} {p} who walked into the emergency room with {sym} since {dur} ago.",
        ],
        "admit": [
            f"The patient is a {a} {p} with a history of {hx} who is admitted with {sym}.",
            f"This is a {a} {p} who presented with {sym} and is being admitted for "
            "further management.",
            f"{c.He} is a {a} {p} with {hx} who was sent in by {c.his} physician for "
            f"{sym} of {dur} duration and will be admitted.",
        ],
        "followup": [
            f"The patient is a {a} {p} who returns for follow-up of {hx}.",
            f"{c.given} comes in today for a recheck of {c.his} {hx}.",
            f"{c.He} is here for {c.his} routine visit. {c.He} reports {sym} over the past {dur}.",
            f"This {a} {p} is seen back in clinic after {c.his} last visit. "
            f"{c.He} states {c.he} is doing better overall.",
        ],
        "consult": [
            f"I was asked to see this {a} {p} by Dr. {c.referrer} for evaluation of "
            f"{c.conditions[0][0]}.",
            f"The patient is a {a} {p} referred for {c.conditions[0][0]}.",
            f"We are asked to evaluate this {a} {p} with {hx} because of {sym}.",
            f"Thank you for asking me to see this {a} {p} regarding {sym}.",
        ],
        "neutral": [
            f"The patient is a {a} {p} with a history of {hx} who has had {sym} for {dur}.",
            f"{c.given} is a {a} {p} with {sym}.",
            f"This {a} {p} reports {sym} that began {dur} ago.",
        ],
    }
    pool = by_setting[setting]
    if c.sometimes(0.2):  # real notes cross over: an H&P mentions the ER, a consult a follow-up
        pool = by_setting[c.pick(list(by_setting))]
    return c.pick(pool)


def history(c: Ctx, setting: str, n: tuple[int, int] = (3, 7)) -> str:
    """A history of present illness paragraph."""
    r = c.rng
    fragments = [
        f"{c.He} describes the pain as {c.pick(['sharp', 'dull', 'aching', 'pressure-like', 'burning'])} "  # noqa: E501 - phrase bank
        f"and rates it {r.randint(3, 10)}/10.",
        f"{c.He} denies {c.pick(B.SYMPTOMS)} and {c.pick(B.SYMPTOMS)}.",
        f"Symptoms are {c.pick(['worse with exertion', 'worse at night', 'intermittent', 'constant', 'relieved by rest'])}.",  # noqa: E501 - phrase bank
        f"{c.He} has tried {c.pick(['acetaminophen', 'ibuprofen', 'rest and ice', 'an inhaler', 'antacids'])} "  # noqa: E501 - phrase bank
        "without much relief.",
        "There is no history of trauma. No recent travel or sick contacts.",
        f"{c.His} {c.conditions[2][0]} has been stable on {c.his} current regimen.",
        f"{c.He} was seen by {c.his} primary care provider {c.pick(B.DURATIONS)} ago and "
        f"started on {c.rng.choice(B.MEDICATIONS)[0]}.",
        f"Review of outside records shows a prior workup for {c.conditions[3][0]}.",
        f"{c.He} reports associated {c.pick(B.SYMPTOMS)}.",
        f"{c.His} appetite is {c.pick(['good', 'decreased', 'fair'])} and {c.he} has "
        f"{c.pick(['lost', 'gained'])} about {r.randint(2, 15)} pounds.",
        f"{c.He} lives {c.pick(['alone', 'with a spouse', 'with family', 'in an assisted living facility'])}.",  # noqa: E501 - phrase bank
        "The remainder of the history is as noted below.",
        f"{c.He} is accompanied by {c.his} {c.pick(['daughter', 'son', 'wife', 'husband', 'mother', 'father'])}, "  # noqa: E501 - phrase bank
        "who helps provide the history.",
        f"Labs drawn {c.pick(['yesterday', 'last week', 'this morning'])} showed a "
        f"{c.pick(['hemoglobin', 'creatinine', 'glucose', 'white count'])} of "
        f"{r.uniform(1, 15):.1f}.",
    ]
    fragments += shared_sentences(c)
    k = r.randint(n[0], n[1] + 3)
    return " ".join([opening(c, setting), *r.sample(fragments, k)])


def shared_sentences(c: Ctx) -> list[str]:
    """Clinical prose any dictated note may hold, first person included.

    Real notes of every type are written in the first person ("I saw her", "we discussed")
    and retell results and events; if only letters did, long prose would mean "letter".
    """
    r = c.rng
    dr = f"Dr. {c.fake.last_name()}"
    study = c.pick(
        [
            "CT scan",
            "chest x-ray",
            "MRI",
            "ultrasound",
            "echocardiogram",
            "pulmonary function test",
            "stress test",
            "colonoscopy",
        ]
    )
    return [
        f"I saw and examined {c.him} today and reviewed the records from {dr}.",
        f"I discussed the findings with {c.him} and {c.his} family in detail.",
        f"We talked about the options, including {c.pick(['surgery', 'medical management', 'watchful waiting', 'physical therapy'])}.",  # noqa: E501 - phrase bank
        f"{c.He} had a {study} {c.pick(B.DURATIONS)} ago which showed "
        f"{c.pick(['no acute findings', 'mild changes', 'a small effusion', 'a 1 cm nodule', 'normal function'])}.",  # noqa: E501 - phrase bank
        f"{dr} had seen {c.him} previously and felt that {c.he} probably had {c.conditions[3][0]}.",
        f"{c.He} was told {c.he} might need a {c.pick(['biopsy', 'repeat study', 'referral', 'procedure'])}.",  # noqa: E501 - phrase bank
        f"{c.He} is very concerned about {c.his} symptoms and wanted a second opinion.",
        f"The {study} was reviewed and compared with the study from two years ago.",
        f"I told {c.him} that the results had not really changed over this period of time.",
        f"{c.He} has been taking {c.rng.choice(B.MEDICATIONS)[0]} as directed.",
        f"{c.His} {c.pick(['wife', 'husband', 'daughter', 'son', 'mother'])} states that "
        f"{c.he} has been more {c.pick(['tired', 'confused', 'short of breath', 'active'])} lately.",  # noqa: E501 - phrase bank
        f"There were no complications. {c.He} remained afebrile.",
        f"Cultures were sent and {c.pick(['came back negative', 'grew E. coli', 'are pending'])}.",
        f"{c.He} was started on {c.rng.choice(B.MEDICATIONS)[0]} with good response.",
        f"On my examination {c.he} appeared {c.pick(['comfortable', 'ill', 'well', 'anxious'])}.",
        f"{c.His} blood pressure was {r.randint(100, 170)}/{r.randint(60, 100)} and heart rate "
        f"{r.randint(55, 120)}.",
        f"We will obtain {c.pick(['an MRI', 'labs', 'a CT scan', 'an EKG', 'old records'])} "
        "and see the patient back.",
        f"{c.He} was previously seen at {c.fake.last_name()} Hospital for similar complaints.",
        f"{c.He} quit smoking {r.randint(1, 20)} years ago.",
        f"{c.He} works as a {c.fake.job().lower()}.",
    ]


def pmh(c: Ctx) -> list[Block]:
    """Past medical history."""
    conds = [x[0] for x in c.conditions[1 : c.rng.randint(2, 5)]]
    if c.sometimes(0.4):
        return items(
            c,
            ["Past Medical History", "PMH", "Medical History"],
            [x.capitalize() + "." for x in conds],
        )
    return sec(
        c,
        ["Past Medical History", "PMH", "Medical History", "Past History"],
        ", ".join(conds).capitalize() + ".",
    )


def psh(c: Ctx) -> list[Block]:
    """Past surgical history."""
    procs = [p[0] for p in c.rng.sample(B.PROCEDURES, c.rng.randint(0, 2))]
    text = ", ".join(procs).capitalize() + "." if procs else c.pick(["None.", "Noncontributory."])
    return sec(c, ["Past Surgical History", "PSH", "Surgical History"], text)


def meds(c: Ctx, heading: list[str] | None = None) -> list[Block]:
    """Medication list (list or one paragraph)."""
    heading = heading or [
        "Medications",
        "Current Medications",
        "Home Medications",
        "Outpatient Medications",
    ]
    lines = [f"{n.capitalize()} {dose} {sig.rstrip('.')}." for n, dose, sig in c.meds]
    if c.sometimes(0.35):
        return sec(c, heading, " ".join(lines))
    return items(c, heading, lines)


def allergies(c: Ctx) -> list[Block]:
    """Allergy line."""
    a = c.pick(B.ALLERGIES)
    text = a.upper() if a.isupper() else a.capitalize()
    if c.sometimes(0.3) and "no known" not in a.lower() and a != "NKDA":
        text += f" ({c.pick(B.REACTIONS)})"
    return sec(c, ["Allergies", "Drug Allergies", "Allergies/Adverse Reactions"], text + ".")


def social(c: Ctx) -> list[Block]:
    """Social history."""
    return sec(
        c,
        ["Social History", "Social Hx"],
        c.pick(
            [
                "Denies tobacco, alcohol or illicit drug use.",
                "Former smoker, quit ten years ago.",
                f"Drinks alcohol socially. Lives with {c.his} spouse.",
                "Smokes one pack per day.",
                f"{c.He} is retired and lives independently.",
                "Works as a teacher. No tobacco use.",
                f"Lives with {c.his} parents. Attends school."
                if c.age < 18
                else "Married with two children.",
            ]
        ),
    )


def family(c: Ctx) -> list[Block]:
    """Family history."""
    return sec(
        c,
        ["Family History", "Family Hx"],
        c.pick(
            [
                "Father with coronary artery disease; mother with diabetes.",
                "Noncontributory.",
                "Mother with breast cancer. No family history of colon cancer.",
                "Positive for hypertension and stroke.",
                "Unremarkable.",
            ]
        ),
    )


def ros(c: Ctx) -> list[Block]:
    """Review of systems."""
    return sec(
        c,
        ["Review of Systems", "ROS"],
        c.pick(
            [
                "Ten-point review of systems is negative except as noted in the HPI.",
                f"Constitutional: No fevers or chills. Cardiovascular: {c.pick(['No chest pain.', 'Positive for palpitations.'])} "  # noqa: E501 - phrase bank
                "Respiratory: No cough. GI: No nausea or vomiting. GU: No dysuria. "
                "Neurologic: No focal weakness.",
                "All other systems reviewed and negative.",
                f"Positive for {c.pick(B.SYMPTOMS)}. Otherwise negative in detail.",
            ]
        ),
    )


def vitals_text(c: Ctx) -> str:
    """One line of vital signs."""
    r = c.rng
    return c.pick(
        [
            f"Temperature {r.uniform(97.0, 101.5):.1f} F, pulse {r.randint(58, 118)}, "
            f"respirations {r.randint(12, 24)}, blood pressure {r.randint(100, 168)}/"
            f"{r.randint(58, 98)}, oxygen saturation {r.randint(89, 100)}% on room air.",
            f"BP {r.randint(100, 168)}/{r.randint(58, 98)}, HR {r.randint(58, 118)}, "
            f"RR {r.randint(12, 24)}, T {r.uniform(36.1, 38.6):.1f} C, SpO2 {r.randint(90, 100)}%.",
            f"Weight {r.randint(100, 260)} lbs. Blood pressure {r.randint(100, 168)}/"
            f"{r.randint(58, 98)}. Pulse {r.randint(58, 118)}. Afebrile.",
        ]
    )


def vitals(c: Ctx) -> list[Block]:
    """Vital signs section."""
    return sec(c, ["Vital Signs", "Vitals"], vitals_text(c))


def exam(c: Ctx) -> list[Block]:
    """Physical examination, one paragraph or one line per system."""
    parts = [
        f"General: {c.pick(['Alert and oriented, in no acute distress.', 'Well-developed, well-nourished.', 'Uncomfortable appearing.'])}",  # noqa: E501 - phrase bank
        f"HEENT: {c.pick(['Normocephalic, atraumatic. Pupils equal and reactive.', 'Oropharynx clear. Mucous membranes moist.'])}",  # noqa: E501 - phrase bank
        "Neck: Supple, no lymphadenopathy or JVD.",
        f"Lungs: {c.pick(['Clear to auscultation bilaterally.', 'Scattered rhonchi at the right base.', 'Diminished breath sounds at the bases.'])}",  # noqa: E501 - phrase bank
        f"Heart: {c.pick(['Regular rate and rhythm, no murmurs.', 'Irregularly irregular.', 'S1, S2 normal; 2/6 systolic murmur.'])}",  # noqa: E501 - phrase bank
        f"Abdomen: Soft, {c.pick(['nontender, nondistended.', 'mildly tender in the right upper quadrant.', 'tender in the left lower quadrant without rebound.'])}",  # noqa: E501 - phrase bank
        f"Extremities: {c.pick(['No edema.', 'Trace pedal edema.', 'No clubbing, cyanosis or edema.'])}",  # noqa: E501 - phrase bank
        f"Neurologic: {c.pick(['Cranial nerves II-XII intact.', 'Nonfocal.', 'Strength 5/5 throughout.'])}",  # noqa: E501 - phrase bank
        f"Skin: {c.pick(['Warm and dry.', 'No rashes.', 'Erythema over the anterior shin.'])}",
    ]
    parts = parts[: c.rng.randint(4, len(parts))]
    heading = ["Physical Examination", "Physical Exam", "Exam", "Examination"]
    if c.sometimes(0.5):
        return [
            Block("heading", c.cap(c.pick(heading)) + (":" if c.colon else ""), bold=True),
            *[Block("paragraph", p) for p in parts],
        ]
    return sec(c, heading, " ".join(parts))


def labs_paragraph(c: Ctx) -> list[Block]:
    """Laboratory data as prose."""
    r = c.rng
    chosen = r.sample(B.LABS, r.randint(3, 7))
    text = ", ".join(f"{n} {r.uniform(lo, hi):.1f}" for n, _, (lo, hi), _ in chosen) + "."
    return sec(
        c,
        ["Laboratory Data", "Labs", "Laboratory Studies", "Diagnostic Data"],
        text.capitalize() if c.sometimes(0.5) else text,
    )


def problem_plan(c: Ctx, heading: list[str], start: int = 0) -> list[Block]:
    """Numbered problems, each with a plan; codes printed sometimes."""
    r = c.rng
    lines = []
    for cond in c.conditions[start : start + r.randint(1, 4)]:
        med = r.choice(c.meds)
        lines.append(
            f"{c.code(cond).capitalize()}: "
            + c.pick(
                [
                    f"continue {med[0]} {med[1]}.",
                    "stable, no changes today.",
                    f"start {med[0]} {med[1]}; recheck in {r.choice([2, 4, 6])} weeks.",
                    "check labs and follow up.",
                    f"increase {med[0]} to twice daily.",
                    "will monitor.",
                    f"refer to {c.pick(B.SPECIALTIES)}.",
                ]
            )
        )
    return items(c, heading, lines)


def narrative(c: Ctx, n: tuple[int, int] = (1, 4)) -> list[Block]:
    """Extra prose long notes carry (discussion, data reviewed, education)."""
    r = c.rng
    sentences = [
        f"Laboratory studies were reviewed, including a hemoglobin of {r.uniform(9, 15):.1f} "
        f"and a creatinine of {r.uniform(0.6, 2.2):.1f}.",
        f"{c.He} was counseled on the risks and benefits of the treatment plan and "
        "verbalized understanding.",
        f"We discussed {c.his} {c.conditions[1][0]} at length, including diet, exercise and "
        "medication adherence.",
        f"Prior records from {c.fake.last_name()} Clinic were obtained and reviewed.",
        "The family was updated and all questions were answered.",
        f"{c.He} will return sooner if symptoms worsen or new symptoms develop.",
        "Home health and physical therapy evaluations were requested.",
        f"Medication reconciliation was completed; {r.choice(c.meds)[0]} was continued.",
        "Smoking cessation and alcohol moderation were encouraged.",
        f"Total time spent was {r.choice([25, 30, 40, 45, 60])} minutes, more than half in "
        "counseling and coordination of care.",
        "The plan was discussed with the nursing staff.",
        f"{c.He} understands and agrees with the plan.",
        *shared_sentences(c),
    ]
    heads = [
        "Discussion",
        "Data Reviewed",
        "Patient Education",
        "Counseling",
        "Additional Comments",
        "Notes",
    ]
    out: list[Block] = []
    for h in r.sample(heads, r.randint(*n)):
        out += sec(c, h, " ".join(r.sample(sentences, r.randint(2, 6))))
    return out
