"""Release of information at scale: a 500-document package, and FHIR search at 100,000.

    python benchmarks/release.py [--docs 500] [--catalog-docs 100000] [--queries 200]

1. Files ``--docs`` one-page born-digital PDFs of one patient through ``file_document``
   (the born-digital ingest's filing path, no OCR), then fulfils one request for all of
   them through the service as a records manager: BagIt bag (originals, searchable PDFs,
   metadata, FHIR Bundle; validated by ``bagit``), combined stamped PDF, AES zip. The
   searchable PDFs are put in place first, as a site that builds them off the ingest path
   has them (``chartvault.renditions``); building one cold is timed apart on a few
   documents (``rendition_cold_s``). Memory is sampled during the fulfilment.
2. Bulk-inserts catalog rows up to ``--catalog-docs`` documents (10 per patient, pointing
   at the stored originals of step 1), then times ``GET /fhir/DocumentReference`` by
   patient (and by type and date for a third of the queries) against a real uvicorn
   server with an EHR's API token: auth, query, SHA-1 (cached after the first read), the
   ``fhir.resources`` validation and the audit event are all inside the time.

Last line: ``RELEASE docs=.. seconds=.. peak_rss_mb=.. fhir_p95_ms=..``
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from chartvault.auth.roles import Role
from chartvault.catalog.names import name_columns
from chartvault.catalog.schema import documents
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
from chartvault.release import bag
from chartvault.renditions import rendition_key
from tests.support.world import World, build_world

MRN = "BENCH0001"
TYPES = [("progress_note", "11506-3"), ("discharge_summary", "18842-5"),
         ("imaging_report", "18748-4"), ("lab_report", "11502-2")]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class Sampler(threading.Thread):
    """Highest resident set seen while running."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mb()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())


