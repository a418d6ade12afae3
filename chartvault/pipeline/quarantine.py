"""Quarantine: inputs that cannot be archived are set aside with a reason, never lost.

Each quarantined file gets a folder ``<data_dir>/quarantine/<quarantine_id>/`` holding
the untouched file (``original``) and ``reason.json`` (machine-readable reason code, a
readable explanation, detail, original name, hashes), plus a catalog row and an audit
event. The run goes on.

Order: ``reason.json``, then the catalog row and audit event, then the move. A crash
after the row leaves the file in custody, where ``finish_pending`` completes the move at
the next start: the quarantine list never misses a file that left custody. Only regular
files are kept, by a rename (or a copy, across file systems): a symbolic link, FIFO or
device is recorded and removed, never kept as a link and never followed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chartvault.catalog import Catalog
from chartvault.catalog.custody import has_quarantine
from chartvault.errors import READABLE_REASONS, QuarantineReason
from chartvault.pipeline import crash
from chartvault.pipeline.intake import Claim

log = logging.getLogger(__name__)

KEPT = "original"


@dataclass(frozen=True)
class Quarantined:
    """Outcome of quarantining one file."""

    quarantine_id: str
    reason: QuarantineReason
    detail: str


def file_sha256(path: Path) -> str:
    """SHA-256 of a regular file, streamed (links are not followed)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError("not a regular file")
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quarantine_id(claim: Claim) -> str:
    """The quarantine id of a claim (stable: a crashed quarantine is finished, not redone)."""
    return f"q-{claim.claim_id}"


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
    """Record a claimed file as quarantined, then move it to quarantine."""
    src = claim.source
    st = src.lstat()
    regular = stat.S_ISREG(st.st_mode)
    sha: str | None = None
    if regular:
        try:
            sha = file_sha256(src)
        except OSError:  # unreadable: kept all the same, without a hash
            sha = None
    qid = quarantine_id(claim)
    folder = data_dir / "quarantine" / qid
    folder.mkdir(parents=True, exist_ok=True)
    info = claim.info()
    reason_doc = {
        "quarantine_id": qid,
        "reason": reason.value,
        "explanation": READABLE_REASONS.get(reason, reason.value),
        "detail": detail,
        "sha256": sha,
        "size": st.st_size if regular else None,
        "kept": KEPT if regular else None,
        "intake": claim.intake,
        "batch_id": batch_id,
        "original_name": info.get("original_name"),
        "claimed_at": info.get("claimed_at"),
        "quarantined_at": datetime.now(UTC).isoformat(),
    }
    tmp = folder / "reason.json.tmp"
    tmp.write_text(json.dumps(reason_doc, indent=2))
    tmp.replace(folder / "reason.json")
    if not has_quarantine(catalog, qid):
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
    crash.point("quarantine-after-row")
    _move(claim, folder)
    log.info("quarantined %s reason=%s", qid, reason.value)
    return Quarantined(quarantine_id=qid, reason=reason, detail=detail)


def _move(claim: Claim, folder: Path) -> None:
    """The claimed entry into ``folder`` (a copy of a file, never a link); claim removed."""
    src = claim.source
    dest = folder / KEPT
    if stat.S_ISREG(src.lstat().st_mode):
        try:
            os.rename(src, dest)
        except OSError:  # another file system: copy the bytes, then let go of the claim
            tmp = folder / (KEPT + ".tmp")
            with open(src, "rb") as f, open(tmp, "wb") as out:
                shutil.copyfileobj(f, out)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(dest)
    shutil.rmtree(claim.folder)  # a link or FIFO goes with it: never kept, never followed


def finish_pending(claims: list[Claim], data_dir: Path, catalog: Catalog) -> list[Claim]:
    """Complete quarantines a crash interrupted; returns the claims still to process."""
    rest = []
    for claim in claims:
        qid = quarantine_id(claim)
        folder = data_dir / "quarantine" / qid
        if has_quarantine(catalog, qid) and (folder / "reason.json").exists():
            _move(claim, folder)
            log.info("quarantine %s finished after an interrupted run", qid)
        else:
            rest.append(claim)
    return rest
