"""Open an input file and list its pages, or say precisely why it cannot be archived.

The format comes from magic bytes, never the extension. Each PDF page is either a text
layer (born-digital: pdfplumber finds real characters) or an image to OCR. Problems
raise QuarantineError with a machine-readable reason; details carry no file names.

Limits are checked on what the headers declare, before anything is decoded: the page
count (a PDF's ``/Count``, a TIFF's frames counted only up to the limit), each page
image's pixels as stored and after the upscaling clean-up would apply, and the ratio of
decoded to stored bytes. Only regular files are opened (``O_NOFOLLOW``, then ``fstat``):
a symbolic link, FIFO or device is never followed or read.
"""

from __future__ import annotations

import logging
import os
import stat
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
# 120 MP: a tabloid page scanned at 600 dpi is 67 MP, a letter page at 300 dpi 8.4 MP; a
# gray page of 120 MP already takes 120 MB in a worker, four of them share a Tesseract run
MAX_PAGE_PIXELS = 120_000_000
# A page decoding to more than 64 MB from a stream this many times smaller is a bomb, not
# a scan (clean white 300 dpi pages compress ~100:1 with Flate; zlib's ceiling is ~1000:1)
MAX_RATIO = 500
RATIO_FLOOR_BYTES = 64 << 20
# what extractors.cleanup does to low-resolution pages (not imported: it loads OpenCV,
# and a process that has run OpenCV may no longer fork its page workers)
UPSCALE_BELOW_DPI, UPSCALE_DPI, LETTER_WIDTH_IN = 200, 250, 8.5
MIN_PAGE_SIDE = 16  # pixels: a narrower or lower page cannot hold a line of text
RENDER_DPI = 300  # pages without one embedded scan are rendered at this resolution
_FAX_FILTERS = {"/CCITTFaxDecode", "/JBIG2Decode"}  # 1-bit codecs: huge ratios are normal


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


def upscaled_pixels(width: int, height: int, dpi: int) -> int:
    """Pixels of a page once the clean-up has resampled it (as ``cleanup.prepare`` does)."""
    effective = dpi if dpi >= 72 else max(72, round(width / LETTER_WIDTH_IN))
    if effective >= UPSCALE_BELOW_DPI:
        return width * height
    factor = UPSCALE_DPI / effective
    return round(width * factor) * round(height * factor)


