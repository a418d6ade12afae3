"""Searchable PDF rendition from the one OCR pass: page image + invisible word layer.

Built inside the pool worker that read the page, while the cleaned image is still in
memory: the words come from the same Tesseract TSV that gave the text, so there is no
second OCR and the highlight of a search hit sits on the printed word. Text-layer pages
are rendered from the original PDF with their text drawn invisibly the same way.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from chartvault.model import PageText

JPEG_QUALITY = 60  # a reading copy; the original is archived untouched


def page_pdf(image: np.ndarray, page: PageText) -> bytes:
    """One PDF page: the image at its resolution, words invisible at their boxes."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    dpi = page.dpi or 300
    h_px, w_px = image.shape[:2]
    w_pt, h_pt = w_px * 72 / dpi, h_px * 72 / dpi
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(w_pt, h_pt), invariant=True)
    jpeg = io.BytesIO()
    Image.fromarray(image).convert("L").save(jpeg, format="JPEG", quality=JPEG_QUALITY)
    jpeg.seek(0)
    c.drawImage(ImageReader(jpeg), 0, 0, width=w_pt, height=h_pt)
    scale = 72 / dpi
    for w in page.words:
        size = max(4.0, w.height * scale)
        text = c.beginText()
        text.setTextRenderMode(3)  # invisible: searchable and selectable, not drawn
        text.setFont("Helvetica", size)
        text.setTextOrigin(w.left * scale, h_pt - (w.top + w.height) * scale)
        natural = c.stringWidth(w.text, "Helvetica", size)
        if natural > 0:
            text.setHorizScale(100 * (w.width * scale) / natural)
        text.textOut(w.text)
        c.drawText(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def merge(pages: Sequence[bytes]) -> bytes:
    """Join per-page PDFs into the document's rendition."""
    import pikepdf

    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(data)) for data in pages]  # open until saved
    try:
        for src in sources:
            out.pages.extend(src.pages)
        buf = io.BytesIO()
        out.save(buf, deterministic_id=True, compress_streams=True)
        return buf.getvalue()
    finally:
        for src in sources:
            src.close()
