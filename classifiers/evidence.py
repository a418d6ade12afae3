"""Rule evidence for the document type: titles, genre conventions and section headings.

The statistical model learns from generated documents, and real charts word things in
ways no generator foresees. What carries over between facilities is what a records clerk
reads first: the title, and the conventions of each genre (a letter greets someone, a
pathology report describes specimens, an ED note has an ED course, a consultation states
its reason). These are textbook features of clinical document types (they are the
section names of HL7 C-CDA templates and of clinical sectionizers such as medspaCy's),
not the layout of any one facility. Each cue adds a bounded amount of probability, so
the model still decides when the text says little.
"""

from __future__ import annotations

import re

# Title phrases (lower case), seen on a line of their own near the top, or closing or
# opening a letterhead line.
TITLE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "discharge_summary": ("discharge summary", "discharge summarization", "discharge note",
                          "hospital discharge summary", "hospitalization summary",
                          "discharge report"),
    "history_and_physical": ("history and physical", "history & physical", "h&p",
                             "history and physical examination", "admission history"),
    "operative_note": ("operative report", "operative note", "operation report",
                       "surgical report", "op note"),
    "procedure_note": ("procedure note", "procedure report", "endoscopy report",
                       "colonoscopy report", "cath report"),
    "consultation_note": ("consultation", "consult note", "consultation note",
                          "consultation report", "consult"),
    "imaging_report": ("radiology report", "imaging report", "diagnostic imaging",
                       "diagnostic imaging report", "radiology", "ct report", "mri report",
                       "ultrasound report"),
    "pathology_report": ("pathology report", "surgical pathology", "cytology report",
                         "surgical pathology report"),
    "emergency_department_note": ("emergency department", "emergency room", "er report",
                                  "ed note", "ed provider note", "emergency department report",
                                  "emergency room report", "ed physician note",
                                  "emergency physician note", "emergency department note"),
    "progress_note": ("progress note", "progress notes", "soap note", "office visit",
                      "clinic note", "office note", "follow up note", "clinic visit"),
    "summary_of_care": ("continuity of care", "continuity of care document", "summary of care",
                        "clinical summary", "health summary", "transition of care",
                        "patient summary", "chart summary", "export summary",
                        "summarization of episode", "summarization of episode note",
                        "care summary", "ccd", "c cda", "referral summary", "full chart",
                        "ambulatory summary", "visit summary", "medical summary",
                        "record summary", "transition of care referral summary"),
    "referral_note": ("referral request", "referral note", "referral form",
                      "patient referral form", "specialist referral"),
    "transfer_summary": ("transfer summary", "transfer note", "transfer form"),
    "care_plan": ("plan of care", "care plan", "nursing care plan"),
    "lab_report": ("laboratory report", "lab results", "laboratory results", "lab report"),
}
TITLE_BOOST = 1.0  # a title is decisive unless the text strongly disagrees

# Sections a continuity-of-care document carries (C-CDA templates); a clinical note names a
# few of them, a summary of care names most.
CCD_SECTIONS = ("allergies", "medications", "problems", "problem list", "immunizations",
                "encounters", "vital signs", "results", "social history", "plan of care",
                "procedures", "functional status", "advance directives", "payers",
                "insurance providers", "family history", "medical equipment", "care team",
                "goals", "health concerns", "reason for referral", "instructions")
CCD_MIN_SECTIONS = 6
_CCD_LINE_MAX = 80  # longer lines are prose

