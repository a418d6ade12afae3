"""Metadata extraction: patient identity, dates, author, facility, codes (spaCy rules).

``MetadataExtractor`` is the seam implementation used by ingest and ``analyze``. Modules:
``labels`` (form labels), ``fields`` (candidates by layout), ``cells`` (colon-less labels
and unlabelled identity blocks in the form head), ``bands`` (unlabelled names in labelled
rows), ``given_names`` (the lexicon that tells a name from a title), ``normalise``
(dates, names, MRN, NPI and code validators), ``resolve`` (choice, validation, flags),
``calibration`` (confidence table built from generated documents of every layout family),
``pipeline`` (the spaCy components).
"""

from __future__ import annotations

from collections.abc import Sequence

from chartvault.model import Extraction
from extractors.metadata import given_names
from extractors.metadata.pipeline import build, make_doc

MAX_CHARS = 40000  # identity and dates live in the head and the signature


def _clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[: MAX_CHARS - 5000] + "\n" + text[-5000:]


class MetadataExtractor:
    """Text -> Extraction, with calibrated per-field confidence and validation flags."""

    name: str = "chart-metadata"
    version: str = "1.4.0"

    def __init__(self) -> None:
        self.nlp = build()
        given_names.load()  # Faker's name lists load with the models, not in a document

    def extract(self, text: str) -> Extraction:
        """Fields of one document."""
        result: Extraction = self.nlp(make_doc(self.nlp, _clip(text)))._.extraction
        return result

    def extract_many(self, texts: Sequence[str]) -> list[Extraction]:
        """Fields of many documents (one ``nlp.pipe`` pass)."""
        docs = (make_doc(self.nlp, _clip(t)) for t in texts)
        return [d._.extraction for d in self.nlp.pipe(docs, batch_size=64)]