def check_pixels(width: int, height: int, dpi: int, stored_bytes: int, index: int,
                 max_pixels: int = MAX_PAGE_PIXELS, bits_per_pixel: int = 8) -> None:
    """Refuse a page image on its declared size, before it is decoded."""
    if width <= 0 or height <= 0:
        raise QuarantineError(R.CORRUPT, f"page {index + 1} declares no pixels")
    if min(width, height) < MIN_PAGE_SIDE:
        raise QuarantineError(R.NO_TEXT, f"page {index + 1} is {width}x{height} pixels; "
                              "too small to hold text")
    if width * height > max_pixels:
        raise QuarantineError(R.IMAGE_TOO_LARGE, f"page {index + 1} is {width}x{height} "
                              f"pixels; limit {max_pixels}")
    after = upscaled_pixels(width, height, dpi)
    if after > max_pixels:
        raise QuarantineError(R.IMAGE_TOO_LARGE, f"page {index + 1} ({width}x{height} at "
                              f"{dpi} dpi) would be {after} pixels after upscaling; limit "
                              f"{max_pixels}")
    decoded = width * height * max(1, bits_per_pixel) // 8
    if stored_bytes > 0 and decoded > RATIO_FLOOR_BYTES and decoded > MAX_RATIO * stored_bytes:
        raise QuarantineError(R.DECOMPRESSION_BOMB, f"page {index + 1} decodes to {decoded} "
                              f"bytes from {stored_bytes}; ratio limit {MAX_RATIO}")


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """A read-only descriptor of ``path`` if it is a regular file (links never followed).

    ``/proc/self/fd/N`` (the read-ahead's view of a descriptor it already opened
    without following links) is the one path allowed through a link.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not str(path).startswith("/proc/self/fd/"):
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise QuarantineError(R.UNREADABLE, "permission to read the file was refused") from None
    except FileNotFoundError:
        raise QuarantineError(R.UNREADABLE, "the file disappeared before it was read") from None
    except OSError as err:
        if os.path.islink(path):
            raise QuarantineError(R.NOT_REGULAR_FILE, "a symbolic link; never followed") \
                from None
        raise QuarantineError(R.UNREADABLE, f"file cannot be opened (errno {err.errno})") \
            from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise QuarantineError(R.NOT_REGULAR_FILE, "not a regular file; not read")
    return fd, st


def inspect_source(path: Path, *, max_pages: int = 2000, max_bytes: int = 1 << 30,
                   max_pixels: int = MAX_PAGE_PIXELS) -> SourceInfo:
    """List the pages of ``path``; QuarantineError when it cannot be read."""
    fd, st = open_regular(path)
    try:
        size = st.st_size
        if size == 0:
            raise QuarantineError(R.EMPTY, "file is empty (0 bytes)")
        if size > max_bytes:
            raise QuarantineError(R.TOO_LARGE, f"file is {size} bytes; limit {max_bytes}")
        try:
            head = os.pread(fd, 2048, 0)
        except OSError as err:
            raise QuarantineError(R.UNREADABLE, f"file cannot be read (errno {err.errno})") \
                from None
    finally:
        os.close(fd)
    kind = sniff(head)
    if kind is None:
        raise QuarantineError(R.UNSUPPORTED_FORMAT, "not a PDF, TIFF, PNG or JPEG file")
    try:
        if kind == "pdf":
            info = _inspect_pdf(path, size, max_pages, max_pixels)
        else:
            info = _inspect_image(path, kind, size, max_pages, max_pixels)
    except QuarantineError:
        raise
    except PermissionError:
        raise QuarantineError(R.UNREADABLE, "permission to read the file was refused") from None
    except MemoryError:
        raise QuarantineError(R.IMAGE_TOO_LARGE, "the file needs more memory than allowed") \
            from None
    except Exception as err:  # any decoder's failure on this one file; never the run's
        raise QuarantineError(R.CORRUPT, f"file cannot be decoded ({type(err).__name__})") \
            from None
    if not info.pages:
        raise QuarantineError(R.EMPTY, "file has no pages")
    if len(info.pages) > max_pages:
        raise QuarantineError(R.TOO_MANY_PAGES, f"{len(info.pages)} pages; limit {max_pages}")
    return info


_BITS = {"1": 1, "L": 8, "P": 8, "LA": 16, "I;16": 16, "RGB": 24, "RGBA": 32, "CMYK": 32}


def _inspect_image(path: Path, kind: str, size: int, max_pages: int,
                   max_pixels: int) -> SourceInfo:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            dpis: list[int] = []
            while True:  # frames counted up to the limit only (never all of a huge TIFF)
                dpi = _image_dpi(im.info.get("dpi"))
                check_pixels(im.width, im.height, dpi, size, len(dpis), max_pixels,
                             _BITS.get(im.mode, 32))
                dpis.append(dpi)
                if len(dpis) > max_pages:
                    raise QuarantineError(R.TOO_MANY_PAGES, f"more than {max_pages} "
                                          f"frames; limit {max_pages}")
                try:
                    im.seek(len(dpis))
                except EOFError:
                    break
            im.load()  # a truncated last frame fails here, not in a worker
    except QuarantineError:
        raise
    except Image.DecompressionBombError:  # Pillow's own pixel cap, met while opening
        raise QuarantineError(R.IMAGE_TOO_LARGE, "image declares too many pixels") from None
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


def _inspect_pdf(path: Path, size: int, max_pages: int, max_pixels: int) -> SourceInfo:
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
        declared = _declared_pages(pdf)
        if declared > max_pages:  # refused on the page tree's count, no page parsed
            raise QuarantineError(R.TOO_MANY_PAGES, f"{declared} pages; limit {max_pages}")
        n = len(pdf.pages)
        if n > max_pages:
            raise QuarantineError(R.TOO_MANY_PAGES, f"{n} pages; limit {max_pages}")
        dpis = [_pdf_page_dpi(page) for page in pdf.pages]
        kinds = _pdf_text_pages(path, n)
        for i, page in enumerate(pdf.pages):
            if kinds[i] == "image":
                _check_pdf_page(page, i, dpis[i], max_pixels)
    pages = tuple(PageRef(str(path), i, kinds[i], dpis[i] if kinds[i] == "image" else 0)
                  for i in range(n))
    has_text = any(k == "text_layer" for k in kinds)
    has_image = any(k == "image" for k in kinds)
    fmt: SourceFormat = "pdf_mixed" if has_text and has_image else (
        "pdf_text" if has_text else "pdf_scan")
    return SourceInfo(fmt, pages)


def _declared_pages(pdf: object) -> int:
    """The page tree's own ``/Count`` (0 when missing or not a number)."""
    try:
        return int(pdf.Root.Pages.Count)  # type: ignore[attr-defined]
    except Exception:  # a damaged tree: the page list itself is checked next
        return 0


_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4}


def _check_pdf_page(page: object, index: int, dpi: int, max_pixels: int) -> None:
    """The image that will be decoded (or rendered) for a scanned page, within the limits."""
    import pikepdf

    images = list(page.images.values())  # type: ignore[attr-defined]
    if len(images) == 1:
        im = images[0]
        width, height = int(im.get("/Width", 0)), int(im.get("/Height", 0))
        filters = im.get("/Filter")
        names = {str(f) for f in filters} if isinstance(filters, pikepdf.Array) else {
            str(filters)}
        stored = 0 if names & _FAX_FILTERS else int(im.get("/Length", 0))
        bpc = int(im.get("/BitsPerComponent", 8))
        comps = _COMPONENTS.get(str(im.get("/ColorSpace", "/DeviceRGB")), 3)
        check_pixels(width, height, dpi, stored, index, max_pixels, bpc * comps)
        return
    box = page.mediabox  # type: ignore[attr-defined]
    w_in = abs(float(box[2]) - float(box[0])) / 72.0
    h_in = abs(float(box[3]) - float(box[1])) / 72.0
    check_pixels(round(w_in * RENDER_DPI), round(h_in * RENDER_DPI), RENDER_DPI, 0, index,
                 max_pixels)


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