def small_pdf(n: int, doc_type: str) -> bytes:
    """A one-page letter PDF with a text layer (a born-digital record)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=True)
    c.setFont("Helvetica", 11)
    y = 720
    for line in (f"{doc_type.replace('_', ' ').title()}  #{n}", "Patient: Benchmark, Pat",
                 f"MRN: {MRN}", "Assessment: stable; follow up in 3 months.",
                 "Plan: continue current medication; labs before next visit."):
        c.drawString(72, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def file_records(w: World, n: int, scratch: Path) -> list[str]:
    ids = []
    for i in range(n):
        doc_type, loinc = TYPES[i % len(TYPES)]
        data = small_pdf(i, doc_type)
        src = scratch / f"b{i}.pdf"
        src.write_bytes(data)
        sha = sha256_hex(data)
        served = date(2015, 1, 1) + timedelta(days=i * 7)
        u = Understanding(Classification(doc_type=doc_type, loinc=loinc, confidence=0.95),
                          Extraction(patient=Patient(family="Benchmark", given="Pat", mrn=MRN,
                                                     birth_date=date(1960, 5, 5), sex="F"),
                                     service_date=served, author="Alex Carter"), False, ())
        filed = file_document(
            store=w.store, catalog=w.catalog, source=src, sha256=sha, doc_id=sha[:24],
            pages=[PageText(index=0, method="text_layer", text=f"{doc_type} {i}")],
            understanding=u, routing=Routing(intake="default", facility="Main Facility",
                                             jurisdiction="US"),
            provenance=Provenance(intake="default", batch_id="bench", source_format="pdf_text",
                                  captured_at=datetime.now(UTC), page_count=1,
                                  size_bytes=len(data)),
            retention=Retention(policy_id="chartvault-default", policy_version="1",
                                rule_id="adult-10y.v1", retention_class="adult",
                                retain_until=date(2090, 1, 1), action="destroy"),
            models={}, actor="svc:bench")
        src.unlink()
        ids.append(filed.doc_id)
    return ids


def package_phase(w: World, ids: list[str], out: Path) -> tuple[float, float, float, int]:
    from chartvault import renditions

    t = time.perf_counter()
    cold = ids[:3]
    for doc_id in cold:  # the real thing, timed apart
        renditions.build(w.catalog, w.store, doc_id, "svc:bench")
    cold_s = (time.perf_counter() - t) / len(cold)
    for doc_id in ids[len(cold):]:  # renditions present, as built off the ingest path
        row = w.catalog.get(doc_id)
        assert row is not None
        w.store.put(rendition_key(doc_id), w.store.get(row["original_key"]),
                    content_type="application/pdf")
    rm = w.person("rm.bench", Role.RECORDS_MANAGER)
    req = w.service.release_request(rm, requester_kind="patient", requester_name="Pat Benchmark",
                                    purpose="own copy", mrn=MRN)
    w.service.release_review(rm, req.request_id)
    sampler = Sampler()
    before = sampler.peak
    sampler.start()
    t = time.perf_counter()
    got = w.service.release_fulfil(rm, req.request_id, out, encrypt_zip=True)
    seconds = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    assert len(got.package.doc_ids) == len(ids)
    t = time.perf_counter()
    bag.validate(got.package.bag)  # again, on its own
    validate_s = time.perf_counter() - t
    print(f"package: {len(ids)} docs in {seconds:.1f} s (bag re-validation alone "
          f"{validate_s:.1f} s), combined PDF {got.package.pages} pages; rss {before:.0f} MB "
          f"before, peak {sampler.peak:.0f} MB during; cold rendition {cold_s:.2f} s/doc")
    return seconds, sampler.peak, cold_s, got.package.pages


def seed_catalog(w: World, total: int, originals: list[str], rng: random.Random) -> list[str]:
    """Rows up to ``total`` documents, 10 per patient; returns the MRNs seeded."""
    have = w.catalog.search_count()
    rows_of = {d: w.catalog.get(d) for d in originals}
    now = datetime.now(UTC)
    mrns: list[str] = []
    batch: list[dict[str, object]] = []
    for i in range(have, total):
        if i % 10 == 0 or not mrns:
            mrns.append(f"P{i // 10:07d}")
        src = rows_of[originals[i % len(originals)]]
        assert src is not None
        doc_type, loinc = TYPES[i % len(TYPES)]
        doc_id = f"{i:024x}"
        served = date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000))
        batch.append({
            "doc_id": doc_id, "sha256": doc_id.ljust(64, "0"), "status": "archived",
            "doc_type": doc_type, "loinc": loinc, "type_confidence": 0.9, "needs_review": False,
            "review_reasons": [], "facility": "Main Facility", "jurisdiction": "US",
            "intake": "default", "batch_id": "seed", "mrn": mrns[-1],
            "patient_family": f"Fam{i // 10}", "patient_given": "Pat",
            **name_columns(f"Fam{i // 10}", "Pat"), "birth_date": date(1960, 1, 1),
            "sex": "F", "service_date": served, "document_date": served, "codes": {},
            "author": "Alex Carter", "pages": 1, "source_format": "pdf_text",
            "size_bytes": src["size_bytes"], "captured_at": now, "ingested_at": now,
            "ingested_by": "seed", "manifest_key": src["manifest_key"],
            "original_key": src["original_key"], "legal_hold": False})
        if len(batch) >= 5000:
            with w.catalog.transaction() as conn:
                conn.execute(insert(documents), batch)
            batch.clear()
    if batch:
        with w.catalog.transaction() as conn:
            conn.execute(insert(documents), batch)
    return mrns


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def fhir_phase(w: World, total: int, originals: list[str], queries: int) -> tuple[float, float]:
    import httpx

    from tests.support.web import serving

    rng = random.Random(17)
    t = time.perf_counter()
    mrns = seed_catalog(w, total, originals, rng)
    print(f"catalog: {w.catalog.search_count()} documents ({time.perf_counter() - t:.1f} s "
          "to seed)")
    ehr = w.person("ehr.bench", Role.EHR)
    token = w.service.create_token(ehr, Role.EHR, days=1).bearer
    head = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    pat_ms: list[float] = []
    doc_ms: list[float] = []
    with serving(w) as base, httpx.Client(base_url=f"{base}/fhir", headers=head) as client:
        client.get("/metadata")
        for q in range(queries):
            mrn = rng.choice(mrns)
            t = time.perf_counter()
            r = client.get("/Patient", params={"identifier": mrn})
            pat_ms.append((time.perf_counter() - t) * 1000)
            pid = r.json()["entry"][0]["resource"]["id"]
            params: dict[str, str] = {"patient": pid}
            if q % 3 == 1:
                params["type"] = "http://loinc.org|" + TYPES[q % len(TYPES)][1]
            if q % 3 == 2:
                params["date"] = f"ge{2000 + q % 20}"
            t = time.perf_counter()
            r = client.get("/DocumentReference", params=params)
            doc_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
    print(f"fhir: {queries} Patient searches p95 {p95(pat_ms):.1f} ms; {queries} "
          f"DocumentReference searches p95 {p95(doc_ms):.1f} ms, median "
          f"{statistics.median(doc_ms):.1f} ms")
    return p95(doc_ms), p95(pat_ms)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--catalog-docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cv-release-bench-") as tmp:
        root = Path(tmp)
        w = build_world(root)
        scratch = root / "scratch"
        scratch.mkdir()
        t = time.perf_counter()
        ids = file_records(w, args.docs, scratch)
        print(f"filed {len(ids)} born-digital records in {time.perf_counter() - t:.1f} s")
        seconds, peak, _, _ = package_phase(w, ids, root / "out")
        fhir_p95, _ = fhir_phase(w, args.catalog_docs, ids[:100], args.queries)
        w.catalog.close()
    whole_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak rss {whole_peak:.0f} MB (seeding included)")
    print(f"RELEASE docs={args.docs} seconds={seconds:.1f} peak_rss_mb={peak:.0f} "
          f"fhir_p95_ms={fhir_p95:.1f}")


if __name__ == "__main__":
    main()
