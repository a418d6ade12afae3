"""Build the package of a release: bag (originals, searchable PDFs, metadata, FHIR), PDF, zip.

Layout under the output folder (ids only in names)::

    <request_id>-bag/            BagIt bag, validated after writing
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      data/bundle.json           FHIR R4 Bundle: Patient + one DocumentReference each
      data/documents/<doc_id>/original.<ext>   the archived bytes, verified (SHA-256)
      data/documents/<doc_id>/searchable.pdf   rendition (``chartvault.renditions``)
      data/documents/<doc_id>/metadata.json    the catalog's facts about the record
    <request_id>-release.pdf     cover sheet + every record page, stamped (paper release)
    <request_id>-bag.zip         the bag, AES-256 (when a passphrase is given)

Documents are fetched one at a time, so memory stays flat whatever the package's size.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from chartvault import renditions
from chartvault.catalog import Catalog
from chartvault.catalog import release as rq
from chartvault.errors import IntegrityError
from chartvault.pipeline.archive import stored_type
from chartvault.release import bag, encrypt, fhir, paper
from chartvault.release.model import ReleaseError, Request
from chartvault.release.scope import served
from chartvault.taxonomy import DOC_TYPES
from storage.base import ObjectStore

# catalog columns that are storage plumbing, not facts about the record
_INTERNAL = {"manifest_key", "original_key", "review_reasons", "name_key", "family_key",
             "given_key"}


@dataclass(frozen=True)
class Package:
    """What was written, with the SHA-256 of each file handed over."""

    bag: Path
    pdf: Path | None
    zip: Path | None
    doc_ids: tuple[str, ...]
    pages: int  # pages of the combined PDF, cover included (0 without one)
    digests: dict[str, str] = field(default_factory=dict)  # "bag"|"pdf"|"zip" -> sha256


def _file_hashes(path: Path) -> tuple[str, str]:
    sha256, sha1 = hashlib.sha256(), hashlib.sha1()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha256.update(chunk)
            sha1.update(chunk)
    return sha256.hexdigest(), sha1.hexdigest()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def metadata(row: Mapping[Any, Any], files: Mapping[str, str]) -> dict[str, Any]:
    """The metadata JSON of one document: its catalog facts and its files' SHA-256."""
    facts = {k: _jsonable(v) for k, v in row.items() if k not in _INTERNAL and k != "sha1"}
    facts["doc_type_label"] = DOC_TYPES.get(row["doc_type"], (None, row["doc_type"]))[1]
    facts["files"] = dict(files)
    return facts


def _fetch(catalog: Catalog, store: ObjectStore, row: Mapping[Any, Any], folder: Path,
           actor: str) -> tuple[list[fhir.Content], str, str]:
    """Original (verified) and rendition of one document into ``folder``."""
    doc_id = row["doc_id"]
    folder.mkdir(parents=True)
    ext, _ = stored_type(row["source_format"])
    original = folder / f"original{ext}"
    if store.download(row["original_key"], original) != row["sha256"]:
        raise IntegrityError(f"document {doc_id}: stored original does not match its SHA-256")
    sha256, sha1 = _file_hashes(original)
    searchable = folder / "searchable.pdf"
    store.download(renditions.build(catalog, store, doc_id, actor), searchable)
    r_sha256, r_sha1 = _file_hashes(searchable)
    base = f"documents/{doc_id}/"
    contents = [fhir.original_content(row, sha1, base + original.name),
                fhir.Content(base + searchable.name, "application/pdf",
                             searchable.stat().st_size, r_sha1, "searchable PDF")]
    meta = metadata(row, {original.name: sha256, searchable.name: r_sha256})
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    # the paper copy: the original when it is a PDF, else its searchable rendition
    return contents, sha1, (original.name if ext == ".pdf" else searchable.name)


