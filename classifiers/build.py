"""Build the shipped document-type model: ``python -m classifiers.build``.

Deterministic (fixed seeds, single thread): the same repository gives the same model
and the same held-out scores. Run by the set-up scripts; the model is not committed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from classifiers.corpus import synthetic_corpus
from classifiers.doctype import MODEL_DIR, train


def main() -> None:
    """Train on the generated corpus and write ``classifiers/models/doctype``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--per-type", type=int, default=150)
    ap.add_argument("--force", action="store_true", help="rebuild even if present")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if (args.out / "chartvault.json").exists() and not args.force:
        meta = json.loads((args.out / "chartvault.json").read_text())
        sys.stdout.write(f"model {meta['version']} already built at {args.out}\n")
        return
    t0 = time.perf_counter()
    report = train(synthetic_corpus(args.per_type), args.out)
    sys.stdout.write(f"built {report['version']} in {time.perf_counter() - t0:.0f} s; held-out "
                     f"accuracy {report['accuracy']} macro-F1 {report['macro_f1']}\n")


if __name__ == "__main__":
    main()
