"""Quarantine: inputs that cannot be archived are set aside with a reason, never lost.

Each quarantined file gets a folder ``<data_dir>/quarantine/<quarantine_id>/`` holding
the untouched file and ``reason.json`` (machine-readable reason code, detail, original
name, hashes), plus a catalog row and an audit event. The run goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chartvault.catalog import Catalog
from chartvault.errors import QuarantineReason
from chartvault.pipeline.intake import Claim

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quarantined:
    """Outcome of quarantining one file."""

    quarantine_id: str
    reason: QuarantineReason
    detail: str


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quarantine_claim(
    claim: Claim,
    reason: QuarantineReason,
    detail: str,
    *,
    data_dir: Path,
    catalog: Catalog,
    batch_id: str,
    actor: str,
) -> Quarantined:
    """Move a claimed file to quarantine with its reason and record it."""
    src = claim.source
    sha = file_sha256(src)
    qid = f"q-{claim.claim_id}"
    folder = data_dir / "quarantine" / qid
    folder.mkdir(parents=True, exist_ok=True)
    info = claim.info()
    reason_doc = {
        "quarantine_id": qid,
        "reason": reason.value,
        "detail": detail,
        "sha256": sha,
        "size": src.stat().st_size,
        "intake": claim.intake,
        "batch_id": batch_id,
        "original_name": info.get("original_name"),
        "claimed_at": info.get("claimed_at"),
        "quarantined_at": datetime.now(UTC).isoformat(),
    }
    (folder / "reason.json").write_text(json.dumps(reason_doc, indent=2))
    shutil.move(str(src), folder / f"original{src.suffix}")
    with catalog.transaction() as conn:
        catalog.record_quarantine(
            conn,
            quarantine_id=qid,
            sha256=sha,
            at=datetime.now(UTC),
            batch_id=batch_id,
            intake=claim.intake,
            reason=reason.value,
            detail=detail,
            folder=str(folder.relative_to(data_dir)),
            resolved=False,
        )
        catalog.audit(
            actor,
            "quarantine",
            outcome=reason.value,
            detail={"quarantine_id": qid, "sha256": sha, "batch_id": batch_id},
            conn=conn,
        )
    shutil.rmtree(claim.folder)
    log.info("quarantined %s reason=%s", qid, reason.value)
    return Quarantined(quarantine_id=qid, reason=reason, detail=detail)
