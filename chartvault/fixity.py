"""Fixity: re-read every archived object and compare it with the recorded SHA-256.

Like Archivematica's fixity checks: reports objects that are missing, changed (hash
differs from the manifest or the event that added it), and untracked (in storage under
``records/`` but named by no manifest or event). A record's events say what changed
since ingest: a ``purged`` event names the derived objects a retention purge removed
(expected missing, reported as ``purged``, not as missing), a ``rendition_added`` event
names a rendition and its hash (checked like any object). A destroyed record must keep
its tombstone. Reads every byte, so it is a scheduled flow, not a hot path.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from chartvault.catalog import Catalog
from chartvault.events import RecordEvent
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
    purged: list[str] = field(default_factory=list)  # removed by a recorded purge: expected
    renditions: int = 0
    tombstones: int = 0

    @property
    def ok(self) -> bool:
        """No missing, changed or untracked object (purged ones are expected absent)."""
        return not (self.missing or self.changed or self.untracked)


@dataclass
class _History:
    """What a record's events say about its objects."""

    purged_keys: set[str] = field(default_factory=set)
    purged_all_derived: bool = False  # a purge event older than the list of keys removed
    renditions: dict[str, str] = field(default_factory=dict)  # key -> sha256
    unreadable: list[str] = field(default_factory=list)


def _history(store: ObjectStore, event_keys: list[str]) -> _History:
    h = _History()
    for key in event_keys:
        try:
            event = RecordEvent.model_validate(json.loads(store.get(key)))
        except (ValueError, ValidationError):
            h.unreadable.append(key)
            continue
        if event.kind == "purged":
            removed = event.data.get("removed")
            if removed is None:
                h.purged_all_derived = True
            else:
                h.purged_keys.update(removed)
        elif event.kind == "rendition_added":
            h.renditions[event.data["key"]] = event.data["sha256"]
    return h


def _tombstone_key(doc_id: str) -> str:
    """Where a destroyed record's tombstone lives (the key is built by ``events``)."""
    return RecordEvent(doc_id=doc_id, kind="tombstone", actor="fixity").key()


def _sha(store: ObjectStore, key: str, scratch: Path) -> str:
    dest = scratch / "obj"
    digest = store.download(key, dest)
    dest.unlink(missing_ok=True)
    return digest


def _check(store: ObjectStore, key: str, sha: str, scratch: Path, report: FixityReport) -> bool:
    """Re-read one object against its recorded hash; False when it is absent."""
    info = store.head(key)
    if info is None:
        return False
    report.objects += 1
    report.bytes += info.size
    if _sha(store, key, scratch) != sha:
        report.changed.append(key)
    return True


def _verify_record(store: ObjectStore, event_keys: list[str], manifest_key: str, sha: str,
                   scratch: Path, report: FixityReport, known: set[str]) -> None:
    known.add(manifest_key)
    if store.head(manifest_key) is None:
        report.missing.append(manifest_key)
        return
    raw = store.get(manifest_key)
    manifest = Manifest.model_validate_json(raw)
    report.objects += 1
    report.bytes += len(raw)
    if manifest.sha256 != sha:
        report.changed.append(manifest_key)
    history = _history(store, event_keys)
    report.changed.extend(history.unreadable)
    original = manifest.objects["original"].key
    for ref in manifest.objects.values():
        known.add(ref.key)
        purged = ref.key in history.purged_keys or (
            history.purged_all_derived and ref.key != original)
        if not _check(store, ref.key, ref.sha256, scratch, report):
            (report.purged if purged else report.missing).append(ref.key)
    for key, digest in history.renditions.items():
        known.add(key)
        purged = key in history.purged_keys or history.purged_all_derived
        if _check(store, key, digest, scratch, report):
            report.renditions += 1
        else:
            (report.purged if purged else report.missing).append(key)


def verify(catalog: Catalog, store: ObjectStore, actor: str) -> FixityReport:
    """Check every catalogued record's objects and tombstones; records an audit event."""
    report = FixityReport()
    known: set[str] = set()
    rows = catalog.fixity_rows()
    stored = list(store.list("records/"))  # once: a local store walks its whole tree
    events: dict[str, list[str]] = {}
    for key in stored:
        if "/events/" in key:
            events.setdefault(key.split("/", 2)[1], []).append(key)
    with tempfile.TemporaryDirectory(prefix="cv-fixity-") as tmp:
        scratch = Path(tmp)
        for doc_id, manifest_key, sha, status in rows:
            report.documents += 1
            if status == "destroyed":
                if store.head(_tombstone_key(doc_id)) is None:
                    report.missing.append(_tombstone_key(doc_id))
                else:
                    report.tombstones += 1
                continue
            _verify_record(store, events.get(doc_id, []), manifest_key, sha, scratch, report,
                           known)
    for key in stored:
        if key not in known and "/events/" not in key:
            report.untracked.append(key)
    catalog.audit(
        actor, "fixity", outcome="ok" if report.ok else "failed",
        detail={"documents": report.documents, "objects": report.objects,
                "missing": len(report.missing), "changed": len(report.changed),
                "untracked": len(report.untracked), "purged": len(report.purged),
                "renditions": report.renditions, "tombstones": report.tombstones},
    )
    log.info("fixity: %d documents, %d objects, %d missing, %d changed, %d untracked, "
             "%d purged", report.documents, report.objects, len(report.missing),
             len(report.changed), len(report.untracked), len(report.purged))
    return report
