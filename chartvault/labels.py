"""Labelled documents from people's reviews, in the form ``chartvault train --labeled`` reads.

``<data_dir>/labels/doctype.jsonl`` gets one line per confirmation or correction:
``{"doc_id", "doc_type", "file": "text/<doc_id>.txt", "kind", "at", "by", "fields"}``,
with the record's text beside it. A later review of the same record appends a newer
line; ``train_from_labeled`` keeps the last line of each ``doc_id``. The files hold
patient data like the rest of the data directory (owner-only, 0600). They can be
recreated from storage: the correction events and text objects are the source.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from chartvault.model import Manifest
from storage.base import ObjectStore

LABELS = "labels"
DOCTYPE = "doctype.jsonl"
_PATIENT = ("mrn", "patient_family", "patient_given", "birth_date", "sex", "service_date")


def labels_path(data_dir: Path) -> Path:
    """The JSONL of reviewed documents (``chartvault train --labeled PATH``)."""
    return Path(data_dir) / LABELS / DOCTYPE


def _write_private(path: Path, data: bytes, append: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, data)  # one write per line: appends of concurrent reviews stay whole
    finally:
        os.close(fd)


def record(data_dir: Path, store: ObjectStore, manifest: Manifest, row: Any, kind: str,
           actor: str) -> Path:
    """Append a reviewed record (type and patient as a person settled them)."""
    root = Path(data_dir) / LABELS
    (root / "text").mkdir(parents=True, exist_ok=True, mode=0o700)
    text_ref = manifest.objects.get("text")
    text = store.get(text_ref.key) if text_ref is not None else b""
    rel = f"text/{manifest.doc_id}.txt"
    _write_private(root / rel, text)
    fields = {k: (row[k].isoformat() if isinstance(row[k], date) else row[k])
              for k in _PATIENT}
    line = {"doc_id": manifest.doc_id, "doc_type": row["doc_type"], "file": rel,
            "kind": kind, "at": datetime.now(UTC).isoformat(), "by": actor,
            "fields": fields}
    _write_private(root / DOCTYPE, (json.dumps(line, sort_keys=True) + "\n").encode(),
                   append=True)
    return root / DOCTYPE
