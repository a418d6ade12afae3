"""Per-field failures on held-out generated documents, to find the layouts rules miss.

    python benchmarks/generated_failures.py [--docs 600] [--seed 9100000] [--noise 0.5]
        [--field family] [--lines 8] [--max 40]

Same documents as ``generated_eval.py`` (seeds used by no training or calibration run).
For each failing field it prints truth vs predicted and the first lines of the text, so
that failures group into layout families; a summary counts failures per field. Generated
documents only: no patient data is involved.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chartvault.analyze import prediction
from chartvault.evaluation import NORMALISERS, _get, misfiled
from chartvault.pipeline.understand import default_models, understand
from chartvault.synth.content import make_document
from chartvault.taxonomy import DOC_TYPE_KEYS
from extractors.metadata.noise import ocr_noise

FIELDS = ("family", "given", "birth_date", "sex", "mrn", "service_date", "document_date",
          "author", "facility", "admission_date", "discharge_date", "author_npi")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--seed", type=int, default=9_100_000)
    ap.add_argument("--noise", type=float, default=0.5)
    ap.add_argument("--field", action="append", help="only these fields (repeatable)")
    ap.add_argument("--lines", type=int, default=8, help="lines of text shown")
    ap.add_argument("--max", type=int, default=40, help="failures shown per field")
    args = ap.parse_args()
    classifier, extractor = default_models()
    rng = random.Random(args.seed)
    wanted = args.field or [*FIELDS, "misfile"]
    counts: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    for i in range(args.docs):
        doc = make_document(args.seed + i, DOC_TYPE_KEYS[i % len(DOC_TYPE_KEYS)])
        text = doc.plain_text()
        noisy = rng.random() < args.noise
        if noisy:
            text = ocr_noise(text, args.seed + i)
        truth = {"file": str(i), **doc.truth, "extra": dict(doc.truth_extra)}
        pred = prediction(str(i), understand(text, classifier, extractor, 0.5))
        fails = []
        for f in FIELDS:
            want, got = _get(truth, f, "extra"), _get(pred, f)
            norm = NORMALISERS[f]
            if want and norm(want) != norm(got):
                fails.append((f, want, got))
        if misfiled(truth, pred):
            fails.append(("misfile", "", pred["chartvault"]["review_reasons"]))
        for f, want, got in fails:
            counts[f] += 1
            if f not in wanted or shown[f] >= args.max:
                continue
            shown[f] += 1
            head = [ln for ln in text.splitlines() if ln.strip()][:args.lines]
            print(f"=== {f}  doc {i} ({DOC_TYPE_KEYS[i % len(DOC_TYPE_KEYS)]}"
                  f"{', noisy' if noisy else ''})  truth={want!r}  pred={got!r}")
            for ln in head:
                print(f"    | {ln}")
    print("failures per field:", dict(counts.most_common()))


if __name__ == "__main__":
    main()
