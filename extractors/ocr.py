"""Read one page: its text layer, or its image through clean-up and one Tesseract pass.

Runs inside pool workers: takes a PageRef (a path and an index), returns a PageText.
Image PDFs give up their embedded scan as it is (no re-rendering at a guessed dpi);
only pages whose image cannot be extracted are rendered. A page that looks upside down
or sideways after the first pass (low confidence, few words, or a portrait page lying
wide) gets one orientation check (Tesseract's OSD, or reading it turned over when OSD is
unsure) and a second pass: the cost falls on the suspect pages only.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image

from chartvault.errors import QuarantineError, QuarantineReason
from chartvault.logsafety import silence_content_loggers
from chartvault.model import PageText
from extractors import cleanup
from extractors.pages import PageRef
from extractors.tesseract import OcrResult, orientation, recognise, recognise_many

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 40.0  # mean word confidence under which orientation is checked
FEW_WORDS = 10  # ... or fewer words than this
LANDSCAPE = 1.05  # ... or a page this much wider than high (letter pages are portrait)


@dataclass(frozen=True)
class OcrOptions:
    """How pages are read."""

    language: str = "eng"
    timeout_s: float = 300.0
    cleanup: bool = True


def read_page(ref: PageRef, options: OcrOptions) -> PageText:
    """Text (and word boxes) of one page."""
    result = read_pages([ref], options)[0]
    if isinstance(result, QuarantineError):
        raise result
    return result


def read_pages(refs: Sequence[PageRef], options: OcrOptions) -> list[PageText | QuarantineError]:
    """Text of several pages, the scans among them in one Tesseract run.

    A page that cannot be read is returned as its QuarantineError, never raised, so
    its neighbours (possibly of other documents) are unaffected. If the shared run
    fails, each page is tried alone, so only the page at fault fails.
    """
    out: list[PageText | QuarantineError] = []
    scans: list[tuple[int, Prepared]] = []
    for ref in refs:
        with _page_errors(ref, out):
            if ref.kind == "text_layer":
                out.append(_text_layer(ref))
                continue
            image, dpi = load_image(ref)
            scans.append((len(out), prepare_page(image, dpi, ref.index, options)))
            out.append(QuarantineError(QuarantineReason.OCR_FAILED, "not read"))
    if not scans:
        return out
    images = [(p.gray, p.dpi) for _, p in scans]
    try:
        firsts: list[OcrResult | None] = list(
            recognise_many(images, options.language, options.timeout_s))
    except QuarantineError as err:
        if len(scans) == 1:
            out[scans[0][0]] = err
            return out
        firsts = [None] * len(scans)
    for (slot, page), first in zip(scans, firsts, strict=True):
        done: list[PageText | QuarantineError] = []
        with _page_errors(refs[slot], done):
            if first is None:  # the shared run failed: this page alone
                first = recognise(page.gray, options.language, options.timeout_s, dpi=page.dpi)
            done.append(finish_page(page, first, options))
        out[slot] = done[0]
    return out


@contextmanager
def _page_errors(ref: PageRef, out: list[PageText | QuarantineError]) -> Iterator[None]:
    """A failing page becomes its QuarantineError in ``out``; its neighbours go on."""
    try:
        yield
    except QuarantineError as err:
        out.append(err)
    except Exception as err:  # any other failure: its document goes to quarantine
        out.append(QuarantineError(QuarantineReason.OCR_FAILED,
                                   f"page {ref.index + 1} failed ({type(err).__name__})"))


def _text_layer(ref: PageRef) -> PageText:
    import pdfplumber

    silence_content_loggers()

    try:
        with pdfplumber.open(ref.path) as pdf:
            page = pdf.pages[ref.index]
            text = _layout_text(page.extract_words(x_tolerance=1.5, y_tolerance=3))
    except Exception:  # pdfminer's many error types on damaged content
        raise QuarantineError(QuarantineReason.CORRUPT,
                              f"text layer of page {ref.index + 1} cannot be read") from None
    return PageText(index=ref.index, method="text_layer", text=text)


def _layout_text(words: list[dict[str, object]]) -> str:
    """Lines of a text layer, wide gaps (table cells) kept as two spaces as in OCR text."""
    rows: list[list[dict[str, object]]] = []
    for w in sorted(words, key=lambda w: (round(float(str(w["top"])) / 3), float(str(w["x0"])))):
        if rows and abs(float(str(rows[-1][0]["top"])) - float(str(w["top"]))) <= 3:
            rows[-1].append(w)
        else:
            rows.append([w])
    gaps = sorted(float(str(b["x0"])) - float(str(a["x1"])) for r in rows
                  for a, b in itertools.pairwise(r))
    wide = max(4.0, 2.2 * gaps[len(gaps) // 2]) if gaps else 4.0
    lines = []
    for r in rows:
        r.sort(key=lambda w: float(str(w["x0"])))
        parts = [str(r[0]["text"])]
        for a, b in itertools.pairwise(r):
            gap = float(str(b["x0"])) - float(str(a["x1"]))
            parts.append(("  " if gap > wide else " ") + str(b["text"]))
        lines.append("".join(parts))
    return "\n".join(lines)


def load_image(ref: PageRef) -> tuple[np.ndarray, int]:
    """The page as a grayscale array and its resolution (0 when unknown)."""
    try:
        if ref.path.lower().endswith(".pdf") or _is_pdf(ref.path):
            pil, dpi = _pdf_image(ref)
        else:
            with Image.open(ref.path) as im:
                im.seek(ref.index)
                pil = im.convert("L")
                dpi = ref.dpi
    except QuarantineError:
        raise
    except Exception as err:
        raise QuarantineError(QuarantineReason.CORRUPT,
                              f"image of page {ref.index + 1} cannot be decoded "
                              f"({type(err).__name__})") from None
    return np.asarray(pil), dpi


def _is_pdf(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(5) == b"%PDF-"


def _pdf_image(ref: PageRef) -> tuple[Image.Image, int]:
    import pikepdf

    with pikepdf.open(ref.path) as pdf:
        page = pdf.pages[ref.index]
        rotate = int(page.obj.get("/Rotate", 0)) % 360
        images = list(page.images.values())
        if len(images) == 1:
            try:
                pil = pikepdf.PdfImage(images[0]).as_pil_image().convert("L")  # type: ignore[arg-type]
                if rotate:
                    pil = pil.rotate(-rotate, expand=True)
                return pil, ref.dpi
            except Exception:  # exotic filters / masks: render instead
                log.debug("page %d: embedded image not extractable; rendering", ref.index)
    return _render(ref), 300


def _render(ref: PageRef) -> Image.Image:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(ref.path)
    try:
        page = doc[ref.index]
        bitmap = page.render(scale=300 / 72, grayscale=True)
        pil: Image.Image = bitmap.to_pil().convert("L")
        return pil
    finally:
        doc.close()


@dataclass(frozen=True)
class Prepared:
    """A page image after clean-up, ready for Tesseract."""

    index: int
    gray: np.ndarray
    dpi: int
    skew: float


def prepare_page(image: np.ndarray, dpi: int, index: int, options: OcrOptions) -> Prepared:
    """Grayscale, then (unless switched off) resolution and skew clean-up."""
    gray = cleanup.to_gray(image)
    skew = 0.0
    if options.cleanup:
        gray, dpi, skew = cleanup.prepare(gray, dpi)
    else:
        dpi = cleanup.effective_dpi(gray.shape[1], dpi)
    return Prepared(index, gray, dpi, skew)


def finish_page(page: Prepared, result: OcrResult, options: OcrOptions) -> PageText:
    """The page record from its first pass, after an orientation check if it read badly."""
    gray, rotation = page.gray, 0
    if options.cleanup and _suspect_orientation(gray, result):
        gray, rotation, result = _right(page, result, options)
    if options.cleanup and len(result.words) < FEW_WORDS:
        gray, result = _flattened(gray, result, page.dpi, options)
    h, w = gray.shape
    return PageText(index=page.index, method="ocr", text=result.text, words=result.words,
                    width=w, height=h, dpi=page.dpi, mean_conf=round(result.mean_conf, 2),
                    rotation=rotation, skew=page.skew)


def _suspect_orientation(gray: np.ndarray, result: OcrResult) -> bool:
    """Whether a first pass hints at a turned page: it read badly, or the page lies wide.

    Chart pages are portrait; one that is wider than high was most likely scanned
    sideways (Tesseract may still read it, but its word boxes lie on their side).
    """
    h, w = gray.shape
    return (result.mean_conf < LOW_CONFIDENCE or len(result.words) < FEW_WORDS
            or w > LANDSCAPE * h)


def _flattened(gray: np.ndarray, first: OcrResult, dpi: int, options: OcrOptions
               ) -> tuple[np.ndarray, OcrResult]:
    """A page that read (almost) nothing, read again with its shading divided out.

    Tesseract can find no text at all on a print-filled page shaded dark towards one
    corner that our ink check passes as clean; kept only if it then reads more.
    """
    flat = cleanup.divide_shading(gray)
    second = recognise(flat, options.language, options.timeout_s, dpi=dpi)
    return (flat, second) if _mass(second) > _mass(first) else (gray, first)


def _mass(result: OcrResult) -> float:
    """Confidence carried by plausible words: what a wrongly turned page lacks."""
    return sum(w.conf for w in result.words if w.conf >= 50 and len(w.text) > 1)


def _right(page: Prepared, first: OcrResult, options: OcrOptions
           ) -> tuple[np.ndarray, int, OcrResult]:
    """Image, clockwise turn and OCR result of the page set upright.

    Tesseract's OSD decides when it is sure; the turn it names is kept unless it reads
    clearly worse. When OSD is unsure (a sparse page: a signature, a footer) and the
    first pass read badly (words read upside down come out at low confidence; a sparse
    upright page costs no second pass), the page is read turned over (fax pages come
    upside down more often than sideways) and kept only if that reads clearly better.
    """
    turn = orientation(page.gray, min(options.timeout_s, 60))
    h, w = page.gray.shape
    if w > LANDSCAPE * h and turn == 180:
        turn = 0  # turned over, a wide page stays wide: OSD misread it
    blind = not turn
    if blind:
        if first.mean_conf >= LOW_CONFIDENCE:
            return page.gray, 0, first  # what was read, was read well: upright
        turn = 180
    turned = cleanup.turn(page.gray, turn)
    second = recognise(turned, options.language, options.timeout_s, dpi=page.dpi)
    before, after = _mass(first), _mass(second)
    better = after > 1.5 * before + 100 if blind else after >= 0.9 * before and after > 0
    if better:
        return turned, turn, second
    return page.gray, 0, first


def ocr_image(image: np.ndarray, dpi: int, index: int, options: OcrOptions) -> PageText:
    """Clean up and OCR a page image."""
    page = prepare_page(image, dpi, index, options)
    first = recognise(page.gray, options.language, options.timeout_s, dpi=page.dpi)
    return finish_page(page, first, options)
