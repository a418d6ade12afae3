"""Document-type classifier: a spaCy text categoriser plus rule evidence.

The statistical part is spaCy's bag-of-words ``textcat`` (exclusive classes, no
pretrained vectors, no downloads) trained on the project's own generator. Titles and
genre conventions carry over between facilities better than word counts learnt from
generated text, so ``classifiers.evidence`` raises the types they point to before the
top candidates are taken. Confidence is the resulting probability; below the configured
threshold the document is archived as ``needs_review`` with its top three candidates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.training import Example

from chartvault.model import Classification
from chartvault.taxonomy import DOC_TYPE_KEYS, loinc_for
from classifiers.evidence import rule_scores

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).with_name("models") / "doctype"
NAME = "doctype-textcat"
VERSION = "1.3.0"  # bump when the features or the decision rule change
MAX_CHARS = 6000  # the head of a document carries its type; keeps speed flat

_WORD = re.compile(r"[A-Za-z][A-Za-z&'-]+")


def _normalise(text: str) -> str:
    """Content words of the document's head, lower case.

    Function words ("I", "that", "was") and numbers say more about the writer than the
    type; left in, the model learns that long first-person prose means "letter".
    """
    from spacy.lang.en.stop_words import STOP_WORDS

    words = (w.lower() for w in _WORD.findall(text[:MAX_CHARS]))
    return " ".join(w for w in words if w not in STOP_WORDS)


# Unigrams generalise better from generated to real text than bigrams (measured on the
# dev truth texts: macro-F1 0.81 vs 0.77): bigrams memorise the generator's phrasing.
TEXTCAT_CONFIG: dict[str, Any] = {
    "model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True,
              "ngram_size": 1, "no_output_layer": False, "length": 262144}}


def _blank(labels: Sequence[str]) -> Language:
    nlp = spacy.blank("en")
    config = TEXTCAT_CONFIG
    textcat = cast(TextCategorizer, nlp.add_pipe("textcat", config=config))
    for label in labels:
        textcat.add_label(label)
    return nlp


class DocTypeClassifier:
    """Text -> document type with confidence and top-3 candidates."""

    name = NAME

    def __init__(self, nlp: Language, version: str) -> None:
        self.nlp = nlp
        self.version = version

    @classmethod
    def load(cls, path: Path | None = None) -> DocTypeClassifier:
        """The shipped model (built by ``python -m classifiers.build``) or another."""
        path = path or MODEL_DIR
        if not (path / "meta.json").exists():
            raise FileNotFoundError(
                "document-type model not built: run `python -m classifiers.build`")
        nlp = spacy.load(path)
        # The bag of words reads ORTH only; English's lexical attributes (norm, shape, stop...)
        # ran in Python for every new word, a fifth of classifying (not in spaCy's stubs).
        nlp.vocab.lex_attr_getters = {}  # type: ignore[attr-defined]
        meta = json.loads((path / "chartvault.json").read_text())
        return cls(nlp, str(meta["version"]))

    def _decide(self, text: str, cats: dict[str, float]) -> Classification:
        scores = rule_scores(text, dict(cats))
        top = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:3]
        best, conf = top[0]
        return Classification(doc_type=best, loinc=loinc_for(best), confidence=round(conf, 4),
                              candidates=tuple((k, round(v, 4)) for k, v in top),
                              model=f"{self.name}@{self.version}")

    def classify(self, text: str) -> Classification:
        """Type of one document."""
        doc = self.nlp(_normalise(text))
        return self._decide(text, doc.cats)

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        """Types of many documents (batched)."""
        docs = self.nlp.pipe((_normalise(t) for t in texts), batch_size=64)
        return [self._decide(t, d.cats) for t, d in zip(texts, docs, strict=True)]


def train(examples: Sequence[tuple[str, str]], out_dir: Path, *, seed: int = 0,
          epochs: int = 8, held_out: float = 0.15) -> dict[str, Any]:
    """Train a model on (text, type) pairs; write it versioned; return held-out scores."""
    random.seed(seed)
    spacy.util.fix_random_seed(seed)  # type: ignore[attr-defined]
    labels = sorted({t for _, t in examples} | set(DOC_TYPE_KEYS))
    data = list(examples)
    random.Random(seed).shuffle(data)
    n_test = max(1, int(len(data) * held_out))
    test, trainset = data[:n_test], data[n_test:]
    nlp = _blank(labels)
    train_ex = [Example.from_dict(nlp.make_doc(_normalise(t)),
                                  {"cats": {lab: float(lab == y) for lab in labels}})
                for t, y in trainset]
    optimizer = nlp.initialize(lambda: train_ex)
    for epoch in range(epochs):
        random.Random(seed + epoch).shuffle(train_ex)
        losses: dict[str, float] = {}
        for i in range(0, len(train_ex), 32):
            nlp.update(train_ex[i:i + 32], sgd=optimizer, losses=losses, drop=0.2)
        log.info("epoch %d loss %.3f", epoch, losses.get("textcat", 0.0))
    corpus = hashlib.sha256()
    for text, label in examples:
        corpus.update(label.encode() + b"\0" + text.encode() + b"\0")
    digest = hashlib.sha256(json.dumps([corpus.hexdigest(), seed, epochs, labels, TEXTCAT_CONFIG,
                                    MAX_CHARS, held_out], sort_keys=True).encode()
                            ).hexdigest()
    version = f"{VERSION}+{digest[:8]}"
    clf = DocTypeClassifier(nlp, version)
    scores = evaluate(clf, test)
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    (out_dir / "chartvault.json").write_text(json.dumps(
        {"name": NAME, "version": version, "examples": len(data), "seed": seed,
         "epochs": epochs, "held_out": scores}, indent=2))
    return {"version": version, "path": str(out_dir), **scores}


def evaluate(clf: DocTypeClassifier, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the classes present, and confusion pairs."""
    preds = [c.doc_type for c in clf.classify_many([t for t, _ in pairs])]
    gold = [y for _, y in pairs]
    classes = sorted(set(gold))
    f1s = {}
    for k in classes:
        tp = sum(1 for p, g in zip(preds, gold, strict=True) if p == g == k)
        fp = sum(1 for p, g in zip(preds, gold, strict=True) if p == k != g)
        fn = sum(1 for p, g in zip(preds, gold, strict=True) if g == k != p)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s[k] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    confusions: dict[str, int] = {}
    for p, g in zip(preds, gold, strict=True):
        if p != g:
            confusions[f"{g}->{p}"] = confusions.get(f"{g}->{p}", 0) + 1
    return {
        "n": len(pairs),
        "accuracy": round(sum(p == g for p, g in zip(preds, gold, strict=True)) / len(gold), 4),
        "macro_f1": round(sum(f1s.values()) / len(f1s), 4),
        "per_class_f1": {k: round(v, 4) for k, v in f1s.items()},
        "confusions": dict(sorted(confusions.items(), key=lambda kv: -kv[1])[:10]),
    }


