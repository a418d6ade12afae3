"""Document-type quality of the shipped model on the truth texts of dev and dev2 (no OCR).

    python benchmarks/classify_eval.py [--eval ../shared/eval] [--splits dev dev2] [--errors]

Scored with the shared ``score.py`` (imported by path), so the figures are the ones
``chartvault analyze`` + ``score.py`` report for doc_type on perfect text. dev2 is a
check of how the model carries over to other layouts, never training data. Last line:
``CLASSIFY dev_macro_f1=.. dev2_macro_f1=..``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from classifiers.doctype import DocTypeClassifier

REPO = Path(__file__).resolve().parents[1]


def load_scorer(eval_dir: Path) -> ModuleType:
    """The shared scorer, imported from its file (it is not a package)."""
    spec = importlib.util.spec_from_file_location("score", eval_dir / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=REPO.parent / "shared/eval")
    ap.add_argument("--splits", nargs="+", default=["dev", "dev2"])
    ap.add_argument("--errors", action="store_true", help="list each misclassified file")
    args = ap.parse_args()
    scorer = load_scorer(args.eval)
    clf = DocTypeClassifier.load()
    figures = []
    for split in args.splits:
        rows = scorer.load_jsonl(str(args.eval / split / "truth.jsonl"))
        preds = [{"file": r["file"], "doc_type": c.doc_type} for r, c in
                 zip(rows, clf.classify_many([r["text"] for r in rows]), strict=True)]
        doc = scorer.score(rows, preds)["doc_type"]
        print(f"{split}: accuracy {doc['accuracy']:.4f} macro-F1 {doc['macro_f1']:.4f}")
        for c in doc["confusions"][:8]:
            print(f"    {c['truth']} -> {c['pred']}: {c['count']}")
        if args.errors:
            for r, p in zip(rows, preds, strict=True):
                if r["doc_type"] != p["doc_type"]:
                    print(f"    {r['file']} {r['source'][:60]!r}: {r['doc_type']} -> "
                          f"{p['doc_type']}")
        figures.append(f"{split}_macro_f1={doc['macro_f1']:.4f}")
    print("CLASSIFY " + " ".join(figures))


if __name__ == "__main__":
    main()
