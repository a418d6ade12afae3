"""The shipped document-type model on the dev set's truth texts (no OCR).

The model is trained only on generated documents; the dev set measures how that carries
over to real layouts. Floors sit just under the scores reached so a regression cannot
land; the model is built here if the set-up scripts have not built it yet.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from classifiers.doctype import MODEL_DIR, DocTypeClassifier, evaluate

REPO = Path(__file__).resolve().parents[2]
EVAL = REPO.parent / "shared" / "eval"
# split: (macro-F1 floor, accuracy floor), just under the scores reached on the truth texts
FLOORS = {
    "dev": (0.92, 0.94),  # reached: 0.9473 (accuracy 0.9675)
    "dev2": (0.94, 0.96),  # other layouts and titles; reached: 0.9603 (accuracy 0.9756)
}


@pytest.fixture(scope="session")
def classifier() -> DocTypeClassifier:
    if not (MODEL_DIR / "chartvault.json").exists():
        subprocess.run([sys.executable, "-m", "classifiers.build"], cwd=REPO, check=True)
    return DocTypeClassifier.load()


def _rows(split: str) -> list[dict[str, Any]]:
    truth = EVAL / split / "truth.jsonl"
    if not truth.exists():
        pytest.skip(f"../shared/eval/{split} is absent (CI has it)")
    return [json.loads(x) for x in truth.read_text().splitlines() if x.strip()]


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_macro_f1_and_accuracy_floors(classifier: DocTypeClassifier, split: str) -> None:
    scores = evaluate(classifier, [(r["text"], r["doc_type"]) for r in _rows(split)])
    macro_floor, accuracy_floor = FLOORS[split]
    assert scores["macro_f1"] >= macro_floor, scores
    assert scores["accuracy"] >= accuracy_floor, scores


def test_shipped_model_classifies_generated_documents(classifier: DocTypeClassifier) -> None:
    from chartvault.synth.content import make_document

    docs = [make_document(900000 + i, t) for i, t in enumerate(
        ["operative_note", "discharge_summary", "imaging_report", "lab_report",
         "summary_of_care", "pathology_report"])]
    preds = [classifier.classify(d.plain_text()).doc_type for d in docs]
    assert preds == [d.truth["doc_type"] for d in docs]
