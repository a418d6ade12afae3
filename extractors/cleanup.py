"""Image clean-up before OCR: cheap steps that pay for themselves in accuracy.

Each step is a plain function on a grayscale numpy array and reports what it did, so the
page record can say how it was read. Budget: tens of milliseconds per page; Tesseract
itself takes one to two seconds, so anything slower must earn its cost on the hard pages
only (orientation is therefore decided after a first OCR pass, in ``ocr``).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Gray = NDArray[np.uint8]
UPSCALE_DPI = 250  # what low-resolution scans are resampled to
LETTER_WIDTH_IN = 8.5
DARK_SHARE = 0.3  # a global threshold that calls more of the page ink than this has failed


def to_gray(image: NDArray[np.uint8]) -> Gray:
    """Single-channel 8-bit image."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)  # type: ignore[return-value]
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)  # type: ignore[return-value]


def effective_dpi(width_px: int, declared: int) -> int:
    """Declared resolution, or one inferred from a letter-width page."""
    if declared >= 72:
        return declared
    return max(72, round(width_px / LETTER_WIDTH_IN))


def upscale(gray: Gray, dpi: int) -> tuple[Gray, int]:
    """Resample low-resolution scans (< 200 dpi) to 250 dpi.

    Tesseract wants an x-height of 20+ pixels; 150-200 dpi body text falls short of it.
    Measured on the dev set's 300 dpi pages scanned down to 150 dpi (CER median / mean /
    p90, OCR seconds): as scanned 0.0067 / 0.0286 / 0.0574, 52.7 s; at 250 dpi 0.0072 /
    0.0223 / 0.0368, 69.0 s; at 300 dpi 0.0058 / 0.0246 / 0.0471, 72.9 s. 250 dpi
    cuts the p90 error by a third, for less time than 300 (median: slightly worse).
    """
    if dpi >= 200:
        return gray, dpi
    factor = UPSCALE_DPI / dpi
    out = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    return out, UPSCALE_DPI  # type: ignore[return-value]


def _halved(gray: Gray, while_at_least: int) -> Gray:
    """Halved with Gaussian pyramids while ``while_at_least`` pixels wide or wider."""
    small = gray
    while small.shape[1] >= while_at_least:
        small = cv2.pyrDown(small)  # type: ignore[assignment]
    return small


def _ink(gray: Gray, min_width: int = 600) -> Gray:
    """Small binarised copy (ink = 255) for layout measurements.

    Halved with Gaussian pyramids (2 ms for a letter page at 300 dpi; an area resize to
    a fixed width took 10 ms) while at least ``min_width`` pixels wide.
    """
    small = _halved(gray, while_at_least=2 * min_width)
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink  # type: ignore[return-value]


def _profile_score(ink: Gray, angle: float) -> float:
    h, w = ink.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rotated = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST)
    # OpenCV's row sums: the same integers as NumPy's in a twentieth of the time
    rows = cv2.reduce(rotated, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.float64)
    return float(np.var(np.diff(rows)))


def estimate_skew(gray: Gray, limit: float = 6.0, of_interest: float = 0.0) -> float:
    """Rotation in degrees (anticlockwise positive) that levels the text lines.

    Text lines are sharpest in the horizontal profile when the page is level; search
    in whole degrees on a small binarised copy halved once more (300-600 px), then in
    quarter degrees at 600-1200 px. The coarse step at the smaller size took the same
    decisions, to the same angles, as at full working size on 341 dev and generated
    pages (42 of them deskewed), in half the time (4.9 vs 10.3 ms a page). With
    ``of_interest``, the fine search is skipped when the coarse one shows the angle
    must stay below it (the caller would not act on it).
    """
    ink = _ink(gray)
    if ink.mean() < 0.5:  # blank page
        return 0.0
    small: Gray = cv2.pyrDown(ink)  # type: ignore[assignment]
    coarse = [float(a) for a in np.arange(-limit, limit + 0.01, 1.0)]
    best: float = max(coarse, key=lambda a: _profile_score(small, a))
    if abs(best) + 0.75 < of_interest:
        return best
    fine = [float(a) for a in np.arange(best - 0.75, best + 0.76, 0.25)]
    top: float = max(fine, key=lambda a: _profile_score(ink, a))
    return round(top, 2)


def rotate(gray: Gray, angle: float) -> Gray:
    """Rotate about the centre, keeping the whole page, filling with the paper's shade.

    Not with white: on a sparse page of grey paper, white corners are the brightest
    thing left, and Tesseract's global threshold then falls between them and the paper,
    turning the whole page to "ink" (a dev2 signature page read 0 words that way).
    """
    paper = int(np.median(gray[::8, ::8]))  # a page is mostly paper
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(gray, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=paper)
    return out  # type: ignore[return-value]


def deskew(gray: Gray, min_angle: float = 1.25) -> tuple[Gray, float]:
    """Level the text lines of skewed pages.

    Below ``min_angle`` Tesseract copes by itself, and resampling a mildly skewed table
    page can scramble its reading order: those pages are left alone. From 1.25 degrees a
    long line of prose drifts by more than its own height across the page, and Tesseract
    drops whole lines (pages at 1.5-1.75 degrees, dev and dev2: CER 0.37-0.45 as
    scanned, 0.002-0.05 levelled; at 2 degrees this threshold used to be).
    """
    angle = estimate_skew(gray, of_interest=min_angle)
    if abs(angle) < min_angle:
        return gray, 0.0
    return rotate(gray, angle), angle