def build(catalog: Catalog, store: ObjectStore, req: Request,
          rows: Sequence[Mapping[Any, Any]], out_dir: Path, *, now: datetime, actor: str,
          paper_copy: bool = True, passphrase: str | None = None) -> Package:
    """Write the package of ``rows`` (already checked against the scope) under ``out_dir``.

    A failure part-way removes what was written: no half package is left to hand over.
    """
    rid = req.request_id
    written = (out_dir / f"{rid}-bag", out_dir / f"{rid}-release.pdf", out_dir / f"{rid}-bag.zip")
    if any(p.exists() for p in written):
        raise ReleaseError(f"request {rid}: the output folder already holds a package")
    try:
        return _build(catalog, store, req, rows, out_dir, now=now, actor=actor,
                      paper_copy=paper_copy, passphrase=passphrase)
    except BaseException:
        shutil.rmtree(written[0], ignore_errors=True)
        for path in written[1:]:
            path.unlink(missing_ok=True)
        raise


def _build(catalog: Catalog, store: ObjectStore, req: Request,
           rows: Sequence[Mapping[Any, Any]], out_dir: Path, *, now: datetime, actor: str,
           paper_copy: bool, passphrase: str | None) -> Package:
    if not rows:
        raise ReleaseError(f"request {req.request_id}: no document to release")
    rid = req.request_id
    staging = out_dir / f"{rid}-bag"
    pdf_out = out_dir / f"{rid}-release.pdf"
    zip_out = out_dir / f"{rid}-bag.zip"
    (staging / "documents").mkdir(parents=True)
    contents: dict[str, list[fhir.Content]] = {}
    paper_names: dict[str, str] = {}
    sha1s: dict[str, str] = {}
    for row in rows:
        folder = staging / "documents" / row["doc_id"]
        got, sha1, paper_name = _fetch(catalog, store, row, folder, actor)
        contents[row["doc_id"]] = got
        sha1s[row["doc_id"]] = sha1
        paper_names[row["doc_id"]] = paper_name
    with catalog.transaction() as conn:
        rq.remember_sha1s(conn, sha1s)
    newest = max(rows, key=lambda r: r["ingested_at"])
    bundle = fhir.package_bundle(newest, rows, contents, now, rid)
    (staging / "bundle.json").write_text(json.dumps(bundle, indent=2))
    bag.make(staging, {
        "Source-Organization": req.scope.facility,
        "External-Identifier": rid,
        "External-Description": f"Release of information; requester: {req.requester_kind.value}",
        "Bagging-Date": now.date().isoformat(),
        "Document-Count": str(len(rows)),
    })
    digests = {"bag": hashlib.sha256((staging / "tagmanifest-sha256.txt").read_bytes())
               .hexdigest()}
    pages = 0
    pdf_path: Path | None = None
    if paper_copy:
        cover = paper.Cover(
            request_id=rid, requester=f"{req.requester_name} ({req.requester_kind.value})",
            purpose=req.purpose,
            patient=f"{newest['patient_family'] or '?'}, {newest['patient_given'] or '?'} "
                    f"- MRN {req.scope.mrn}",
            scope=req.scope.describe(), facility=req.scope.facility,
            released_on=now.date().isoformat(), released_by=actor, documents=len(rows))
        sources = [staging / "data" / "documents" / r["doc_id"] / paper_names[r["doc_id"]]
                   for r in rows]
        pages = paper.combined_pdf(cover, sources, pdf_out)
        pdf_path = pdf_out
        digests["pdf"] = _file_hashes(pdf_out)[0]
    zip_path: Path | None = None
    if passphrase:
        zip_path = encrypt.zip_folder(staging, zip_out, passphrase)
        digests["zip"] = _file_hashes(zip_out)[0]
    return Package(staging, pdf_path, zip_path, tuple(r["doc_id"] for r in rows), pages, digests)


def describe(rows: Sequence[Mapping[Any, Any]]) -> str:
    """What was disclosed, for the accounting: count, types and date span (no names)."""
    types = sorted({r["doc_type"] for r in rows})
    dates = sorted(d for d in (served(r) for r in rows) if d is not None)
    span = f", {dates[0].isoformat()} to {dates[-1].isoformat()}" if dates else ""
    return f"{len(rows)} document(s): {', '.join(types)}{span}"
