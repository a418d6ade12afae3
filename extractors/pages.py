"""Open an input file and list its pages, or say precisely why it cannot be archived.

The format comes from magic bytes, never the extension. Each PDF page is either a text
layer (born-digital: pdfplumber finds real characters) or an image to OCR. Problems
raise QuarantineError with a machine-readable reason; details carry no file names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chartvault.errors import QuarantineError
from chartvault.errors import QuarantineReason as R
from chartvault.logsafety import silence_content_loggers
from chartvault.model import SourceFormat

log = logging.getLogger(__name__)

PageKind = Literal["text_layer", "image"]
MIN_TEXT_CHARS = 40  # fewer real characters than this: treat the page as a scan


@dataclass(frozen=True)
class PageRef:
    """One page of one file; picklable, so workers get references, not images."""

    path: str
    index: int
    kind: PageKind
    dpi: int


@dataclass(frozen=True)
class SourceInfo:
    """A readable input and its pages."""

    format: SourceFormat
    pages: tuple[PageRef, ...]


def sniff(head: bytes) -> str | None:
    """Format from the first bytes."""
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def inspect_source(path: Path, *, max_pages: int = 2000, max_bytes: int = 1 << 30) -> SourceInfo:
    """List the pages of ``path``; QuarantineError when it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError:
        raise QuarantineError(R.CORRUPT, "file cannot be read") from None
    if size == 0:
        raise QuarantineError(R.EMPTY, "file is empty (0 bytes)")
    if size > max_bytes:
        raise QuarantineError(R.TOO_LARGE, f"file is {size} bytes; limit {max_bytes}")
    with path.open("rb") as f:
        head = f.read(2048)
    kind = sniff(head)
    if kind is None:
        raise QuarantineError(R.UNSUPPORTED_FORMAT, "not a PDF, TIFF, PNG or JPEG file")
    if kind == "pdf":
        info = _inspect_pdf(path, size)
    else:
        info = _inspect_image(path, kind)
    if not info.pages:
        raise QuarantineError(R.EMPTY, "file has no pages")
    if len(info.pages) > max_pages:
        raise QuarantineError(R.TOO_MANY_PAGES, f"{len(info.pages)} pages; limit {max_pages}")
    return info


def _inspect_image(path: Path, kind: str) -> SourceInfo:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            frames = getattr(im, "n_frames", 1)
            dpis = []
            for i in range(frames):
                im.seek(i)
                dpis.append(_image_dpi(im.info.get("dpi")))
                if i == frames - 1:
                    im.load()  # a truncated last frame fails here, not in a worker
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        reason = R.INCOMPLETE if "truncated" in str(err).lower() else R.CORRUPT
        raise QuarantineError(reason, f"image cannot be decoded ({type(err).__name__})") from None
    fmt: SourceFormat = "tiff" if kind == "tiff" else ("png" if kind == "png" else "jpeg")
    pages = tuple(PageRef(str(path), i, "image", d) for i, d in enumerate(dpis))
    return SourceInfo(fmt, pages)


def _image_dpi(value: object) -> int:
    if isinstance(value, tuple) and value:
        try:
            return round(float(value[0]))
        except (TypeError, ValueError):
            return 0
    return 0


def _inspect_pdf(path: Path, size: int) -> SourceInfo:
    import pikepdf

    with path.open("rb") as f:
        f.seek(max(0, size - 2048))
        tail = f.read()
    if b"%%EOF" not in tail:
        raise QuarantineError(R.INCOMPLETE, "PDF has no end-of-file marker (half-written?)")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise QuarantineError(R.ENCRYPTED, "PDF is password-protected") from None
    except (pikepdf.PdfError, OSError, ValueError) as err:
        raise QuarantineError(R.CORRUPT, f"PDF cannot be parsed ({type(err).__name__})") from None
    with pdf:
        n = len(pdf.pages)
        dpis = [_pdf_page_dpi(page) for page in pdf.pages]
    kinds = _pdf_text_pages(path, n)
    pages = tuple(PageRef(str(path), i, kinds[i], dpis[i] if kinds[i] == "image" else 0)
                  for i in range(n))
    has_text = any(k == "text_layer" for k in kinds)
    has_image = any(k == "image" for k in kinds)
    fmt: SourceFormat = "pdf_mixed" if has_text and has_image else (
        "pdf_text" if has_text else "pdf_scan")
    return SourceInfo(fmt, pages)


def _pdf_page_dpi(page: object) -> int:
    """Resolution of the largest image on the page, from its pixels and the page width."""
    try:
        images = list(page.images.values())  # type: ignore[attr-defined]
        if not images:
            return 0
        width_px = max(int(im.Width) for im in images)
        box = page.mediabox  # type: ignore[attr-defined]
        width_in = (float(box[2]) - float(box[0])) / 72.0
        return round(width_px / width_in) if width_in > 0 else 0
    except Exception:  # a malformed image dictionary only costs us the dpi
        return 0


def _pdf_text_pages(path: Path, n: int) -> list[PageKind]:
    import pdfplumber

    silence_content_loggers()

    kinds: list[PageKind] = []
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                real = sum(1 for c in page.chars if c.get("text", "").strip())
                kinds.append("text_layer" if real >= MIN_TEXT_CHARS else "image")
                page.flush_cache()
    except Exception as err:  # pdfminer raises many types on damaged files
        raise QuarantineError(R.CORRUPT, f"PDF content cannot be read ({type(err).__name__})") \
            from None
    if len(kinds) != n:
        raise QuarantineError(R.CORRUPT, "PDF page tree is inconsistent")
    return kinds