_H = r"^[ \t]*"  # a heading starts its line (OCR may indent it)
_M = re.I | re.M
# Genre cues: (type, pattern), in lower case: they run on the lower-cased text (without
# re.I, a third of the time). Each distinct cue found adds CUE_WEIGHT, up to MAX_CUES.
SECTION_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern, re.M)) for key, pattern in (
        ("consultation_note", r"\breason for (?:the )?consult(?:ation)?\b"),
        ("consultation_note", r"\b(?:thank you|thanks) for (?:the |this |your )?(?:kind )?"
                              r"(?:referral|consultation|consult|allowing me|asking me)"),
        ("consultation_note", r"\b(?:asked|requested)\b[^.\n]{0,40}\bto (?:see|evaluate)\b"),
        ("consultation_note", r"\b(?:referring|requesting) (?:physician|provider|doctor)\b"),
        ("consultation_note", r"\b(?:this|a|an) (?:[a-z]+ )?consultation (?:for|regarding|"
                              r"to evaluate)\b|\bseen in consultation\b"),
        ("consultation_note", r"\b(?:i|we) (?:was|were|have been) (?:asked|consulted)\b"),
        ("emergency_department_note", r"\b(?:ed|er|emergency department|emergency room) "
                                      r"course\b"),
        ("emergency_department_note", r"\b(?:presents?|presented|presenting|brought|came|"
                                      r"comes|arrived?|arrives) (?:in |back )?to the "
                                      r"(?:emergency|er\b|ed\b)"),
        ("emergency_department_note", _H + r"(?:ed |final )?disposition\s*:"),
        ("emergency_department_note", r"\btriage\b"),
        ("emergency_department_note", _H + r"(?:medical decision making|mdm)\b"),
        ("emergency_department_note", r"\bdischarged? (?:home )?from the "
                                      r"(?:emergency|er\b|ed\b)"),
        ("progress_note", _H + r"subjective\s*:"),
        ("progress_note", _H + r"(?:chart|clinic|office|progress|follow-?up) note\s*:"),
        ("progress_note", r"\b(?:returns?|is here|seen today|presents today|comes in) "
                          r"(?:today )?(?:in |for )(?:a )?(?:follow-?up|followup|recheck)\b"),
        ("progress_note", _H + r"interval history\b"),
        ("pathology_report", _H + r"gross (?:description|examination)\b"),
        ("pathology_report", _H + r"microscopic (?:description|examination)\b"),
        ("pathology_report", _H + r"specimens?(?: submitted| received)?\s*:"),
        ("pathology_report", r"\bfrozen section\b"),
        ("pathology_report", _H + r"final (?:pathologic(?:al)? )?diagnos[ie]s\b"),
        ("imaging_report", _H + r"technique\s*:"),
        ("imaging_report", _H + r"comparisons?\s*:"),
        ("imaging_report", _H + r"(?:exam|examination|study)\s*:"),
        ("operative_note", _H + r"(?:estimated )?blood loss\s*:"),
        ("operative_note", _H + r"(?:procedures?|operations?) performed\s*:"),
        ("operative_note", r"pre-?\s?op(?:erative)?\s+diagnos[ie]s"),
        ("discharge_summary", _H + r"hospital course\b"),
        ("discharge_summary", _H + r"discharge (?:diagnos[ie]s|medications|instructions|"
                              r"condition|disposition)\b"),
        ("discharge_summary", _H + r"condition (?:on|at) discharge\b"),
        ("discharge_summary", _H + r"(?:date of )?discharge(?: date)?\s*:"),
        ("discharge_summary", _H + r"admi(?:ssion|tting) diagnos[ie]s\b"),
        ("correspondence", r"\b(?:this|the following) letter\b|\bwriting (?:to|this)\b"),
        ("correspondence", _H + r"(?:sincerely|yours (?:truly|sincerely)|best regards|"
                           r"kind regards|respectfully)\b"),
        ("lab_report", r"\breference (?:range|interval)s?\b"),
    ))
# One literal each match of the cue at the same place in SECTION_CUES contains: a cue
# whose literals are all absent is not searched for (most are, in any one document).
CUE_LITERALS: tuple[tuple[str, ...], ...] = (
    ('reason for',), ('thank',), ('asked', 'requested'), ('referring', 'requesting'),
    ('consultation',), ('asked', 'consulted'), ('course',), ('to the e',), ('disposition',),
    ('triage',), ('medical decision', 'mdm'), ('from the e',), ('subjective',), ('note',),
    ('follow', 'recheck'), ('interval history',), ('gross',), ('microscopic',), ('specimen',),
    ('frozen section',), ('final',), ('technique',), ('comparison',), ('exam', 'study'),
    ('blood loss',), ('performed',), ('diagnos',), ('hospital course',), ('discharge',),
    ('discharge',), ('discharge',), ('admi',), ('letter', 'writing'),
    ('sincerely', 'yours', 'regards', 'respectfully'), ('reference',),
)
CUE_WEIGHT = 0.5  # content cues must outweigh a model trained on generated text
MAX_CUES = 3

# A letter greets its reader or signs off; without either it is not correspondence.
_SALUTATION = re.compile(r"^\s*(dear\b|to whom it may concern)", _M)
_CLOSING = re.compile(_H + r"(sincerely|yours (truly|sincerely)|best regards|kind regards)",
                      _M)
_PREOP = re.compile(r"pre-?\s?op(erative)?\s+diagnos[ie]s", re.I)
_POSTOP = re.compile(r"post-?\s?op(erative)?\s+diagnos[ie]s", re.I)
NO_LETTER_FACTOR = 0.01
OPERATIVE_BOOST = 0.5
SALUTATION_BOOST = 0.5


def _renormalise(scores: dict[str, float]) -> dict[str, float]:
    total = sum(scores.values()) or 1.0
    return {k: v / total for k, v in scores.items()}


def genre_evidence(text: str, scores: dict[str, float]) -> dict[str, float]:
    """Adjust probabilities by conventions that hold across facilities."""
    out = dict(scores)
    if "correspondence" in out:
        if _SALUTATION.search(text):
            out["correspondence"] += SALUTATION_BOOST
        elif not _CLOSING.search(text):
            out["correspondence"] *= NO_LETTER_FACTOR
    if "operative_note" in out and _PREOP.search(text) and _POSTOP.search(text):
        out["operative_note"] += OPERATIVE_BOOST
    return _renormalise(out)


CUE_HEAD, CUE_TAIL = 6000, 1500  # where the cues are: the opening sections, the sign-off


