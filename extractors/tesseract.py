"""The one place that runs Tesseract (through pytesseract), always with a time limit.

One pass per page yields TSV: the words with their boxes and confidences, from which
the page text is rebuilt line by line, so text and word boxes never disagree and a
searchable PDF can be built later without a second OCR.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass

import cv2
import pytesseract
from PIL import Image

from chartvault.errors import QuarantineError, QuarantineReason
from chartvault.model import Word
from extractors.cleanup import Gray, is_bitonal
from extractors.scratch import inherited_dir


@dataclass(frozen=True)
class OcrResult:
    """Text, words and mean confidence of one Tesseract pass."""

    text: str
    words: tuple[Word, ...]
    mean_conf: float


def _stage_dir() -> str | None:
    """Where pages are staged: /dev/shm when it has room, else the default folder.

    Writing and deleting an 8 MB page takes ~2 ms in memory, ~11 ms on disk. Containers
    often give /dev/shm only 64 MB: a bundle of large pages would not fit there. In a page
    worker, the run's private scratch folder (``extractors.scratch``) instead.
    """
    private = inherited_dir()
    if private:
        return private
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if st.f_bavail * st.f_frsize >= 1 << 30 else None


def _write(gray: Gray, dpi: int = 0) -> str:
    """Stage a page for Tesseract as an uncompressed TIFF carrying its resolution.

    Written in a few milliseconds (PNG takes 20-40), and Leptonica reads it ~10 % of a
    page's OCR time faster than PNM: measured 3.15 s vs 3.53 s for three 300 dpi pages.
    """
    fd, path = tempfile.mkstemp(suffix=".tif", prefix="cv-ocr-", dir=_stage_dir())
    os.close(fd)
    try:
        if is_bitonal(gray):
            # Fax and G4 scans stay one bit deep: Tesseract reads them 10 % faster than
            # the same pixels at 8 bits (16 generated pages: 8.29 s vs 9.21 s, 14
            # identical TSV).
            extra = {"dpi": (dpi, dpi)} if dpi else {}
            Image.fromarray(gray).convert("1", dither=Image.Dither.NONE).save(
                path, format="TIFF", **extra)
            staged = True
        else:
            params = [cv2.IMWRITE_TIFF_COMPRESSION, 1]
            if dpi:
                params += [cv2.IMWRITE_TIFF_RESUNIT, 2, cv2.IMWRITE_TIFF_XDPI, dpi,
                           cv2.IMWRITE_TIFF_YDPI, dpi]
            staged = cv2.imwrite(path, gray, params)
    except OSError:
        staged = False
    if not staged:
        os.unlink(path)
        raise QuarantineError(QuarantineReason.OCR_FAILED, "page image could not be staged")
    return path


def recognise(gray: Gray, language: str, timeout_s: float, psm: int = 3,
              dpi: int = 300) -> OcrResult:
    """OCR one page image; QuarantineError(OCR_FAILED) on error or timeout."""
    return recognise_many([(gray, dpi)], language, timeout_s, psm)[0]


def recognise_many(pages: list[tuple[Gray, int]], language: str, timeout_s: float,
                   psm: int = 3) -> list[OcrResult]:
    """OCR several page images in one Tesseract process; one result per page, in order.

    Tesseract takes a list file and writes one TSV with a ``page_num`` column; the
    results are those of separate runs (checked row for row), without the ~70 ms of
    process start and model loading per page. Each image carries its resolution in its
    TIFF tags (without one, layout analysis assumes 70 dpi). ``timeout_s`` is per page.
    QuarantineError(OCR_FAILED) if the run fails or overruns: the caller decides whether
    to retry the pages one by one.
    """
    paths: list[str] = []
    limit = timeout_s * len(pages)
    try:
        paths.extend(_write(gray, dpi) for gray, dpi in pages)
        target = paths[0]
        if len(paths) > 1:
            fd, target = tempfile.mkstemp(suffix=".txt", prefix="cv-ocr-", dir=_stage_dir())
            paths.append(target)
            with os.fdopen(fd, "w") as f:
                f.write("".join(p + "\n" for p in paths[:-1]))
        data = pytesseract.image_to_data(
            target, lang=language, config=f"--psm {psm}", timeout=limit,
            output_type=pytesseract.Output.DICT,
        )
    except RuntimeError:  # pytesseract's timeout
        raise QuarantineError(QuarantineReason.OCR_FAILED, f"tesseract exceeded {limit:.0f} s"
                              ) from None
    except pytesseract.TesseractError as err:
        raise QuarantineError(QuarantineReason.OCR_FAILED,
                              f"tesseract failed (status {err.status})") from None
    finally:
        for p in paths:
            os.unlink(p)
    parts = _split_pages(data, len(pages))
    if psm == 3:
        parts = _reread_small_print(parts, pages, language, timeout_s)
    return [_assemble(part) for part in parts]


Rows = dict[str, list[object]]
SMALL = 0.6  # a word under this share of its line's tallest word is small print beside large
UNSURE = 70.0  # ... and read under this confidence, it is read again on its own


def _small_print_runs(part: Rows) -> list[list[int]]:
    """Runs of unsure small words on lines shared with large type (a letterhead, a title).

    Tesseract sizes a text line by its tallest words: a label grid printed beside the
    letterhead then reads as "teva nane" for "Legal Name", at confidence 40-50.
    """
    lines: dict[tuple[object, object, object], list[int]] = {}
    for i, raw in enumerate(part["text"]):
        if str(raw).strip():
            key = (part["block_num"][i], part["par_num"][i], part["line_num"][i])
            lines.setdefault(key, []).append(i)
    runs: list[list[int]] = []
    for idx in lines.values():
        tall = max(int(str(part["height"][i])) for i in idx)
        run: list[int] = []
        for i in [*idx, -1]:
            small = i >= 0 and int(str(part["height"][i])) < SMALL * tall
            if small and float(str(part["conf"][i])) < UNSURE \
                    and not _SYMBOLS_ONLY.fullmatch(str(part["text"][i]).strip()):
                run.append(i)
                continue
            if run:
                runs.append(run)
            run = []
    return runs


def _box(part: Rows, run: list[int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The run's words with a margin of half their height: x0, y0, x1, y1."""
    h = max(int(str(part["height"][i])) for i in run)
    x0 = min(int(str(part["left"][i])) for i in run) - h
    y0 = min(int(str(part["top"][i])) for i in run) - h // 2
    x1 = max(int(str(part["left"][i])) + int(str(part["width"][i])) for i in run) + h
    y1 = max(int(str(part["top"][i])) + int(str(part["height"][i])) for i in run) + h // 2
    return max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1)


