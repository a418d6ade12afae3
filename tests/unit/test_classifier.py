"""The document-type classifier: training works, evidence rules, loading errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.doctype import VERSION, DocTypeClassifier, train
from classifiers.evidence import (
    CUE_WEIGHT,
    MAX_CUES,
    cue_evidence,
    genre_evidence,
    section_cues,
    title_type,
)


def test_tiny_model_learns_and_reports_scores(tmp_path: Path) -> None:
    pairs = []
    for i in range(30):
        pairs.append((f"OPERATIVE REPORT preoperative diagnosis hernia incision closure {i}",
                      "operative_note"))
        pairs.append((f"Findings: lungs clear. Impression: no acute disease. exam {i}",
                      "imaging_report"))
    report = train(pairs, tmp_path / "m", epochs=4)
    assert report["macro_f1"] >= 0.9 and report["version"].startswith(f"{VERSION}+")
    clf = DocTypeClassifier.load(tmp_path / "m")
    c = clf.classify("Impression: no acute cardiopulmonary disease. Findings: clear lungs.")
    assert c.doc_type == "imaging_report" and c.loinc == "18748-4"
    assert 0 < c.confidence <= 1 and len(c.candidates) == 3
    assert c.model == f"doctype-textcat@{report['version']}"
    assert [x.doc_type for x in clf.classify_many(["incision closure hernia", "lungs clear"])
            ] == ["operative_note", "imaging_report"]


def test_title_evidence() -> None:
    assert title_type("St. Luke Hospital\nDISCHARGE SUMMARY\nPatient: X") == "discharge_summary"
    assert title_type("Mercy Clinic  OPERATIVE REPORT\n1 Main St") == "operative_note"
    assert title_type("Mercy Clinic: Procedure Note\n") == "procedure_note"
    assert title_type("Get Well Clinic  Referral Summary\n") == "summary_of_care"
    assert title_type("Lakeside Hospital\nHOSPITALIZATION SUMMARY\nPatient: X") \
        == "discharge_summary"
    assert title_type("EMERGENCY DEPARTMENT COURSE: stable") is None
    assert title_type("Body text only, no title here at all.") is None


def test_genre_evidence_letters_and_operative_reports() -> None:
    flat = {"correspondence": 0.5, "operative_note": 0.25, "procedure_note": 0.25}
    no_letter = genre_evidence("HPI: pain.\nPlan: rest.", flat)
    assert no_letter["correspondence"] < 0.05
    letter = genre_evidence("Dr. Smith\nDear Dr. Smith:\nThank you.", flat)
    assert letter["correspondence"] > 0.5
    op = genre_evidence("PREOPERATIVE DIAGNOSIS: x\nPOSTOPERATIVE DIAGNOSIS: same", flat)
    assert op["operative_note"] > op["procedure_note"]
    assert abs(sum(op.values()) - 1) < 1e-9


def test_missing_model_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"python -m classifiers\.build"):
        DocTypeClassifier.load(tmp_path / "nothing")


@pytest.mark.parametrize(("text", "expected"), [
    ("REASON FOR CONSULTATION: chest pain.\nThank you for this kind referral.",
     "consultation_note"),
    ("The patient presents to the emergency department with pain.\nED COURSE: stable.",
     "emergency_department_note"),
    ("SUBJECTIVE: better.\nOBJECTIVE: afebrile.\nShe returns today for follow-up.",
     "progress_note"),
    ("SPECIMEN: A. colon\nGROSS DESCRIPTION: tan tissue.\nMICROSCOPIC DESCRIPTION: benign.",
     "pathology_report"),
    ("EXAM: CT head\nTECHNIQUE: axial images.\nCOMPARISON: none.", "imaging_report"),
    ("HOSPITAL COURSE: uneventful.\nDISCHARGE MEDICATIONS: none.", "discharge_summary"),
    ("I am writing this letter about your results.\nSincerely,\nDr. A", "correspondence"),
])
def test_section_cues_point_to_their_genre(text: str, expected: str) -> None:
    cues = section_cues(text)
    assert max(cues, key=lambda k: cues[k]) == expected
    flat = dict.fromkeys(("consultation_note", "emergency_department_note", "progress_note",
                          "pathology_report", "imaging_report", "discharge_summary",
                          "correspondence"), 1 / 7)
    raised = cue_evidence(text, flat)
    assert max(raised, key=lambda k: raised[k]) == expected
    assert abs(sum(raised.values()) - 1) < 1e-9


def test_cues_are_bounded_and_absent_from_plain_prose() -> None:
    assert section_cues("The patient is doing well. Blood pressure is normal.") == {}
    many = "\n".join(["GROSS DESCRIPTION: a", "MICROSCOPIC DESCRIPTION: b", "SPECIMEN: c",
                      "frozen section", "FINAL DIAGNOSIS: d"])
    raised = cue_evidence(many, {"pathology_report": 0.0, "imaging_report": 1.0})
    capped = CUE_WEIGHT * MAX_CUES  # five cues found, three count
    assert raised["pathology_report"] == pytest.approx(capped / (1 + capped))


def test_titles_open_or_close_a_letterhead_line() -> None:
    assert title_type("Full Chart - Mercy Clinic\nPatient: X") == "summary_of_care"
    assert title_type("Mercy Clinic\nED Physician Note\n") == "emergency_department_note"
    assert title_type("Consultation requested by Dr. A for chest pain today\n") is None


def test_a_title_is_a_header_cell_even_beside_a_date_or_a_qualifier() -> None:
    assert title_type("Mercy Clinic\nINPATIENT CONSULTATION  Signed 2/7/2011\n"
                      ) == "consultation_note"
    assert title_type("Mercy Clinic\nRiver Valley Discharge Summary\n") == "discharge_summary"
    assert title_type("Mercy Clinic\nMRN 123  |  Operative Report  |  Page 1\n"
                      ) == "operative_note"
    # a section label naming a type is not a title, nor is a sentence ending in one
    assert title_type("Mercy Clinic\nREASON FOR CONSULTATION: chest pain\n") is None
    assert title_type("He was sent for a consultation\n") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("This is a consultation for evaluation of anemia.", "consultation_note"),
    ("We were asked to see this man by Dr. A.", "consultation_note"),
    ("MEDICAL DECISION MAKING: low risk.\nDischarged home from the ER.",
     "emergency_department_note"),
    ("ADMISSION DIAGNOSIS: pneumonia.\nDISCHARGE DATE: 2/3/2020", "discharge_summary"),
])
def test_content_cues_without_any_title(text: str, expected: str) -> None:
    cues = section_cues(text)
    assert max(cues, key=lambda k: cues[k]) == expected


def test_letter_without_greeting_but_with_closing_is_still_a_letter() -> None:
    flat = {"correspondence": 0.5, "progress_note": 0.5}
    assert genre_evidence("Your test was normal.\nSincerely,\nDr. B", flat)["correspondence"] \
        == pytest.approx(0.5)


def test_cue_literals_skip_only_cues_that_cannot_match() -> None:
    from chartvault.synth.content import make_document
    from chartvault.taxonomy import DOC_TYPE_KEYS
    from classifiers.evidence import CUE_LITERALS, SECTION_CUES, _head_and_tail

    assert len(CUE_LITERALS) == len(SECTION_CUES) and all(CUE_LITERALS)
    texts = [make_document(700000 + i, t).plain_text()
             for i, t in enumerate(DOC_TYPE_KEYS * 3)]
    hits = 0
    for text in texts:
        low = _head_and_tail(text).lower()
        for (_, pattern), literals in zip(SECTION_CUES, CUE_LITERALS, strict=True):
            if pattern.search(low):
                hits += 1
                assert any(x in low for x in literals), pattern.pattern
    assert hits > len(texts)  # the documents do carry cues


def test_title_lookup_is_the_longest_title_of_a_plain_scan() -> None:
    """The dictionary look-up of title cells picks what trying every title phrase picks."""
    import random
    import re

    from classifiers.evidence import _CELL_SEP, TITLE_EVIDENCE, _phrase, _title_like

    def plain(text: str) -> str | None:
        best: tuple[int, str] | None = None
        for raw in text[:1200].splitlines()[:14]:
            line = raw.strip()
            cuts = [(m.start(), m.end()) for m in _CELL_SEP.finditer(line)]
            for start, end in zip([0, *(e for _, e in cuts)], [*(b for b, _ in cuts), len(line)],
                                  strict=True):
                cell, phrase = line[start:end], _phrase(line[start:end])
                if not phrase or len(phrase) > 70 or line.startswith(":", end):
                    continue
                for key, titles in TITLE_EVIDENCE.items():
                    for t in titles:
                        if (phrase == t or (_title_like(cell) and len(t) > 6
                                            and phrase.endswith(" " + t))) \
                                and (best is None or len(t) > best[0]):
                            best = (len(t), key)
            if best:
                return best[1]
        return None

    rnd = random.Random(17)
    titles = [t for ts in TITLE_EVIDENCE.values() for t in ts]
    words = ["Mercy", "Hospital", "Inpatient", "Community Health", "of", "and", "Report", ":",
             "Signed 2/7/2011", "-", "|", "the"]
    found = 0
    for _ in range(3000):
        parts = []
        for _ in range(rnd.randint(1, 4)):
            t = rnd.choice(titles)
            t = rnd.choice([t, t.upper(), t.title(), re.sub(r" ", "  ", t)])
            parts.append(" ".join([*rnd.sample(words, rnd.randint(0, 2)), t]))
        text = rnd.choice(["  ", " - ", ": ", " | ", "\n"]).join(parts)
        assert title_type(text) == plain(text), text
        found += plain(text) is not None
    assert found > 1000