def labelled_pairs(src: Path) -> list[tuple[str, str]]:
    """(text, doc_type) pairs of labelled documents.

    ``src``: JSONL of {"text", "doc_type"} (or {"file", "doc_type"} naming a text file
    relative to the JSONL; with a "doc_id", the last line of each id counts: the reviews
    the web app writes under ``<data_dir>/labels/``), or a folder with one sub-folder per type
    holding ``.txt`` files.
    """
    pairs: list[tuple[str, str]] = []
    if src.is_dir():
        for sub in sorted(p for p in src.iterdir() if p.is_dir()):
            pairs += [(f.read_text(errors="replace"), sub.name) for f in sorted(sub.glob("*.txt"))]
    else:
        rows: dict[object, dict[str, Any]] = {}  # a re-reviewed doc_id: its last line wins
        for n, line in enumerate(src.read_text().splitlines()):
            if line.strip():
                row = json.loads(line)
                rows.pop(row.get("doc_id", n), None)
                rows[row.get("doc_id", n)] = row
        for row in rows.values():
            text = row.get("text")
            if text is None:  # a text file beside the JSONL (e.g. an OCR export)
                text = (src.parent / row["file"]).read_text(errors="replace")
            pairs.append((text, row["doc_type"]))
    return pairs


def train_from_labeled(src: Path, out_dir: Path) -> dict[str, Any]:
    """Retrain on a facility's labelled documents plus the generated corpus.

    ``src``: see ``labelled_pairs``. The facility's documents are weighted x3 so that its
    own layouts dominate where they disagree with the generator.
    """
    pairs = labelled_pairs(src)
    unknown = {y for _, y in pairs} - set(DOC_TYPE_KEYS)
    if unknown:
        raise ValueError(f"unknown document types: {sorted(unknown)}")
    from classifiers.corpus import synthetic_corpus

    return train(synthetic_corpus() + pairs * 3, out_dir)
