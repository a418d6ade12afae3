"""Filing a document: objects in storage, then one catalog transaction.

Order matters for the invariants: original, text and OCR words are written and verified
first, the immutable manifest last (its presence means the record is complete); then the
catalog row, the full-text row and the audit event commit together, with the outbox
rows of the steps that must follow (patient holds, retention extensions). Only after
that may the intake copy go. Every step is keyed by doc_id and idempotent, so a rerun
after a crash finishes the job without a second copy.

This is the one module that builds object keys. They carry the document id and the
stored type, which comes from the file's bytes (``SourceFormat``), never its name.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Literal

from chartvault.catalog import Catalog
from chartvault.catalog.custody import add_steps
from chartvault.errors import IntegrityError, QuarantineError, QuarantineReason
from chartvault.model import (
    Manifest,
    ObjectRef,
    PageText,
    Provenance,
    Retention,
    Routing,
    SourceFormat,
)
from chartvault.pipeline import crash
from chartvault.pipeline.understand import Understanding
from storage.base import ObjectStore

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def record_prefix(doc_id: str) -> str:
    """Key prefix of a record: ids only, never names or MRNs."""
    return f"records/{doc_id}/"


# extension and content type of each stored type (the format sniffed from the bytes)
_STORED: dict[str, tuple[str, str]] = {
    "pdf_text": (".pdf", "application/pdf"),
    "pdf_scan": (".pdf", "application/pdf"),
    "pdf_mixed": (".pdf", "application/pdf"),
    "tiff": (".tif", "image/tiff"),
    "png": (".png", "image/png"),
    "jpeg": (".jpg", "image/jpeg"),
}


def stored_type(fmt: SourceFormat | str) -> tuple[str, str]:
    """(extension, content type) of an original of format ``fmt``."""
    return _STORED.get(str(fmt), ("", "application/octet-stream"))


def original_key(doc_id: str, fmt: SourceFormat | str) -> str:
    """Key of a record's original: id and the type of its bytes, nothing from its name."""
    return record_prefix(doc_id) + "original" + stored_type(fmt)[0]


@dataclass(frozen=True)
class Filed:
    """Outcome of filing one document."""

    doc_id: str
    status: Literal["archived", "duplicate"]
    doc_type: str
    pages: int
    needs_review: bool
    ext: str = ""  # extension of the stored type, for a kept processed copy


def _tags(u: Understanding, retention: Retention | None) -> dict[str, str]:
    tags = {"doc_type": u.classification.doc_type, "needs_review": str(u.needs_review).lower()}
    if retention is not None:
        tags["retention_class"] = retention.retention_class[:256]
        tags["policy_version"] = f"{retention.policy_id}@{retention.policy_version}"[:256]
        until = retention.retain_until
        tags["destroy_after"] = until.isoformat() if until else "never"
    tags["legal_hold"] = "false"
    return tags


def _lock_until(retention: Retention | None) -> datetime | None:
    if retention is None or retention.retain_until is None:
        return None
    return datetime.combine(retention.retain_until, time(0), tzinfo=UTC)


def ocr_payload(pages: list[PageText]) -> bytes:
    """Word boxes of the one OCR pass, kept so a searchable PDF needs no second OCR."""
    return json.dumps(
        {"schema_version": 1, "pages": [p.model_dump(mode="json") for p in pages]},
        separators=(",", ":"),
    ).encode()


