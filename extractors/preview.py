"""Page previews for people: one page of an archived original as a modest PNG.

Previews are rendered from the stored original (already vetted by intake's limits) at
screen size, not OCR size, so a review page stays light.
"""

from __future__ import annotations

import io

from PIL import Image

PREVIEW_WIDTH = 1000  # px: readable on a laptop next to the fields


class NoSuchPage(IndexError):
    """The document has fewer pages than asked for."""


def _pdf_page(data: bytes, index: int, width: int) -> Image.Image:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        if not 0 <= index < len(doc):
            raise NoSuchPage(index)
        page = doc[index]
        scale = width / max(page.get_width(), 1.0)
        pil: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
        return pil
    finally:
        doc.close()


def _image_page(data: bytes, index: int) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    try:
        img.seek(index)
    except EOFError:
        raise NoSuchPage(index) from None
    return img.convert("L")


def page_png(data: bytes, source_format: str, index: int, width: int = PREVIEW_WIDTH) -> bytes:
    """Page ``index`` (from 0) of an original as a PNG about ``width`` pixels wide."""
    if source_format.startswith("pdf"):
        img = _pdf_page(data, index, width)
    else:
        img = _image_page(data, index)
        if img.width > width:
            img = img.resize((width, max(1, round(img.height * width / img.width))))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False)
    return out.getvalue()
