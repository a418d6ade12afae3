"""Metadata extraction: patient identity, dates, author, facility, codes (spaCy rules)."""

from __future__ import annotations

from collections.abc import Sequence

from chartvault.model import Extraction
from extractors.metadata.pipeline import build

MAX_CHARS = 40000  # identity and dates live in the head and the signature


def _clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[: MAX_CHARS - 5000] + "\n" + text[-5000:]


class MetadataExtractor:
    """Text -> Extraction, with per-field confidence and validation flags."""

    name = "chart-metadata"
    version = "1.0.0"

    def __init__(self) -> None:
        self.nlp = build()

    def extract(self, text: str) -> Extraction:
        """Fields of one document."""
        result: Extraction = self.nlp(_clip(text))._.extraction
        return result

    def extract_many(self, texts: Sequence[str]) -> list[Extraction]:
        """Fields of many documents."""
        return [d._.extraction for d in self.nlp.pipe(_clip(t) for t in texts)]
