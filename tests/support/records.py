"""Born-digital records of chosen type, date and patient, filed without OCR.

Like ``world.file_doc`` but with the facts a release scope looks at (type, service date,
MRN, author): the PDF comes from the synthetic generator, the understanding is given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from chartvault.model import (
    Classification,
    Extraction,
    PageText,
    Patient,
    Provenance,
    Retention,
    Routing,
    sha256_hex,
)
from chartvault.pipeline.archive import file_document
from chartvault.pipeline.understand import Understanding
from chartvault.taxonomy import loinc_for
from tests.support.world import World


def file_record(world: World, n: int, *, doc_type: str = "progress_note",
                served: date | None = None, mrn: str = "MRN500", family: str = "Testperson",
                given: str = "Ann", author: str | None = "Alex Carter",
                facility: str = "Main Facility") -> str:
    """File one one-page born-digital record; returns its id."""
    from chartvault.synth.content import make_document
    from chartvault.synth.render import render

    src = world.settings.data_dir / "src" / f"rec{n}.pdf"
    src.parent.mkdir(parents=True, exist_ok=True)
    render(make_document(7000 + n, doc_type), "pdf_text", src, seed=n)
    data = src.read_bytes()
    sha = sha256_hex(data)
    u = Understanding(
        Classification(doc_type=doc_type, loinc=loinc_for(doc_type), confidence=0.95),
        Extraction(patient=Patient(family=family, given=given, mrn=mrn,
                                   birth_date=date(1970, 1, 2), sex="F"),
                   service_date=served, author=author, author_npi="1234567893"),
        False, ())
    filed = file_document(
        store=world.store, catalog=world.catalog, source=src, sha256=sha, doc_id=sha[:24],
        pages=[PageText(index=0, method="text_layer", text=f"{doc_type} record {n}")],
        understanding=u,
        routing=Routing(intake="default", facility=facility, jurisdiction="US"),
        provenance=Provenance(intake="default", batch_id="b-rel", source_format="pdf_text",
                              captured_at=datetime.now(UTC), page_count=1,
                              size_bytes=len(data)),
        retention=Retention(policy_id="chartvault-default", policy_version="1",
                            rule_id="adult-10y.v1", retention_class="adult",
                            retain_until=date(2090, 1, 1), action="destroy"),
        models={}, actor="svc:ingest")
    src.unlink()
    world.doc_ids.append(filed.doc_id)
    return filed.doc_id
