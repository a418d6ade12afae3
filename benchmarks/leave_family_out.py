"""Leave-family-out: build with some layout families, measure on families never used.

    python benchmarks/leave_family_out.py [--docs 60] [--heldout sticker,band_row,dashes]
                                          [--noise 0.5] [--seed 9400000]

The generator's header layouts come in named style families (``chartvault.synth.layouts``).
What the extractor builds from generated documents (its confidence table; see
``extractors.metadata.calibration``) is built here from the *train* families only; then
header fields are scored, by the shared scorer's normalisation rules as ``chartvault
evaluate`` applies them, on fresh documents of the train families and of the held-out
families (text, half with OCR-like noise). A large gap between the two figures means the
extraction knows the layouts it was built on rather than forms. The rules themselves are
written from how forms vary, not from any family, so they are the same on both sides.
Last line: ``LFO train_families=.. heldout_families=.. fields_exact_train=..
fields_exact_heldout=..`` (and misfiles, needs-review rates on each side).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from chartvault.synth.content import make_document
from chartvault.synth.layouts import FAMILIES
from chartvault.taxonomy import DOC_TYPE_KEYS
from extractors.metadata import calibration
from extractors.metadata.noise import ocr_noise
from extractors.metadata.pipeline import build, run_with_evidence

FIELDS = ("patient.family", "patient.given", "patient.birth_date", "patient.sex",
          "patient.mrn", "service_date", "document_date", "author", "facility")
TODAY = date(2026, 1, 1)


def documents(families: list[str], per_family: int, seed: int, noise: float
              ) -> list[tuple[str, str, dict[str, Any]]]:
    """(family, text, truth) of ``per_family`` documents of each family, types in turn."""
    rng = random.Random(seed)
    out = []
    for fam in sorted(families):
        for i in range(per_family):
            s = seed + 1000 * (list(FAMILIES).index(fam) + 1) + i
            d = make_document(s, DOC_TYPE_KEYS[i % len(DOC_TYPE_KEYS)], family=fam)
            text = d.plain_text()
            if rng.random() < noise:
                text = ocr_noise(text, s, calibration.NOISE_RATE)
            out.append((fam, text, d.truth))
    return out


def score(nlp: Any, docs: list[tuple[str, str, dict[str, Any]]],
          table: dict[str, list[int]] | None) -> dict[str, Any]:
    """Per-field exact, misfiles and the share of documents a person would review."""
    right = dict.fromkeys(FIELDS, 0)
    per_family: dict[str, list[int]] = {}
    misfiles = review = 0
    for fam, text, truth in docs:
        e, evidence = run_with_evidence(nlp, text, TODAY)
        want, got = calibration._truth_values(truth), calibration._predicted(e)
        ok = [got[f] == want[f] for f in FIELDS]
        for f, hit in zip(FIELDS, ok, strict=True):
            right[f] += hit
        fam_row = per_family.setdefault(fam, [0, 0])
        fam_row[0] += sum(ok)
        fam_row[1] += len(FIELDS)
        if (e.identity_established() and any(
                got[f] != want[f] for f in ("patient.family", "patient.given"))) or (
                e.identity_established() and any(got[f] and got[f] != want[f]
                                                 for f in ("patient.mrn", "patient.birth_date"))):
            misfiles += 1
        if table is not None:
            conf = [_conf(table, k, v) for k, v in evidence.items()
                    if k in ("patient.family", "patient.mrn", "patient.birth_date")]
            review += not e.identity_established() or min(conf or [0.0]) < 0.9
    n = max(1, len(docs))
    return {"fields": {f: right[f] / n for f in FIELDS},
            "exact": sum(right.values()) / (n * len(FIELDS)), "misfiles": misfiles,
            "review": review / n,
            "families": {k: v[0] / v[1] for k, v in sorted(per_family.items())}}


def _conf(table: dict[str, list[int]], key: str, ev: str) -> float:
    n, ok = table.get(f"{key}|{ev}", (0, 0))
    return (ok + 1) / (n + 2) if n >= 5 else 0.5


def main() -> None:
    """Build on the train families, score both sides, print the LFO line."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=60, help="documents per family and side")
    ap.add_argument("--heldout", default="sticker,band_row,dashes")
    ap.add_argument("--noise", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=9_400_000)
    args = ap.parse_args()
    held = [f for f in args.heldout.split(",") if f]
    unknown = [f for f in held if f not in FAMILIES]
    if unknown:
        raise SystemExit(f"unknown families: {unknown}; known: {list(FAMILIES)}")
    train = [f for f in FAMILIES if f not in held]
    nlp = build()
    build_docs = documents(train, args.docs, args.seed + 500_000, args.noise)
    table: dict[str, list[int]] = {}
    for _, text, truth in build_docs:  # the confidence table, from train families only
        e, evidence = run_with_evidence(nlp, text, TODAY)
        want, got = calibration._truth_values(truth), calibration._predicted(e)
        for key, ev in evidence.items():
            if key in want and got[key]:
                c = table.setdefault(f"{key}|{ev}", [0, 0])
                c[0] += 1
                c[1] += got[key] == want[key]
    results = {}
    for side, fams in (("train", train), ("heldout", held)):
        results[side] = r = score(nlp, documents(fams, args.docs, args.seed, args.noise), table)
        print(f"[{side}] families={','.join(fams)} exact={r['exact']:.4f} "
              f"misfiles={r['misfiles']} review={r['review']:.3f}")
        print("   " + "  ".join(f"{f.split('.')[-1]}={v:.3f}" for f, v in r["fields"].items()))
        print("   " + "  ".join(f"{k}={v:.3f}" for k, v in r["families"].items()))
    print(f"LFO train_families={','.join(train)} heldout_families={','.join(held)} "
          f"fields_exact_train={results['train']['exact']:.4f} "
          f"fields_exact_heldout={results['heldout']['exact']:.4f} "
          f"misfiles_train={results['train']['misfiles']} "
          f"misfiles_heldout={results['heldout']['misfiles']} "
          f"review_train={results['train']['review']:.3f} "
          f"review_heldout={results['heldout']['review']:.3f}")


if __name__ == "__main__":
    main()
