"""Build the shipped document-type model: ``python -m classifiers.build``.

Deterministic (fixed seeds, single thread): the same repository gives the same model
and the same held-out scores. Run by the set-up scripts; the model is not committed,
and is rebuilt whenever the code it is built from has changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from classifiers.corpus import synthetic_corpus
from classifiers.doctype import MODEL_DIR, train

REPO = Path(__file__).resolve().parents[1]


def source_digest() -> str:
    """Digest of the code the model is built from (generator, classifier, taxonomy).

    A model built from older code is rebuilt, so a clone never classifies with a model
    its own code would not produce.
    """
    digest = hashlib.sha256()
    for path in sorted([*(REPO / "chartvault" / "synth").glob("*.py"),
                        *(REPO / "classifiers").glob("*.py"),
                        REPO / "chartvault" / "taxonomy.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def main() -> None:
    """Train on the generated corpus and write ``classifiers/models/doctype``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--per-type", type=int, default=150)
    ap.add_argument("--force", action="store_true", help="rebuild even if present")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sources = source_digest()
    meta_path = args.out / "chartvault.json"
    if meta_path.exists() and not args.force:
        meta = json.loads(meta_path.read_text())
        if meta.get("sources") == sources and meta.get("per_type") == args.per_type:
            sys.stdout.write(f"model {meta['version']} already built at {args.out}\n")
            return
    t0 = time.perf_counter()
    report = train(synthetic_corpus(args.per_type), args.out)
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "sources": sources, "per_type": args.per_type},
                                    indent=2))
    sys.stdout.write(f"built {report['version']} in {time.perf_counter() - t0:.0f} s; held-out "
                     f"accuracy {report['accuracy']} macro-F1 {report['macro_f1']}\n")


if __name__ == "__main__":
    main()
