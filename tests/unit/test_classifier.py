from __future__ import annotations

from pathlib import Path

from classifiers.doctype import DocTypeClassifier, title_type, train


def test_tiny_model_learns_and_reports_scores(tmp_path: Path) -> None:
    pairs = []
    for i in range(30):
        pairs.append((f"OPERATIVE REPORT preoperative diagnosis hernia incision {i}",
                      "operative_note"))
        pairs.append((f"Findings: lungs clear. Impression: no acute disease. exam {i}",
                      "imaging_report"))
    report = train(pairs, tmp_path / "m", epochs=4)
    assert report["macro_f1"] >= 0.9 and report["version"].startswith("1.0.0+")
    clf = DocTypeClassifier.load(tmp_path / "m")
    c = clf.classify("Impression: no acute cardiopulmonary disease. Findings: clear lungs.")
    assert c.doc_type == "imaging_report" and c.loinc == "18748-4"
    assert 0 < c.confidence <= 1 and len(c.candidates) == 3
    assert c.model == f"doctype-textcat@{report['version']}"


def test_title_evidence() -> None:
    assert title_type("St. Luke Hospital\nDISCHARGE SUMMARY\nPatient: X") == "discharge_summary"
    assert title_type("Body text only, no title here at all.") is None


def test_shipped_model_classifies_generated_documents() -> None:
    from chartvault.synth.content import make_document

    clf = DocTypeClassifier.load()
    docs = [make_document(900000 + i, t) for i, t in
            enumerate(["operative_note", "discharge_summary", "imaging_report", "lab_report"])]
    preds = [clf.classify(d.plain_text()).doc_type for d in docs]
    assert preds == [d.truth["doc_type"] for d in docs]