def _reread_small_print(parts: list[Rows], pages: list[tuple[Gray, int]], language: str,
                        timeout_s: float) -> list[Rows]:
    """Unsure small words beside large type, read again cropped out as one line each.

    All crops of all pages go through one Tesseract run (single-line mode); a crop's
    words replace the run's only when they are surer by a quarter of ``UNSURE`` on average.
    """
    todo = [(k, run, _box(part, run, pages[k][0].shape))
            for k, part in enumerate(parts) for run in _small_print_runs(part)]
    if not todo:
        return parts
    crops = [(pages[k][0][y0:y1, x0:x1], pages[k][1]) for k, _, (x0, y0, x1, y1) in todo]
    try:
        again = recognise_many(crops, language, timeout_s, psm=7)
    except QuarantineError:
        return parts  # the first reading stands
    swaps: list[dict[int, list[dict[str, object]]]] = [{} for _ in parts]
    for (k, run, (x0, y0, _, _)), res in zip(todo, again, strict=True):
        before = sum(float(str(parts[k]["conf"][i])) for i in run) / len(run)
        if res.words and res.mean_conf >= before + UNSURE / 4:
            swaps[k][run[0]] = [{"text": w.text, "conf": w.conf, "left": x0 + w.left,
                                 "top": y0 + w.top, "width": w.width, "height": w.height}
                                for w in res.words]
            for i in run[1:]:
                swaps[k][i] = []
    return [_swapped(part, swap) if swap else part for part, swap in zip(parts, swaps,
                                                                           strict=True)]


def _swapped(part: Rows, swap: dict[int, list[dict[str, object]]]) -> Rows:
    """The page's rows with each swapped word replaced by the words read again."""
    out: Rows = {c: [] for c in part}
    for i in range(len(part["text"])):
        if i not in swap:
            for c, column in part.items():
                out[c].append(column[i])
            continue
        for new in swap[i]:
            for c, column in part.items():
                out[c].append(new.get(c, column[i]))  # block, paragraph, line: the run's
    return out


def _split_pages(data: dict[str, list[object]], n: int) -> list[dict[str, list[object]]]:
    """Tesseract's TSV rows per input page (``page_num`` counts from 1)."""
    parts: list[dict[str, list[object]]] = [{k: [] for k in data} for _ in range(n)]
    for i, page in enumerate(data["page_num"]):
        part = parts[min(n, max(1, int(str(page)))) - 1]
        for k, column in data.items():
            part[k].append(column[i])
    return parts


