"""Re-run classification and extraction on the OCR text saved in a predictions file.

    python benchmarks/reextract.py IN.jsonl OUT.jsonl

``chartvault analyze --jsonl`` keeps each document's OCR text in ``text``; OCR is the slow
step, so rule changes are measured by re-understanding that text (same code path as
ingest: ``understand`` + ``prediction``) and scoring OUT with ``chartvault evaluate``.
Rows may carry OCR words as ``pages``: per page a list of [text, confidence] pairs; they
are passed on, so that review on OCR confidence is measured too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chartvault.analyze import prediction
from chartvault.model import PageText, Word
from chartvault.pipeline.understand import default_models, understand


def _words(row: dict[str, Any]) -> list[list[tuple[str, float]]]:
    """Per page [text, confidence] pairs, when the row carries them (``analyze --jsonl``
    gives ``pages`` as a page count instead)."""
    pages = row.get("pages")
    return [pg for pg in pages if isinstance(pg, list)] if isinstance(pages, list) else []


def main() -> None:
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    classifier, extractor = default_models()
    with src.open() as fin, dst.open("w") as fout:
        for line in fin:
            row = json.loads(line)
            text = row.get("text") or ""
            pages = [PageText(index=i, method="ocr", text="", words=tuple(
                Word(text=t, left=0, top=0, width=0, height=0, conf=c, line=0) for t, c in pg))
                for i, pg in enumerate(_words(row))]
            pred = prediction(row["file"], understand(text, classifier, extractor, 0.5, pages))
            # what OCR read is carried over: the scorer's CER and the registry re-link use it
            pred.update({k: row[k] for k in ("pages", "format", "text") if k in row})
            fout.write(json.dumps(pred) + "\n")


if __name__ == "__main__":
    main()
