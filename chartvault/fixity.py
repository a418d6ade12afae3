"""Fixity: re-read every archived object and compare it with the recorded SHA-256.

Like Archivematica's fixity checks: reports objects that are missing, changed (hash
differs from the manifest), and untracked (in storage under ``records/`` but named by
no manifest or event). Reads every byte, so it is a scheduled flow, not a hot path.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from chartvault.catalog import Catalog
from chartvault.catalog.schema import documents
from chartvault.model import Manifest
from storage.base import ObjectStore

log = logging.getLogger(__name__)


@dataclass
class FixityReport:
    """Outcome of one fixity pass; keys and ids only."""

    documents: int = 0
    objects: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No missing, changed or untracked object."""
        return not (self.missing or self.changed or self.untracked)


def _sha(store: ObjectStore, key: str, scratch: Path) -> str:
    dest = scratch / "obj"
    digest = store.download(key, dest)
    dest.unlink(missing_ok=True)
    return digest


def verify(catalog: Catalog, store: ObjectStore, actor: str) -> FixityReport:
    """Check every archived document's objects; records an audit event."""
    report = FixityReport()
    known: set[str] = set()
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(documents.c.doc_id, documents.c.manifest_key, documents.c.sha256)
            .where(documents.c.status != "destroyed")
        ).all()
    with tempfile.TemporaryDirectory(prefix="cv-fixity-") as tmp:
        scratch = Path(tmp)
        for _doc_id, manifest_key, sha in rows:
            report.documents += 1
            known.add(manifest_key)
            if store.head(manifest_key) is None:
                report.missing.append(manifest_key)
                continue
            raw = store.get(manifest_key)
            manifest = Manifest.model_validate_json(raw)
            report.objects += 1
            report.bytes += len(raw)
            if manifest.sha256 != sha:
                report.changed.append(manifest_key)
            for ref in manifest.objects.values():
                known.add(ref.key)
                info = store.head(ref.key)
                if info is None:
                    report.missing.append(ref.key)
                    continue
                report.objects += 1
                report.bytes += info.size
                if _sha(store, ref.key, scratch) != ref.sha256:
                    report.changed.append(ref.key)
    for key in store.list("records/"):
        if key not in known and "/events/" not in key and not key.endswith("/rendition.pdf"):
            report.untracked.append(key)
    catalog.audit(
        actor, "fixity", outcome="ok" if report.ok else "failed",
        detail={"documents": report.documents, "objects": report.objects,
                "missing": len(report.missing), "changed": len(report.changed),
                "untracked": len(report.untracked)},
    )
    log.info("fixity: %d documents, %d objects, %d missing, %d changed, %d untracked",
             report.documents, report.objects, len(report.missing), len(report.changed),
             len(report.untracked))
    return report

