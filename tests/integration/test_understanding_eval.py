"""Classification and extraction on the truth texts of ../shared/eval/dev (text in, record
out, no OCR), scored with the shared scorer's own normalisation. Floors sit just under
the scores reached, so a regression cannot land."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chartvault.pipeline.understand import default_models, understand

FIELD_FLOORS = {  # reached (metadata 1.2.0): family, given, facility 0.992; others 1.000
    "patient.family": 0.99, "patient.given": 0.99, "patient.birth_date": 0.995,
    "patient.sex": 0.995, "patient.mrn": 0.995, "service_date": 0.995, "document_date": 0.995,
    "author": 0.995, "facility": 0.99,
}
DOC_TYPE_MACRO_F1_FLOOR = 0.76


def _score_module(dev: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_score", dev.parent / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def scored(eval_dev: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rows = [json.loads(x) for x in (eval_dev / "truth.jsonl").read_text().splitlines() if x]
    classifier, extractor = default_models()
    preds = []
    for r in rows:
        u = understand(r["text"], classifier, extractor, 0.5)
        e, p = u.extraction, u.extraction.patient
        preds.append({
            "file": r["file"], "doc_type": u.classification.doc_type,
            "patient": {"family": p.family, "given": p.given,
                        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                        "sex": p.sex, "mrn": p.mrn},
            "service_date": e.service_date.isoformat() if e.service_date else None,
            "document_date": e.document_date.isoformat() if e.document_date else None,
            "author": e.author, "facility": e.facility,
        })
    score = _score_module(eval_dev)
    result: dict[str, Any] = score.score(rows, preds)
    return result


def test_fields_exact_match_floors(scored: dict[str, Any]) -> None:
    got = {k: v["exact"] for k, v in scored["fields"].items()}
    for name, floor in FIELD_FLOORS.items():
        assert name in got, f"scorer did not report {name}: {sorted(got)}"
        assert got[name] >= floor, f"{name}: {got[name]:.3f} < floor {floor}"


def test_doc_type_macro_f1_floor(scored: dict[str, Any]) -> None:
    f1 = scored["doc_type"]["macro_f1"]
    assert f1 >= DOC_TYPE_MACRO_F1_FLOOR, f"doc_type macro-F1 {f1:.3f}"