def _page_space(data: dict[str, list[object]]) -> float:
    """Typical gap between words on this page (median), the yardstick for cell gaps."""
    gaps = []
    prev_key, right = None, 0
    for i, raw in enumerate(data["text"]):
        if not str(raw).strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        left = int(str(data["left"][i]))
        if key == prev_key:
            gaps.append(left - right)
        prev_key, right = key, left + int(str(data["width"][i]))
    gaps.sort()
    return float(gaps[len(gaps) // 2]) if gaps else 0.0


# Specks, table rules and scanner dust come back as "words" of punctuation alone, read at
# low confidence; printed punctuation standing alone ("- 2 -", "|") reads at 70 and over.
_SYMBOLS_ONLY = re.compile(r"[^\w]+")
NOISE_CONF = 70.0


def is_noise(text: str, conf: float) -> bool:
    """A word of symbols alone, read unsure: no print, whatever Tesseract made of it."""
    return conf < NOISE_CONF and _SYMBOLS_ONLY.fullmatch(text) is not None


_Box = tuple[str, int, int, int, int, float]  # text, left, top, width, height, confidence


def _assemble(data: dict[str, list[object]]) -> OcrResult:
    lines: list[list[_Box]] = []
    confs: list[float] = []
    current: tuple[object, object, object] | None = None
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        if not text:
            continue
        conf = float(str(data["conf"][i]))
        confs.append(conf)  # noise included: a page read upside down must still read unsure
        if is_noise(text, conf):  # the gap it stood in is measured between real words
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key != current:
            lines.append([])
            current = key
        lines[-1].append((text, int(str(data["left"][i])), int(str(data["top"][i])),
                          int(str(data["width"][i])), int(str(data["height"][i])), conf))
    # A gap well over the page's usual word gap separates table cells or label/value
    # columns: keep it visible as two spaces, as the printed form shows it.
    wide = max(10.0, 2.2 * _page_space(data))
    words: list[Word] = []
    texts: list[str] = []
    for line in _rejoined(lines):
        parts: list[str] = []
        right = 0
        for text, left, top, width, height, conf in line:
            if parts:
                parts.append("  " if left - right > wide else " ")
            parts.append(text)
            right = left + width
            words.append(Word(text=text, left=left, top=top, width=width, height=height,
                              conf=conf, line=len(texts)))
        texts.append("".join(parts))
    mean = sum(confs) / len(confs) if confs else 0.0
    return OcrResult("\n".join(texts), tuple(words), mean)


def _rejoined(lines: list[list[_Box]]) -> list[list[_Box]]:
    """Tesseract's lines, with consecutive ones that stand side by side made one row.

    Tesseract ends a line where a table printed slightly askew steps up or down, and
    gives the two halves of one printed row one after the other ("Age / Sex  Last Name",
    then "EMPI  FIN  Date Born"): lines that share half their height and no column are
    one row, read left to right.
    """
    out: list[list[_Box]] = []
    for line in lines:
        if out and _side_by_side(out[-1], line):
            out[-1] = sorted(out[-1] + line, key=lambda w: w[1])
        else:
            out.append(line)
    return out


def _side_by_side(a: list[_Box], b: list[_Box]) -> bool:
    a_top, a_bottom = min(w[2] for w in a), max(w[2] + w[4] for w in a)
    b_top, b_bottom = min(w[2] for w in b), max(w[2] + w[4] for w in b)
    shared = min(a_bottom, b_bottom) - max(a_top, b_top)
    if shared < 0.5 * min(a_bottom - a_top, b_bottom - b_top):
        return False
    return min(w[1] for w in b) > max(w[1] + w[3] for w in a) \
        or max(w[1] + w[3] for w in b) < min(w[1] for w in a)


def orientation(gray: Gray, timeout_s: float) -> int:
    """Clockwise rotation Tesseract's OSD recommends (0, 90, 180, 270); 0 if unsure."""
    path = _write(gray)
    try:
        osd = pytesseract.image_to_osd(path, config="--psm 0", timeout=timeout_s,
                                       output_type=pytesseract.Output.DICT)
    except (RuntimeError, pytesseract.TesseractError):
        return 0
    finally:
        os.unlink(path)
    if float(osd.get("orientation_conf", 0)) < 1.5:
        return 0
    return int(osd.get("rotate", 0)) % 360
