"""Calibrated confidence: precision of each kind of evidence on generated documents.

The table maps "field|evidence kind|agreement state" to (values produced, values right),
counted on documents from ``chartvault.synth`` (the original layouts and every layout
family in turn, half of them passed through ``ocr_noise``)
with seeds disjoint from every test. A field's confidence is the Laplace-smoothed
precision ``(right + 1) / (n + 2)``; a key never seen falls back to a prior by evidence
kind. Rebuild (deterministic) after any change to the rules::

    python -m extractors.metadata.calibration        # rewrites calibration.json
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("calibration.json")
SEED0 = 7_300_000  # generator seeds SEED0 .. SEED0 + DOCS - 1: used nowhere else
DOCS = 1200
NOISE_RATE = 0.015
# Priors for evidence never met during calibration (conservative guesses).
PRIOR = {"inline": 0.9, "below": 0.85, "table": 0.9, "letterhead": 0.8,
         "letterhead_weak": 0.55, "signature": 0.85, "signature_weak": 0.6, "dateline": 0.75,
         "phrase": 0.8, "pronoun": 0.65, "admission": 0.8, "narrative": 0.6, "today": 0.6,
         "generic": 0.5, "band": 0.8}
CONFLICT_FACTOR = 0.5


@cache
def _table() -> dict[str, list[int]]:
    if not TABLE_PATH.exists():
        return {}
    data: dict[str, list[int]] = json.loads(TABLE_PATH.read_text())["table"]
    return data


def confidence_for(field: str, kind: str, state: str) -> float:
    """Probability that a value of ``field`` backed by this evidence is right."""
    n, right = _table().get(f"{field}|{kind}|{state}", (0, 0))
    if n >= 5:
        return (right + 1) / (n + 2)
    prior = PRIOR.get(kind, 0.5)
    return prior * CONFLICT_FACTOR if state == "conflict" else prior


def _alnum(v: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(v).lower()) if v not in (None, "") else ""


def _truth_values(truth: dict[str, Any]) -> dict[str, str]:
    p = truth["patient"]
    return {"patient.family": _alnum(p["family"]), "patient.given": _alnum(p["given"]),
            "patient.birth_date": _alnum(p["birth_date"]), "patient.sex": _alnum(p["sex"]),
            "patient.mrn": _alnum(p["mrn"]), "service_date": _alnum(truth["service_date"]),
            "document_date": _alnum(truth["document_date"]), "author": _alnum(truth["author"]),
            "facility": _alnum(truth["facility"])}


def _predicted(e: Any) -> dict[str, str]:
    p = e.patient
    return {"patient.family": _alnum(p.family), "patient.given": _alnum(p.given),
            "patient.birth_date": _alnum(p.birth_date and p.birth_date.isoformat()),
            "patient.sex": _alnum(p.sex), "patient.mrn": _alnum(p.mrn),
            "service_date": _alnum(e.service_date and e.service_date.isoformat()),
            "document_date": _alnum(e.document_date and e.document_date.isoformat()),
            "author": _alnum(e.author), "facility": _alnum(e.facility)}


def build_table(run: Callable[[str], tuple[Any, dict[str, str]]], docs: int = DOCS,
                seed0: int = SEED0) -> dict[str, Any]:
    """Count, per evidence key, how many produced values were right.

    ``run`` maps a text to (Extraction, evidence) - the pipeline, passed in so that this
    module does not import it.
    """
    from chartvault.synth.content import make_document  # build time only
    from chartvault.synth.layouts import FAMILIES
    from extractors.metadata.noise import ocr_noise

    families = [None, *FAMILIES]  # the original layouts and every layout family
    counts: dict[str, list[int]] = {}
    for seed in range(seed0, seed0 + docs):
        d = make_document(seed, family=families[seed % len(families)])
        text = d.plain_text()
        if seed % 2:
            text = ocr_noise(text, seed, NOISE_RATE)
        extraction, evidence = run(text)
        want, got = _truth_values(d.truth), _predicted(extraction)
        for field, ev in evidence.items():
            if field not in want or not got[field]:
                continue
            c = counts.setdefault(f"{field}|{ev}", [0, 0])
            c[0] += 1
            c[1] += got[field] == want[field]
    return {"about": "n, right per field|evidence|state on generated documents; see "
                     "extractors/metadata/calibration.py",
            "seed0": seed0, "docs": docs, "noise_rate": NOISE_RATE,
            "table": dict(sorted(counts.items()))}


def main() -> None:
    """Rebuild calibration.json."""
    from extractors.metadata.pipeline import build, run_with_evidence

    nlp = build()
    table = build_table(lambda t: run_with_evidence(nlp, t, today=date(2026, 1, 1)))
    TABLE_PATH.write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
