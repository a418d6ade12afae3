"""Training text from the project's own generator, with OCR-like noise on some copies.

Titles and header layouts differ by hospital, so some copies lose their title block and
some their letterhead and demographic rows: the model has to learn a type from what the
document says, and the title rules (``classifiers.evidence``) add the title's word.
"""

from __future__ import annotations

import random

from chartvault.synth.model import SynthDoc
from chartvault.taxonomy import DOC_TYPE_KEYS

_CONFUSIONS = {"o": "0", "l": "1", "i": "l", "s": "5", "e": "c", "rn": "m", "B": "8"}


def ocr_noise(text: str, rng: random.Random, rate: float = 0.02) -> str:
    """Character confusions and dropped line breaks, as a poor scan produces."""
    out = []
    for ch in text:
        r = rng.random()
        if r < rate and ch in _CONFUSIONS:
            out.append(_CONFUSIONS[ch])
        elif r < rate * 1.3 and ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


DROP_TITLE = 0.5  # share of copies without their title block
DROP_HEADER = 0.3  # share of copies without letterhead and demographic rows
_HEADER_KINDS = frozenset({"letterhead", "field_row"})


def training_text(doc: SynthDoc, rng: random.Random) -> str:
    """A generated document's text, sometimes without its title or its header."""
    drop = {"spacer"}
    if rng.random() < DROP_TITLE:
        drop.add("title")
    if rng.random() < DROP_HEADER:
        drop |= _HEADER_KINDS
    return "\n".join(b.text for b in doc.blocks if b.kind not in drop)


def synthetic_corpus(per_type: int = 150, seed: int = 20261125) -> list[tuple[str, str]]:
    """(text, doc_type) pairs, balanced over the types the generator writes."""
    from chartvault.synth.content import make_document

    rng = random.Random(seed)
    pairs = []
    for k, doc_type in enumerate(DOC_TYPE_KEYS):
        n = per_type // 3 if doc_type == "other" else per_type
        for i in range(n):
            doc = make_document(seed + k * 100000 + i, doc_type)
            text = training_text(doc, rng)
            if rng.random() < 0.3:
                text = ocr_noise(text, rng)
            pairs.append((text, doc_type))
    return pairs
