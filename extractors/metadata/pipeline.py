"""The spaCy pipeline: blank English tokenizer + three rule components.

``chart_fields`` finds candidates (label-value parsing, header tables, letterheads,
signatures, narrative evidence) as ``doc._.candidates`` and ``doc.spans["fields"]``;
``chart_codes`` finds ICD-10-CM and CPT codes in coded contexts as ``doc.spans["codes"]``;
``chart_resolve`` validates and picks one value per field, with calibrated confidence and
flags, into ``doc._.extraction`` (and the evidence behind each value into
``doc._.evidence``). Components read the raw text from ``doc.user_data["text"]`` when the
caller put it there: rebuilding it from tokens costs more than all the rules together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from extractors.metadata import bands as B
from extractors.metadata.normalise import CPT, ICD10, date_order
from extractors.metadata.resolve import resolve

for _ext in ("extraction", "candidates", "evidence"):
    if not Doc.has_extension(_ext):
        Doc.set_extension(_ext, default=None)


def text_of(doc: Doc) -> str:
    """The document's text, cached."""
    text = doc.user_data.get("text")
    if not isinstance(text, str):
        text = doc.text
        doc.user_data["text"] = text
    return text


def _span(doc: Doc, start: int, end: int, label: str) -> Any:
    return doc.char_span(start, max(start + 1, end), label=label, alignment_mode="expand")


@Language.component("chart_fields", assigns=["doc.spans", "doc._.candidates"])
def chart_fields(doc: Doc) -> Doc:
    """Find field candidates."""
    text = text_of(doc)
    cands = B.candidates(text)
    doc._.candidates = cands
    doc.user_data["date_order"] = date_order(text)
    spans = [_span(doc, c.start, c.start + len(c.value), c.field) for c in cands
             if c.kind not in ("pronoun", "today")]
    doc.spans["fields"] = [s for s in spans if s is not None]
    return doc


_ICD_CONTEXT = re.compile(r"ICD|\(|Code|Dx|Diagnos", re.IGNORECASE)


@Language.component("chart_codes", assigns=["doc.spans"])
def chart_codes(doc: Doc) -> Doc:
    """Find codes in coded contexts only, for precision.

    ICD-10-CM in parentheses, after "ICD"/"Dx"/"Code" or in code columns; CPT after "CPT"
    or in parentheses. Lines that speak of ICD-9 are skipped (its codes look alike).
    """
    spans = []
    found: list[tuple[str, str]] = []  # the codes themselves: a span may hold punctuation
    text = text_of(doc)
    for line_match in re.finditer(r"[^\n\f]+", text):
        line = line_match.group(0)
        base = line_match.start()
        if "ICD-9" in line or "ICD9" in line:
            continue
        for m in ICD10.finditer(line):
            before = line[max(0, m.start() - 12):m.start()]
            if before.endswith("(") or _ICD_CONTEXT.search(before) or before.endswith("  "):
                s = _span(doc, base + m.start(1), base + m.end(1), "ICD10")
                found.append(("ICD10", m.group(1)))
                if s is not None:
                    spans.append(s)
        if "CPT" not in line and "(" not in line:
            continue
        for m in CPT.finditer(line):
            if m.group(0).upper().startswith("CPT") or line[max(0, m.start() - 1):m.start()] \
                    == "(":
                s = _span(doc, base + m.start(1), base + m.end(1), "CPT")
                found.append(("CPT", m.group(1)))
                if s is not None:
                    spans.append(s)
    doc.spans["codes"] = spans
    doc.user_data["codes"] = found
    return doc


@Language.component("chart_resolve", requires=["doc._.candidates", "doc.spans"],
                    assigns=["doc._.extraction", "doc._.evidence"])
def chart_resolve(doc: Doc) -> Doc:
    """One validated value per field (see ``resolve``)."""
    codes = doc.user_data.get("codes", [])
    today = doc.user_data.get("today")
    order = doc.user_data.get("date_order")
    doc._.extraction, doc._.evidence = resolve(
        doc._.candidates or [], codes, today if isinstance(today, date) else None,
        order if order in ("mdy", "dmy") else None)
    return doc


def whitespace_tokenizer() -> Callable[[Language], Tokenizer]:
    """Whitespace-only tokens (no prefix, suffix, infix or exception rules).

    The rules work on characters and lines, so English affix splitting buys nothing, and
    spaCy's own Cython tokenizer without rules is twice as fast as splitting in Python.
    The text round-trips exactly; runs of whitespace other than one blank become tokens.
    Named in the config, it also spares building the English tokenizer's 2,000 special
    cases only to replace it (80 ms of every process start).
    """
    return lambda nlp: Tokenizer(nlp.vocab)


registry.tokenizers.register("chartvault.whitespace_tokenizer.v1", func=whitespace_tokenizer)


def build() -> Language:
    """The extraction pipeline (no statistical components, nothing downloaded).

    Its vocabulary computes no lexical attributes: the rules read characters, never a
    token's shape, case or number-likeness, and English's getters ran in Python for every
    new word (most words of a new document: names, numbers, dates), 15 % of extraction.
    """
    nlp = spacy.blank("en", vocab=Vocab(), config={
        "nlp": {"tokenizer": {"@tokenizers": "chartvault.whitespace_tokenizer.v1"}}})
    nlp.add_pipe("chart_fields")
    nlp.add_pipe("chart_codes")
    nlp.add_pipe("chart_resolve")
    return nlp


def make_doc(nlp: Language, text: str, today: date | None = None) -> Doc:
    """A tokenised Doc that carries its raw text (and a fixed 'today' for tests)."""
    doc = nlp.make_doc(text)
    doc.user_data["text"] = text
    if today is not None:
        doc.user_data["today"] = today
    return doc


def run_with_evidence(nlp: Language, text: str, today: date | None = None) -> tuple[Any, Any]:
    """(Extraction, evidence) of one text: what calibration counts."""
    doc = nlp(make_doc(nlp, text, today))
    return doc._.extraction, doc._.evidence
