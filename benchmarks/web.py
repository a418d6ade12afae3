"""Server time of the auditors' pages over 100,000 catalogued documents.

    python benchmarks/web.py [--docs 100000] [--queries 200]

Seeds a SQLite catalog with ``Catalog.bulk_insert`` (realistic names from Faker's
pools, MRNs, birth and service dates, a short text each; no OCR), writes manifests for
the documents the benchmark opens, signs an auditor in, and serves the real app with
uvicorn. It then times, inside the app (a middleware around each request), the search
page for a misspelt name (one letter of the family name changed, or the two names
swapped with a comma) and for an MRN, and the document page (manifest read, view
audited with its purpose). Last line: ``WEB docs=.. p95_ms_search=.. p95_ms_document=..``
(search: the worse of the name and MRN searches).
"""

from __future__ import annotations

import argparse
import html
import random
import statistics
import string
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn
from faker import Faker

from chartvault.catalog import Catalog
from chartvault.model import (
    Classification,
    Extraction,
    Manifest,
    ObjectRef,
    Patient,
    Provenance,
    Routing,
)
from chartvault.service import Service
from chartvault.settings import Settings
from chartvault.web import create_app
from storage.local import LocalObjectStore

TYPES = ("progress_note", "discharge_summary", "lab_report", "imaging_report",
         "consultation_note", "operative_note")


