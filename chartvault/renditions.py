"""Searchable PDF renditions, built from the stored word boxes without OCR.

Ingest keeps the one Tesseract pass's words (``ocr.json``), so the rendition is built when
first asked for (or in bulk, off the ingest path where it would cost OCR throughput): the
original's page images go through the same deterministic clean-up, and the words are laid
invisibly over them. The rendition is a new object beside the record with an event that
names it; the manifest stays as written.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from chartvault.catalog import Catalog
from chartvault.events import RecordEvent
from chartvault.model import Manifest, PageText
from extractors import cleanup
from extractors.ocr import load_image
from extractors.pages import inspect_source
from extractors.rendition import merge, page_pdf
from storage.base import ObjectStore


def rendition_key(doc_id: str) -> str:
    """Where a record's rendition lives."""
    return f"records/{doc_id}/rendition.pdf"


def _page_image(path: Path, ref_index: int, page: PageText) -> np.ndarray:
    info = inspect_source(path)
    ref = info.pages[ref_index]
    if ref.kind == "text_layer":
        from extractors.ocr import _render

        return np.asarray(_render(ref))
    image, dpi = load_image(ref)
    gray = cleanup.to_gray(image)
    gray, _, _ = cleanup.prepare(gray, dpi)
    if page.rotation:
        gray = cleanup.turn(gray, page.rotation)
    return gray


def build(catalog: Catalog, store: ObjectStore, doc_id: str, actor: str) -> str:
    """Build (once) and store a record's searchable PDF; returns its key."""
    key = rendition_key(doc_id)
    if store.head(key) is not None:
        return key
    row = catalog.get(doc_id)
    if row is None or row["status"] != "archived":
        raise FileNotFoundError(f"document {doc_id} has no archived original")
    manifest = Manifest.model_validate_json(store.get(row["manifest_key"]))
    pages = [PageText.model_validate(p) for p in
             json.loads(store.get(manifest.objects["ocr"].key))["pages"]]
    with tempfile.TemporaryDirectory(prefix="cv-rend-") as tmp:
        src = Path(tmp) / ("original" + Path(manifest.objects["original"].key).suffix)
        store.download(manifest.objects["original"].key, src)
        parts = []
        for page in pages:
            img = _page_image(src, page.index, page)
            if page.method == "text_layer":
                page = page.model_copy(update={"dpi": 300})
            elif img.shape[:2] != (page.height, page.width) and page.width:
                sy, sx = img.shape[0] / page.height, img.shape[1] / page.width
                words = tuple(w.model_copy(update={
                    "left": round(w.left * sx), "top": round(w.top * sy),
                    "width": round(w.width * sx), "height": round(w.height * sy)})
                    for w in page.words)
                page = page.model_copy(update={"words": words})
            parts.append(page_pdf(img, page))
    data = merge(parts)
    ref = store.put(key, data, content_type="application/pdf",
                    tags={"doc_type": row["doc_type"], "derived": "rendition"})
    event = RecordEvent(doc_id=doc_id, kind="rendition_added", actor=actor,
                        data={"key": key, "sha256": ref.sha256, "pages": len(pages)})
    store.put(event.key(), event.model_dump_json().encode(), content_type="application/json")
    catalog.audit(actor, "rendition", [doc_id], detail={"sha256": ref.sha256})
    return key