def file_document(
    *,
    store: ObjectStore,
    catalog: Catalog,
    source: Path,
    sha256: str,
    doc_id: str,
    pages: list[PageText],
    understanding: Understanding,
    routing: Routing,
    provenance: Provenance,
    retention: Retention | None,
    models: dict[str, str],
    actor: str,
) -> Filed:
    """Store and catalogue one document (idempotent by doc_id)."""
    u = understanding
    ext, content_type = stored_type(provenance.source_format)
    row = catalog.get(doc_id)
    if row is not None:
        if row["status"] == "destroyed":
            # Never a silent duplicate: the record was destroyed under a plan; the
            # same bytes arriving again are set aside for a person to decide.
            raise QuarantineError(QuarantineReason.DESTROYED_RECORD,
                                  f"the same bytes as destroyed record {doc_id}")
        _check_archived_copy(store, row["manifest_key"], doc_id, sha256)
        catalog.audit(actor, "ingest", [doc_id], outcome="duplicate",
                      detail={"batch_id": provenance.batch_id})
        log.info("document %s already archived; duplicate input", doc_id)
        return Filed(doc_id, "duplicate", u.classification.doc_type, len(pages), u.needs_review,
                     ext)

    prefix = record_prefix(doc_id)
    tags = _tags(u, retention)
    lock = _lock_until(retention)
    text = "\f".join(p.text for p in pages)
    objects: dict[str, ObjectRef] = {
        "original": store.put(original_key(doc_id, provenance.source_format), source,
                              content_type=content_type, tags=tags, retain_until=lock),
        "text": store.put(prefix + "text.txt", text.encode(), content_type="text/plain",
                          tags=tags, retain_until=lock),
        "ocr": store.put(prefix + "ocr.json", ocr_payload(pages),
                         content_type="application/json", tags=tags, retain_until=lock),
    }
    if objects["original"].sha256 != sha256:
        raise RuntimeError(f"document {doc_id}: stored original does not match its hash")
    crash.point("objects-no-manifest")
    manifest_key = prefix + MANIFEST
    if store.head(manifest_key) is not None:
        # A run stopped after the manifest was written but before the catalog row: the
        # manifest is immutable, so catalogue the one in storage rather than a new one.
        manifest = Manifest.model_validate_json(store.get(manifest_key))
    else:
        manifest = _new_manifest(doc_id, sha256, routing, provenance, u, retention, objects,
                                 len(pages), models, actor)
        store.put(manifest_key, manifest.model_dump_json(indent=2).encode(),
                  content_type="application/json", tags=tags, retain_until=lock)
    crash.point("manifest-no-row")
    with catalog.transaction() as conn:
        catalog.record_document(conn, manifest, manifest_key, text)
        add_steps(conn, doc_id)
        catalog.audit(
            actor, "ingest", [doc_id], outcome="archived",
            detail={"batch_id": provenance.batch_id, "sha256": sha256,
                    "needs_review": u.needs_review},
            conn=conn,
        )
    crash.point("after-commit")
    log.info("archived %s type=%s pages=%d review=%s", doc_id, u.classification.doc_type,
             len(pages), u.needs_review)
    return Filed(doc_id, "archived", u.classification.doc_type, len(pages), u.needs_review, ext)


def _check_archived_copy(store: ObjectStore, manifest_key: str, doc_id: str,
                         sha256: str) -> None:
    """Before a duplicate's intake copy may go: the catalogued record's original is there."""
    info = store.head(manifest_key)
    if info is None:
        raise IntegrityError(f"document {doc_id}: catalogued but its manifest is missing")
    manifest = Manifest.model_validate_json(store.get(manifest_key))
    ref = manifest.objects.get("original")
    head = store.head(ref.key) if ref is not None else None
    if ref is None or head is None or ref.sha256 != sha256:
        raise IntegrityError(f"document {doc_id}: catalogued but its original is missing")


def _new_manifest(
    doc_id: str,
    sha256: str,
    routing: Routing,
    provenance: Provenance,
    u: Understanding,
    retention: Retention | None,
    objects: dict[str, ObjectRef],
    pages: int,
    models: dict[str, str],
    actor: str,
) -> Manifest:
    return Manifest(
        doc_id=doc_id,
        sha256=sha256,
        routing=routing,
        provenance=provenance,
        classification=u.classification,
        extraction=u.extraction,
        needs_review=u.needs_review,
        review_reasons=u.review_reasons,
        retention=retention,
        objects=objects,
        pages=pages,
        models=models,
        ingested_at=datetime.now(UTC),
        ingested_by=actor,
    )
