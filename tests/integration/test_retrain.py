"""`chartvault train --labeled`: a site's own documents teach the classifier, and ingest
and analyze use the retrained model once settings point to it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from chartvault.cli import main
from chartvault.pipeline.understand import default_models
from chartvault.settings import Settings
from classifiers.doctype import DocTypeClassifier

# An in-house form no generator writes: a ward's rounding sheet, which this site files
# with its progress notes (the shipped model calls it a care plan).
_WORDS = ("zephyr", "ward", "rounding", "goal", "intervention", "turn", "reposition",
          "hydration", "mobility", "skin", "fall", "risk", "bundle", "reassess", "shift")


def _site_doc(rng: random.Random) -> str:
    lines = [" ".join(rng.choice(_WORDS) for _ in range(8)) for _ in range(12)]
    return "Zephyr Ward rounding sheet\n" + "\n".join(lines)


def test_retrained_model_learns_the_sites_form_and_is_used(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    labelled = tmp_path / "mine.jsonl"
    labelled.write_text("\n".join(json.dumps({"text": _site_doc(rng), "doc_type": "progress_note"})
                                  for _ in range(40)))
    probe = _site_doc(random.Random(99))
    shipped = DocTypeClassifier.load()
    out = tmp_path / "doctype-site"
    assert main(["train", "--labeled", str(labelled), "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] != shipped.version and report["path"] == str(out)
    assert report["macro_f1"] > 0.9 and report["n"] > 100  # held-out scores are reported
    site = DocTypeClassifier.load(out)
    assert site.classify(probe).doc_type == "progress_note"
    assert shipped.classify(probe).doc_type != "progress_note"  # so the test can fail
    monkeypatch.setenv("CHARTVAULT_CLASSIFIER_MODEL", str(out))
    classifier, _ = default_models(Settings().classifier_model)
    assert classifier.version == report["version"]


def test_unknown_labels_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "doc_type": "grocery_list"}))
    assert main(["train", "--labeled", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "unknown document types: ['grocery_list']" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
