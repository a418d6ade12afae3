"""Every extracted field on generated documents, codes and NPI included (text, no OCR).

    python benchmarks/generated_eval.py [--docs 600] [--seed 9100000] [--noise 0.5]

The dev set's truth does not carry admission/discharge dates, NPI or codes; the
generator's does. Documents come from seeds used by no training or calibration run, a
share of them with OCR-like character noise, and go through the same classification and
extraction as ingest. Scored by ``chartvault evaluate`` (codes and NPI by precision and
recall). Last line: ``GENERATED_EVAL docs=.. macro_f1=.. fields_exact=.. icd10_p=..
icd10_r=.. cpt_p=.. cpt_r=.. npi_exact=.. misfile_rate=..``
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chartvault.analyze import prediction
from chartvault.evaluation import evaluate_rows, format_report
from chartvault.pipeline.understand import default_models, understand
from chartvault.synth.content import make_document
from chartvault.taxonomy import DOC_TYPE_KEYS
from extractors.metadata.noise import ocr_noise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--seed", type=int, default=9_100_000)
    ap.add_argument("--noise", type=float, default=0.5, help="share of documents with noise")
    args = ap.parse_args()
    classifier, extractor = default_models()
    rng = random.Random(args.seed)
    truth, preds = [], []
    for i in range(args.docs):
        doc = make_document(args.seed + i, DOC_TYPE_KEYS[i % len(DOC_TYPE_KEYS)])
        text = doc.plain_text()
        if rng.random() < args.noise:
            text = ocr_noise(text, args.seed + i)
        name = f"gen-{i:05d}"
        truth.append({"file": name, **doc.truth, "extra": dict(doc.truth_extra)})
        preds.append(prediction(name, understand(text, classifier, extractor, 0.5)))
    rep = evaluate_rows(truth, preds)
    print(format_report(rep))
    print(f"GENERATED_EVAL docs={rep.docs} macro_f1={rep.macro_f1:.4f} "
          f"fields_exact={rep.fields_exact:.4f} "
          f"icd10_p={rep.codes['icd10_codes']['precision']:.4f} "
          f"icd10_r={rep.codes['icd10_codes']['recall']:.4f} "
          f"cpt_p={rep.codes['cpt_codes']['precision']:.4f} "
          f"cpt_r={rep.codes['cpt_codes']['recall']:.4f} "
          f"npi_exact={rep.fields['author_npi']:.4f} misfile_rate={rep.misfile_rate:.4f}")


if __name__ == "__main__":
    main()