def _head_and_tail(text: str) -> str:
    """The parts of a long document its genre shows in (its middle is mostly findings)."""
    if len(text) <= CUE_HEAD + CUE_TAIL:
        return text
    return text[:CUE_HEAD] + "\n" + text[-CUE_TAIL:]


def section_cues(text: str) -> dict[str, int]:
    """How many distinct genre cues of each type the text carries."""
    found: dict[str, int] = {}
    low = _head_and_tail(text).lower()
    for (key, pattern), literals in zip(SECTION_CUES, CUE_LITERALS, strict=True):
        if any(x in low for x in literals) and pattern.search(low):
            found[key] = found.get(key, 0) + 1
    return found


def cue_evidence(text: str, scores: dict[str, float]) -> dict[str, float]:
    """Raise each type by its section cues (bounded), then renormalise."""
    out = dict(scores)
    for key, n in section_cues(text).items():
        if key in out:
            out[key] += CUE_WEIGHT * min(n, MAX_CUES)
    return _renormalise(out)


def ccd_sections(text: str) -> int:
    """How many distinct CCD section headings stand on lines of their own."""
    seen = set()
    for line in text.lower().splitlines():
        if len(line) > _CCD_LINE_MAX:
            continue  # prose, not a heading
        head = re.sub(r"[^a-z ]+", " ", line).strip()
        for name in CCD_SECTIONS:
            if head == name or (head.startswith(name + " ") and len(head) < len(name) + 30):
                seen.add(name)
    return len(seen)


# Cells of a header line: wide gaps, "Label: value", " - " and " | " separate them.
_CELL_SEP = re.compile(r"\s{2,}|:\s|\s[-|/]\s|\t")
_SMALL = frozenset({"of", "and", "for", "the", "&", "to", "in", "on", "at", "with"})
TITLE_MAX_WORDS = 6  # a title cell is short: "Good Health Discharge Summary"


def _phrase(cell: str) -> str:
    """A cell lower case, punctuation and digits dropped, single spaces."""
    return re.sub(r" +", " ", re.sub(r"[^a-z& ]+", " ", cell.lower())).strip()


def _title_like(cell: str) -> bool:
    """Printed as a title (upper case, or every word capitalised), not as a sentence."""
    words = [w for w in re.findall(r"[A-Za-z&]+", cell) if w.lower() not in _SMALL]
    return bool(words) and len(words) <= TITLE_MAX_WORDS and all(w[0].isupper() for w in words)


def title_type(text: str) -> str | None:
    """Type named by a title near the top, if any.

    A title is a cell of a header line: alone on its line, beside the letterhead or a
    date ("Mercy Hospital  OPERATIVE REPORT", "INPATIENT CONSULTATION  Signed 2/7/2011"),
    or before a separator ("Full Chart - Mercy Hospital"). A cell matches a phrase it
    equals, or one it ends with when printed as a title, so a facility's qualifier
    ("Inpatient", "Community Health") does not hide the type. The longest matching
    phrase wins, so "Referral Summary" is a summary of care and not a referral.
    """
    best: tuple[int, str] | None = None
    for raw in text[:1200].splitlines()[:14]:
        line = raw.strip()
        cuts = [(m.start(), m.end()) for m in _CELL_SEP.finditer(line)]
        starts = [0, *(e for _, e in cuts)]
        ends = [*(b for b, _ in cuts), len(line)]
        for start, end in zip(starts, ends, strict=True):
            cell, phrase = line[start:end], _phrase(line[start:end])
            if not phrase or len(phrase) > 70 or line.startswith(":", end):
                continue  # empty, prose, or a label ("Reason for consultation: ...")
            found = _title_in(phrase, cell)
            if found and (best is None or found[0] > best[0]):
                best = found
        if best:
            return best[1]
    return None


# Title phrase -> type; those over six letters may also end a cell printed as a title.
_TITLES = {t: key for key, titles in TITLE_EVIDENCE.items() for t in titles}
_TAIL_TITLES = {t: key for t, key in _TITLES.items() if len(t) > 6}


def _title_in(phrase: str, cell: str) -> tuple[int, str] | None:
    """(length, type) of the longest title ``phrase`` is, or ends with when titled.

    Dictionary look-ups of the phrase and of its tails at word starts, longest first
    (the phrase itself is longer than any tail), instead of every title in turn.
    """
    key = _TITLES.get(phrase)
    if key is not None:
        return len(phrase), key
    if not _title_like(cell):
        return None
    cut = phrase.find(" ")
    while cut >= 0:
        tail = phrase[cut + 1:]
        key = _TAIL_TITLES.get(tail)
        if key is not None:
            return len(tail), key
        cut = phrase.find(" ", cut + 1)
    return None


def rule_scores(text: str, cats: dict[str, float]) -> dict[str, float]:
    """The model's probabilities with every kind of rule evidence applied."""
    scores = cue_evidence(text, genre_evidence(text, cats))
    titled = title_type(text)
    if titled is None and ccd_sections(text) >= CCD_MIN_SECTIONS:
        titled = "summary_of_care"
    if titled and titled in scores:
        scores[titled] += TITLE_BOOST
        scores = _renormalise(scores)
    return scores
