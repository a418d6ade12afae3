"""Preview without archiving: the ingest steps up to the record, as JSON.

Runs the same page loading, OCR, classification and extraction as ingest, without
Prefect, storage or catalog, and prints one object per input in the schema of the
evaluation set (``../shared/eval/README.md``) so ``score.py`` reads it as is. The output
holds patient data by design: it goes to the user's terminal or file, never to logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chartvault.errors import QuarantineError
from chartvault.model import Classification, Extraction, PageText, Patient
from chartvault.pipeline.understand import (
    Understanding,
    apply_link,
    default_models,
    default_registry,
    understand,
)
from chartvault.settings import Settings
from extractors.pages import SourceInfo, inspect_source
from extractors.pool import PagePool

if TYPE_CHECKING:
    from extractors.registry import Registry


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def prediction(file: str, u: Understanding) -> dict[str, Any]:
    """What was understood of one document, in the evaluation schema plus extras."""
    ex = u.extraction
    p = ex.patient
    cls = u.classification
    return {
        "file": file,
        "doc_type": cls.doc_type,
        "loinc": cls.loinc,
        "patient": {
            "family": p.family,
            "given": p.given,
            "birth_date": _iso(p.birth_date),
            "sex": p.sex,
            "mrn": p.mrn,
        },
        "service_date": _iso(ex.service_date),
        "document_date": _iso(ex.document_date),
        "author": ex.author,
        "facility": ex.facility,
        "chartvault": {
            "type_confidence": round(cls.confidence, 4),
            "type_candidates": [[k, round(v, 4)] for k, v in cls.candidates],
            "needs_review": u.needs_review,
            "review_reasons": list(u.review_reasons),
            "admission_date": _iso(ex.admission_date),
            "discharge_date": _iso(ex.discharge_date),
            "author_npi": ex.author_npi,
            "icd10_codes": list(ex.icd10_codes),
            "cpt_codes": list(ex.cpt_codes),
            "confidence": {k: round(v, 4) for k, v in ex.confidence.items()},
            "flags": list(ex.flags),
        },
    }


def record_json(
    file: str, info: SourceInfo, pages: Sequence[PageText], u: Understanding
) -> dict[str, Any]:
    """One prediction in the evaluation schema, with pages, format and text."""
    record = prediction(file, u)
    extras = record.pop("chartvault")
    return {**record, "pages": len(pages), "format": info.format,
            "text": "\f".join(pg.text for pg in pages), "chartvault": extras}


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files named, and files under folders named, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = (q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
            out.extend(sorted(found))
        else:
            out.append(p)
    return out


def analyze(paths: Sequence[Path], settings: Settings) -> Iterator[dict[str, Any]]:
    """Yield one record per input file, in completion order."""
    files = expand(paths)
    infos: dict[str, tuple[str, SourceInfo]] = {}
    for i, path in enumerate(files):
        key = str(i)
        try:
            info = inspect_source(
                path,
                max_pages=settings.ocr.max_pages,
                max_bytes=int(settings.ocr.max_file_mb * (1 << 20)),
            )
        except QuarantineError as err:
            yield {"file": str(path), "error": {"reason": err.reason.value, "detail": err.detail}}
            continue
        infos[key] = (str(path), info)
    classifier, extractor = default_models(settings.classifier_model)
    registry = default_registry(settings.registry.path)
    options = settings.ocr.options()
    with PagePool(settings.ocr.worker_count(), options) as pool:
        for key, result in pool.run((k, info) for k, (_, info) in infos.items()):
            file, info = infos[key]
            if isinstance(result, QuarantineError):
                yield {"file": file, "error": {"reason": result.reason.value,
                                               "detail": result.detail}}
                continue
            text = "\f".join(pg.text for pg in result)
            u = understand(text, classifier, extractor, settings.review_threshold, result,
                           registry)
            yield record_json(file, info, result, u)


def _day(v: object) -> date | None:
    return date.fromisoformat(v) if isinstance(v, str) and v else None


def extraction_of(record: dict[str, Any]) -> Extraction:
    """The extraction a prediction was written from (``prediction`` loses nothing of it)."""
    p, extras = record["patient"], record["chartvault"]
    return Extraction(
        patient=Patient(family=p["family"], given=p["given"], birth_date=_day(p["birth_date"]),
                        sex=p["sex"], mrn=p["mrn"]),
        service_date=_day(record["service_date"]),
        document_date=_day(record["document_date"]),
        admission_date=_day(extras["admission_date"]),
        discharge_date=_day(extras["discharge_date"]),
        author=record["author"], author_npi=extras["author_npi"],
        facility=record["facility"], icd10_codes=tuple(extras["icd10_codes"]),
        cpt_codes=tuple(extras["cpt_codes"]), confidence=dict(extras["confidence"]),
        flags=tuple(extras["flags"]),
    )


def relink(record: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A prediction made without the registry, as it would have been made with it.

    ``understand`` links after everything else is decided, so applying the link to the
    saved extraction and review reasons gives the same record as a run with the registry,
    without OCR again (``benchmarks/eval_dev.py`` measures both settings on one OCR run).
    """
    if "error" in record:
        return record
    from extractors.registry import link

    ex = extraction_of(record)
    extras = record["chartvault"]
    ex, reasons = apply_link(link(record.get("text") or "", ex, registry), ex,
                             tuple(extras["review_reasons"]))
    cls = Classification(doc_type=record["doc_type"], loinc=record["loinc"],
                         confidence=extras["type_confidence"],
                         candidates=tuple((k, v) for k, v in extras["type_candidates"]))
    fresh = prediction(record["file"], Understanding(cls, ex, bool(reasons), reasons))
    out = {**record, **{k: v for k, v in fresh.items() if k != "chartvault"}}
    out["chartvault"] = {**extras, **fresh["chartvault"]}
    return out


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line."""
    return json.dumps(record, ensure_ascii=False)
