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
DEV_TRUTH = REPO.parent / "shared" / "eval" / "dev" / "truth.jsonl"
MACRO_F1_FLOOR = 0.92  # reached: 0.9376 (accuracy 0.9593) on the truth texts
ACCURACY_FLOOR = 0.94


@pytest.fixture(scope="session")
def classifier() -> DocTypeClassifier:
    if not (MODEL_DIR / "chartvault.json").exists():
        subprocess.run([sys.executable, "-m", "classifiers.build"], cwd=REPO, check=True)
    return DocTypeClassifier.load()


@pytest.fixture(scope="session")
def dev_rows() -> list[dict[str, Any]]:
    if not DEV_TRUTH.exists():
        pytest.skip("../shared/eval/dev is absent (CI has it)")
    return [json.loads(x) for x in DEV_TRUTH.read_text().splitlines() if x.strip()]


def test_dev_macro_f1_and_accuracy_floors(classifier: DocTypeClassifier,
                                          dev_rows: list[dict[str, Any]]) -> None:
    scores = evaluate(classifier, [(r["text"], r["doc_type"]) for r in dev_rows])
    assert scores["macro_f1"] >= MACRO_F1_FLOOR, scores
    assert scores["accuracy"] >= ACCURACY_FLOOR, scores


def test_shipped_model_classifies_generated_documents(classifier: DocTypeClassifier) -> None:
    from chartvault.synth.content import make_document

    docs = [make_document(900000 + i, t) for i, t in enumerate(
        ["operative_note", "discharge_summary", "imaging_report", "lab_report",
         "summary_of_care", "pathology_report"])]
    preds = [classifier.classify(d.plain_text()).doc_type for d in docs]
    assert preds == [d.truth["doc_type"] for d in docs]