def seed(catalog: Catalog, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """``n`` document rows of ~n/4 patients; returns the rows."""
    fake = Faker("en_US")
    fake.seed_instance(7)
    families = list({fake.last_name() for _ in range(5000)})
    givens = list({fake.first_name() for _ in range(5000)})
    patients = [(rng.choice(families), rng.choice(givens), f"{rng.randint(10**6, 10**8)}",
                 date(1930, 1, 1) + timedelta(days=rng.randint(0, 30000)))
                for _ in range(max(n // 4, 1))]
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    texts: list[tuple[str, str]] = []
    for i in range(n):
        fam, giv, mrn, born = rng.choice(patients)
        doc_id = f"{i:024x}"
        served = date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000))
        row = {
            "doc_id": doc_id, "sha256": doc_id.ljust(64, "0"), "status": "archived",
            "doc_type": rng.choice(TYPES), "loinc": None, "type_confidence": 0.9,
            "needs_review": False, "review_reasons": [], "facility": "F1",
            "jurisdiction": "US", "intake": "default", "batch_id": "seed", "mrn": mrn,
            "patient_family": fam, "patient_given": giv, "birth_date": born, "sex": "F",
            "service_date": served, "document_date": served, "codes": {}, "pages": 2,
            "source_format": "pdf_scan", "size_bytes": 100000, "captured_at": now,
            "ingested_at": now - timedelta(days=rng.randint(0, 60)), "ingested_by": "seed",
            "manifest_key": f"records/{doc_id}/manifest.json",
            "original_key": f"records/{doc_id}/original.pdf", "legal_hold": False}
        batch.append(row)
        texts.append((doc_id, f"visit {i} chest pain follow up blood pressure "
                      + " ".join(rng.choices(string.ascii_lowercase, k=30))))
        out.append(row)
        if len(batch) >= 2000:
            catalog.bulk_insert(batch, texts)
            batch, texts = [], []
    if batch:
        catalog.bulk_insert(batch, texts)
    return out


def write_manifest(store: LocalObjectStore, row: dict[str, Any]) -> None:
    """The manifest the document page reads (the original itself is not needed)."""
    ref = ObjectRef(key=row["original_key"], sha256=row["sha256"], size=row["size_bytes"],
                    content_type="application/pdf")
    m = Manifest(
        doc_id=row["doc_id"], sha256=row["sha256"],
        routing=Routing(intake="default", facility="F1", jurisdiction="US"),
        provenance=Provenance(intake="default", batch_id="seed", captured_at=row["captured_at"],
                              source_format="pdf_scan", page_count=2, size_bytes=100000),
        classification=Classification(doc_type=row["doc_type"], loinc=None, confidence=0.9),
        extraction=Extraction(patient=Patient(family=row["patient_family"],
                                              given=row["patient_given"], mrn=row["mrn"],
                                              birth_date=row["birth_date"]),
                              service_date=row["service_date"]),
        needs_review=False, objects={"original": ref}, pages=2, models={},
        ingested_at=row["ingested_at"], ingested_by="seed")
    store.put(row["manifest_key"], m.model_dump_json().encode(),
              content_type="application/json")


def misspelt(rng: random.Random, family: str, given: str) -> str:
    """A name as an auditor might mistype it."""
    if rng.random() < 0.3 or len(family) < 4:
        return f"{given} {family}"
    at = rng.randint(1, len(family) - 1)
    typo = family[:at] + rng.choice("aeiourstnl") + family[at + 1:]
    return f"{typo}, {given}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        settings.ensure_data_dir()
        catalog = Catalog(settings.sqlalchemy_url)
        catalog.create()
        t0 = time.perf_counter()
        rows = seed(catalog, args.docs, rng)
        seed_s = time.perf_counter() - t0
        store = LocalObjectStore(settings.objects_dir)
        opened = rng.sample(rows, min(args.queries, len(rows)))
        for row in opened:
            write_manifest(store, row)
        service = Service(catalog, store, settings)
        boot = service.bootstrap("admin")
        import pyotp

        assert boot.one_time_password and boot.totp_secret
        admin = service.sign_in("admin", boot.one_time_password,
                                pyotp.TOTP(boot.totp_secret).now(),
                                new_password="benchmark admin password 1").bearer
        from chartvault.auth.roles import Role

        got = service.create_account(admin, "auditor", (Role.AUDITOR,), ())
        assert got.one_time_password
        bearer = service.sign_in("auditor", got.one_time_password,
                                 new_password="benchmark auditor password 1").bearer

        app = create_app(settings, service)
        timings: dict[str, list[float]] = {}
        current = {"kind": ""}

        @app.middleware("http")
        async def _time(request: Any, call_next: Any) -> Any:
            t = time.perf_counter()
            response = await call_next(request)
            timings.setdefault(current["kind"], []).append((time.perf_counter() - t) * 1000)
            return response

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                               log_level="warning", access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        names = [misspelt(rng, r["patient_family"], r["patient_given"]) for r in opened]
        found = 0
        with httpx.Client(base_url=base, cookies={"cv_session": bearer}, timeout=60) as web:
            plan = [("warm", "/search", {"mrn": r["mrn"]}, r) for r in opened[:5]]
            plan += [("name", "/search", {"name": n}, r)
                     for n, r in zip(names, opened, strict=True)]
            plan += [("mrn", "/search", {"mrn": r["mrn"]}, r) for r in opened]
            plan += [("document", f"/documents/{r['doc_id']}", {"purpose": "audit"}, r)
                     for r in opened]
            for kind, path, params, row in plan:
                current["kind"] = kind
                resp = web.get(path, params=params)
                assert resp.status_code == 200, (kind, resp.status_code)
                wanted = html.escape(f"{row['patient_family']}, {row['patient_given']}")
                if kind == "name" and wanted in resp.text:
                    found += 1
        server.should_exit = True
        catalog.close()
    for kind in ("name", "mrn", "document"):
        v = timings[kind]
        print(f"{kind:8s} n={len(v)} median={statistics.median(v):.1f} ms p95={p95(v):.1f} ms "
              f"max={max(v):.1f} ms")
    print(f"misspelt names found: {found}/{len(names)}; seeded {args.docs} documents in "
          f"{seed_s:.1f} s")
    search = max(p95(timings["name"]), p95(timings["mrn"]))
    print(f"WEB docs={args.docs} p95_ms_search={search:.1f} "
          f"p95_ms_document={p95(timings['document']):.1f}")


if __name__ == "__main__":
    main()
