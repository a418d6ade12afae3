"""Handling a quarantined file: release it back to its intake folder, or purge it.

The folder ``<data_dir>/quarantine/<id>/`` that ``pipeline.quarantine`` made keeps its
``reason.json`` for ever; handling adds ``resolved.json`` (what was done, by whom, when,
why) and moves or deletes ``original``. ``resolved.json`` is written first, so a crash
between it and the catalog update is finished by handling the entry again (the file is
already gone: only the catalog row is left to mark), and ``catalog rebuild`` lists a
handled entry as resolved. The original name, which may be a patient's, is read for the
page that shows it and used for the release path; it is never logged.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from chartvault.errors import READABLE_REASONS, QuarantineReason, UserError
from chartvault.pipeline.intake import CUSTODY_DIR
from chartvault.pipeline.quarantine import KEPT

log = logging.getLogger(__name__)

RESOLVED = "resolved.json"


class PurgeReason(StrEnum):
    """Why a quarantined file was deleted instead of retried (audited as is)."""

    DUPLICATE = "duplicate_of_archived"
    RESCANNED = "rescanned"
    NOT_A_RECORD = "not_a_medical_record"
    SENT_IN_ERROR = "sent_in_error"
    UNRECOVERABLE = "unrecoverable"


PURGE_REASONS: dict[PurgeReason, str] = {
    PurgeReason.DUPLICATE: "a copy of a document already archived",
    PurgeReason.RESCANNED: "the paper was scanned again; this copy is not needed",
    PurgeReason.NOT_A_RECORD: "not a medical record (blank sheet, cover page, other)",
    PurgeReason.SENT_IN_ERROR: "sent to the archive in error",
    PurgeReason.UNRECOVERABLE: "damaged beyond recovery; the paper is the record",
}


class QuarantineHandlingError(UserError):
    """A release or purge that cannot be done as asked (nothing kept, unknown intake)."""

    code = "quarantine_handling"


@dataclass(frozen=True)
class Entry:
    """What a quarantine folder says about its file (shown to an authorised person)."""

    quarantine_id: str
    reason: str
    explanation: str
    original_name: str | None
    kept: bool  # the file itself is in the folder
    size: int | None
    resolution: dict[str, Any] | None


def readable_reason(code: str) -> str:
    """The explanation of a reason code."""
    try:
        return READABLE_REASONS[QuarantineReason(code)]
    except ValueError:
        return code


def read_entry(folder: Path, quarantine_id: str, reason: str) -> Entry:
    """The entry's ``reason.json`` (and ``resolved.json``); tolerant of a damaged folder."""
    try:
        doc: dict[str, Any] = json.loads((folder / "reason.json").read_text())
    except (OSError, ValueError):
        doc = {}
    resolution = _resolution(folder)
    name = doc.get("original_name")
    return Entry(quarantine_id, reason, readable_reason(reason),
                 name if isinstance(name, str) else None, (folder / KEPT).is_file(),
                 doc.get("size"), resolution)


def _write_resolution(folder: Path, doc: dict[str, Any]) -> None:
    tmp = folder / (RESOLVED + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2))
    tmp.replace(folder / RESOLVED)


def _release_target(intake_folder: Path, original_name: str | None, quarantine_id: str,
                    ) -> Path:
    """Where the file goes back: its original place, unless taken or outside the folder."""
    fallback = intake_folder / f"released-{quarantine_id}"
    if not original_name:
        return fallback
    rel = PurePosixPath(original_name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or \
            any(p.startswith(".") for p in rel.parts) or rel.parts[0] == CUSTODY_DIR:
        return fallback
    target = intake_folder.joinpath(*rel.parts)
    if os.path.lexists(target):
        return target.with_name(f"{target.stem}.released-{quarantine_id}{target.suffix}")
    return target


def _resolution(folder: Path) -> dict[str, Any] | None:
    try:
        doc: dict[str, Any] = json.loads((folder / RESOLVED).read_text())
        return doc
    except (OSError, ValueError):
        return None


def _move(kept: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(kept, target)
    except OSError:  # another file system: copy, then drop the quarantined copy
        tmp = target.with_name("." + target.name + ".part")  # junk-named: not ingested half
        shutil.copy2(kept, tmp)
        tmp.replace(target)
        kept.unlink()


def release(folder: Path, intake_folder: Path, quarantine_id: str, actor: str,
            note: str = "") -> Path:
    """Move the kept file back into its intake folder; returns where it went.

    The file keeps its modification time, so the next ingest run takes it at once. A
    release an interruption left half done is finished (to the place it recorded).
    """
    kept = folder / KEPT
    done = _resolution(folder)
    if done is not None:
        if done.get("action") != "released":
            raise QuarantineHandlingError(
                f"quarantine entry {quarantine_id} was {done.get('action')} already")
        target = intake_folder / str(done.get("to"))
        if os.path.lexists(kept):
            _move(kept, target)
        return target
    if not kept.is_file() or kept.is_symlink():
        raise QuarantineHandlingError(
            f"quarantine entry {quarantine_id} kept no file (a link, FIFO or device is "
            "never kept): nothing to release; purge it instead")
    entry = read_entry(folder, quarantine_id, "")
    intake_folder.mkdir(parents=True, exist_ok=True)
    target = _release_target(intake_folder, entry.original_name, quarantine_id)
    _write_resolution(folder, {"action": "released", "by": actor,
                               "at": datetime.now(UTC).isoformat(), "note": note,
                               "to": os.fsdecode(target.relative_to(intake_folder))})
    _move(kept, target)
    log.info("quarantine %s released to its intake folder", quarantine_id)
    return target


def purge(folder: Path, quarantine_id: str, actor: str, reason: PurgeReason,
          note: str = "") -> None:
    """Delete the kept file (if any), recording why; finishes an interrupted purge."""
    done = _resolution(folder)
    if done is not None and done.get("action") != "purged":
        raise QuarantineHandlingError(
            f"quarantine entry {quarantine_id} was {done.get('action')} already")
    if done is None:
        _write_resolution(folder, {"action": "purged", "by": actor, "reason": reason.value,
                                   "at": datetime.now(UTC).isoformat(), "note": note})
    kept = folder / KEPT
    if os.path.lexists(kept):
        kept.unlink()
    log.info("quarantine %s purged (%s)", quarantine_id, reason.value)