def turn(gray: Gray, degrees: int) -> Gray:
    """Rotate by a multiple of 90 degrees clockwise."""
    k = (degrees // 90) % 4
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return gray if k == 0 else cv2.rotate(gray, codes[k])  # type: ignore[return-value]


def despeckle(gray: Gray) -> Gray:
    """Remove isolated specks (scanner dust, fax noise) without eroding strokes."""
    return cv2.medianBlur(gray, 3)  # type: ignore[return-value]


def is_bitonal(gray: Gray) -> bool:
    """Only pure black and white pixels (fax / G4 scans)."""
    sample = gray[:: 7, :: 7]
    return bool(np.isin(sample, (0, 255)).mean() > 0.995)


def _background(gray: Gray) -> Gray:
    """The paper without the print, at 1/8 scale or smaller.

    Dark strokes are filled in by a max filter nine pixels wide (wider than a stroke of
    body text shrunk that far), then the result is smoothed.
    """
    small = _halved(gray, while_at_least=401)  # to 400 px wide or less
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    return cv2.GaussianBlur(paper, (0, 0), 5)  # type: ignore[return-value]


def flatten(gray: Gray, max_ink: float = DARK_SHARE) -> tuple[Gray, bool]:
    """Divide out uneven paper shading where a global threshold fails on it.

    Tesseract binarises with one global (Otsu) threshold. On a mostly blank page shaded
    from grey to white the threshold falls inside the shading and half the page turns to
    "ink": generated pages of that kind read 0 words in 0.9-1.7 s, and 10-22 words
    (confidence 89-93) in 0.2 s once flattened. Pages of print are left alone (flattening
    them changed nothing but cost): measured, the share of ink under Otsu is at most 0.16
    on the 247 scanned dev pages and 0.11 on 91 generated ones, 0.44-0.49 on the failing
    ones.
    """
    if _ink(gray).mean() < max_ink * 255:
        return gray, False
    return divide_shading(gray), True


def divide_shading(gray: Gray) -> Gray:
    """The page divided by its paper: even shading, whatever the ink share."""
    paper = cv2.resize(_background(gray), (gray.shape[1], gray.shape[0]),
                       interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, paper, scale=255)  # type: ignore[return-value]


def barcodes(gray: Gray, dpi: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of barcodes: ten or more tall bars an inch, side by side.

    Bars are the ink left by a vertical opening 0.15 in tall (text strokes of that height
    stand far apart); bars less than 0.05 in apart are joined into one run, and a run half
    an inch wide or more that crosses 10+ bars an inch in its middle rows is a barcode.
    Large type stays under it: "WHEELER" in 0.3 in capitals crosses ~7 strokes an inch.
    """
    small, scale = gray, 1
    while small.shape[1] >= 2000:
        small, scale = cv2.pyrDown(small), scale * 2  # type: ignore[assignment]
    d = dpi / scale
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    tall = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, int(0.15 * d))))
    bars = cv2.morphologyEx(ink, cv2.MORPH_OPEN, tall)
    near = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(0.05 * d)), 1))
    runs = cv2.morphologyEx(bars, cv2.MORPH_CLOSE, near)
    # Outer contours give the runs' boxes in a third of the time of connected components.
    contours, _ = cv2.findContours(runs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for x, y, w, h in map(cv2.boundingRect, contours):
        if w < 0.5 * d or not 0.15 * d <= h <= 2.0 * d:
            continue
        middle = bars[y + h // 4: y + h - h // 4, x: x + w] > 0
        crossed = float(np.median(np.count_nonzero(np.diff(middle.astype(np.int8), axis=1) == 1,
                                                   axis=1)))
        if crossed >= 16 and crossed / (w / d) >= 10:
            out.append((int(x) * scale, int(y) * scale, int(w) * scale, int(h) * scale))
    return out


def drop_barcodes(gray: Gray, dpi: int) -> Gray:
    """Barcodes painted over with paper, their printed digits kept.

    Tesseract takes a barcode beside the letterhead for part of its text line, sizes the
    line by the bars and misreads the hospital's name (dev2: 27 of 111 first pages).
    """
    boxes = barcodes(gray, dpi)
    if not boxes:
        return gray
    out = gray.copy()
    paper = int(np.median(gray[::8, ::8]))
    pad = max(2, dpi // 100)
    for x, y, w, h in boxes:
        out[max(0, y - pad): y + h + pad, max(0, x - pad): x + w + pad] = paper
    return out


def prepare(gray: Gray, dpi: int) -> tuple[Gray, int, float]:
    """The default clean-up chain: shading, resolution, skew, barcodes. Returns image, dpi, skew."""
    dpi = effective_dpi(gray.shape[1], dpi)
    if is_bitonal(gray):
        if dpi < 200:
            gray = cv2.GaussianBlur(gray, (3, 3), 0)  # type: ignore[assignment]
    else:
        gray, _ = flatten(gray)
    gray, dpi = upscale(gray, dpi)
    gray, angle = deskew(gray)
    return drop_barcodes(gray, dpi), dpi, angle
