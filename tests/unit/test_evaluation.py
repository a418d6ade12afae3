"""The evaluation's figures: type F1, field normalisation, codes, review and misfile rates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chartvault.cli import main
from chartvault.evaluation import evaluate_rows, misfiled, norm_author, norm_date


def _row(file: str, doc_type: str, family: str, mrn: str | None, review: bool = False,
         **extra: Any) -> dict[str, Any]:
    return {"file": file, "doc_type": doc_type,
            "patient": {"family": family, "given": "Ann", "birth_date": "1970-01-02",
                        "sex": "F", "mrn": mrn},
            "service_date": "2020-03-04", "document_date": "2020-03-05",
            "author": "Lee Park", "facility": "Hill Clinic",
            "chartvault": {"needs_review": review, **extra}}


def test_normalisation_matches_what_records_staff_mean() -> None:
    assert norm_author("Park, Lee J., MD") == norm_author("Dr. Lee Park") == "lee park"
    assert norm_author("William Rose, NP") == "william rose"
    assert norm_date("03/04/2020") == norm_date("Mar 04, 2020") == "2020-03-04"
    assert norm_date("not a date") != norm_date("")


def test_misfile_is_a_wrong_identity_filed_automatically() -> None:
    truth = _row("a", "progress_note", "Doe", "12345")
    assert not misfiled(truth, _row("a", "progress_note", "DOE", "12-345"))
    assert misfiled(truth, _row("a", "progress_note", "Doe", "12346"))
    assert not misfiled(truth, _row("a", "progress_note", "Roe", "1", review=True))
    assert not misfiled(truth, _row("a", "progress_note", "Doe", None))  # MRN not read


def test_report_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = [_row("d/a.pdf", "progress_note", "Doe", "1"),
             _row("d/b.pdf", "imaging_report", "Roe", "2"),
             _row("d/c.pdf", "imaging_report", "Poe", "3")]
    for t in truth:
        t["extra"] = {"icd10_codes": ["R07.9", "I10"], "cpt_codes": ["99213"],
                      "author_npi": None, "admission_date": None, "discharge_date": None}
    preds = [_row("/x/a.pdf", "progress_note", "Doe", "1", icd10_codes=["R07.9"],
                  cpt_codes=["99213", "99214"]),
             _row("/x/b.pdf", "progress_note", "Roe", "9"),
             _row("/x/c.pdf", "imaging_report", "Poe", "3", review=True)]
    rep = evaluate_rows(truth, preds)
    assert rep.accuracy == pytest.approx(2 / 3)
    assert rep.per_class_f1 == {"imaging_report": pytest.approx(2 / 3),
                                "progress_note": pytest.approx(2 / 3)}
    assert rep.confusions == [("imaging_report", "progress_note", 1)]
    assert rep.fields["mrn"] == pytest.approx(2 / 3) and rep.fields["family"] == 1.0
    assert rep.codes["icd10_codes"] == {"precision": 1.0, "recall": pytest.approx(1 / 6)}
    assert rep.codes["cpt_codes"]["precision"] == pytest.approx(0.5)
    assert rep.needs_review_rate == pytest.approx(1 / 3)
    assert rep.misfiled == 1
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(t) for t in truth))
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(p) for p in preds))
    assert main(["evaluate", "--truth", str(tmp_path / "t.jsonl"), "--pred",
                 str(tmp_path / "p.jsonl")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("EVALUATE docs=3 macro_f1=0.6667") and "misfile_rate=0.3333" in last
