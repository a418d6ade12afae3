"""The committed calibration table is what the build produces, and it is used."""

from __future__ import annotations

import json
from datetime import date

from extractors.metadata import MetadataExtractor
from extractors.metadata.calibration import TABLE_PATH, build_table, confidence_for
from extractors.metadata.noise import ocr_noise
from extractors.metadata.pipeline import build, run_with_evidence


def test_table_is_reproducible() -> None:
    nlp = build()
    rebuilt = build_table(lambda t: run_with_evidence(nlp, t, today=date(2026, 1, 1)))
    committed = json.loads(TABLE_PATH.read_text())
    assert rebuilt == committed, "run: python -m extractors.metadata.calibration"


def test_confidence_depends_on_evidence() -> None:
    assert confidence_for("author", "signature", "single") > confidence_for(
        "author", "signature", "conflict")
    assert confidence_for("patient.sex", "inline", "single") > confidence_for(
        "patient.sex", "pronoun", "single")
    values = {confidence_for(f, k, s) for f in ("author", "facility", "patient.mrn")
              for k in ("inline", "table", "letterhead", "signature") for s in ("single",
                                                                                "conflict")}
    assert len(values) > 4  # not a constant
    assert all(0 < v < 1 for v in values)


def test_noise_is_deterministic() -> None:
    text = "Patient Name: DOE, JANE   MRN: 1050080\n" * 20
    assert ocr_noise(text, 3) == ocr_noise(text, 3) != ocr_noise(text, 4)


def test_extraction_confidence_comes_from_table() -> None:
    e = MetadataExtractor().extract("Patient: Doe, Jane\nMRN: 123456\nSex: F\n")
    assert e.confidence["patient.mrn"] == round(confidence_for("patient.mrn", "inline",
                                                               "single"), 3)
