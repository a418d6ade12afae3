"""Patient registry (master patient index): import, in-memory index, document linking.

``fhir`` reads FHIR R4 ``Patient`` resources (Bulk Data NDJSON), ``hl7`` reads HL7 v2 ADT
A04/A08 messages; both give ``PatientRecord``s that ``Registry`` indexes. ``link`` decides
whether a document's text names one registered patient beyond doubt. Plain typed code:
no Prefect, no catalog; the registry file is read once per process.
"""

from __future__ import annotations

from pathlib import Path

from extractors.registry.index import Registry
from extractors.registry.match import Link, link
from extractors.registry.model import Identifier, PatientRecord

__all__ = ["Identifier", "Link", "PatientRecord", "Registry", "link", "load"]


def load(path: Path) -> Registry:
    """A registry file, by its content: HL7 v2 messages (``MSH|...``) or FHIR NDJSON."""
    from extractors.registry import fhir, hl7

    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"MSH"):
        return Registry(hl7.read_adt(path))
    return Registry(fhir.read_ndjson(path))
