"""Real Tesseract on pages the test draws itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from chartvault.errors import QuarantineError
from chartvault.model import PageText
from chartvault.synth.badfiles import make_bad_inputs
from extractors import cleanup
from extractors.ocr import OcrOptions, ocr_image, read_page, read_pages
from extractors.pages import PageRef, inspect_source
from extractors.pool import (
    READ_AHEAD_MAX_PAGES,
    PagePool,
    _prestarted,
    _read_unclaimed,
    prestart,
)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = ["Patient Name: Harlow, Edith", "Medical Record Number: 4417209",
         "The patient tolerated the procedure well.", "Plan: follow up in two weeks."]


def page(angle: float = 0.0) -> np.ndarray:
    img = Image.new("L", (2550, 1400), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 42)
    for i, line in enumerate(LINES * 3):
        d.text((200, 120 + i * 90), line, font=font, fill=0)
    if angle:
        img = img.rotate(angle, fillcolor=255, expand=False)
    return np.asarray(img)


def test_skew_is_measured() -> None:
    # the estimate is the correction: a page turned 2 deg anticlockwise needs -2 deg
    assert abs(cleanup.estimate_skew(page(2.0)) + 2.0) <= 0.5
    assert abs(cleanup.estimate_skew(page(0.0))) <= 0.3


def test_skewed_and_upside_down_pages_are_read() -> None:
    opts = OcrOptions()
    skewed = ocr_image(page(2.5), 300, 0, opts)
    assert "Harlow" in skewed.text and abs(skewed.skew) > 1.5
    flipped = ocr_image(np.ascontiguousarray(page()[::-1, ::-1]), 300, 1, opts)
    assert "Harlow" in flipped.text and flipped.rotation == 180
    assert flipped.words and flipped.words[0].width > 0  # boxes from the same pass


def letter_page(paper: int = 255, lines: int = 12) -> Image.Image:
    """A portrait letter page at 300 dpi with a few lines of print."""
    img = Image.new("L", (2550, 3300), paper)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 42)
    for i, line in enumerate((LINES * 4)[:lines]):
        d.text((220, 300 + i * 90), line, font=font, fill=0)
    return img


def _raw(gray: np.ndarray) -> dict[str, list[object]]:
    """Raw Tesseract (default page segmentation) on the page as it was scanned."""
    import pytesseract

    out: dict[str, list[object]] = pytesseract.image_to_data(
        Image.fromarray(gray), config="--psm 3", output_type=pytesseract.Output.DICT)
    return out


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_pages_scanned_turned_are_righted_before_they_are_read(turned: int) -> None:
    scanned = np.asarray(letter_page().rotate(turned, expand=True))  # anticlockwise
    raw = _raw(scanned)
    raw_boxes = [(int(str(w)), int(str(h))) for t, w, h in
                 zip(raw["text"], raw["width"], raw["height"], strict=True)
                 if str(t).strip() == "Harlow,"]
    # raw Tesseract loses the name, or (sideways) reads it in boxes lying on their side
    assert not raw_boxes or all(h > w for w, h in raw_boxes)
    page = ocr_image(scanned, 300, 0, OcrOptions())
    assert page.rotation == turned and (page.width, page.height) == (2550, 3300)
    assert "Harlow, Edith" in page.text and "4417209" in page.text
    names = [w for w in page.words if w.text.startswith("Harlow")]
    assert names and all(w.width > w.height for w in names)  # upright boxes


def test_a_sparse_grey_page_scanned_skewed_and_upside_down_is_read() -> None:
    # The last page of a note: two lines on grey paper, skewed (white scanner corners),
    # upside down. Deskewing must not add white corners that break the threshold.
    img = letter_page(paper=215, lines=2).rotate(182.5, fillcolor=255, expand=True)
    scanned = np.asarray(img)
    assert "Harlow" not in " ".join(str(t) for t in _raw(scanned)["text"])
    page = ocr_image(scanned, 300, 0, OcrOptions())
    assert page.rotation == 180 and "Harlow" in page.text


def test_upright_pages_are_not_turned() -> None:
    page = ocr_image(np.asarray(letter_page()), 300, 0, OcrOptions())
    assert page.rotation == 0 and "Harlow, Edith" in page.text


def shaded_sparse_page() -> np.ndarray:
    """The last page of a letter: a few lines at the top, the rest blank, the paper
    darkening by 20 % towards the left edge, sensor noise (as the generator scans it)."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 42)
    for i, line in enumerate(LINES[:2]):
        d.text((260, 280 + i * 110), line, font=font, fill=0)
    arr = np.asarray(img, dtype=np.float32) * np.linspace(0.8, 1.0, 2550)[None, :]
    arr += np.random.default_rng(7).normal(0, 8.0, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def test_shading_is_flattened_only_where_the_global_threshold_fails() -> None:
    shaded = shaded_sparse_page()
    flat, done = cleanup.flatten(shaded)
    assert done and flat.shape == shaded.shape
    assert cleanup._ink(flat).mean() < 0.1 * 255 < cleanup._ink(shaded).mean()
    printed = page()
    same, done = cleanup.flatten(printed)
    assert not done and same is printed


def test_a_shaded_mostly_blank_page_is_read() -> None:
    shaded = shaded_sparse_page()
    as_scanned = ocr_image(shaded, 300, 0, OcrOptions(cleanup=False))
    cleaned = ocr_image(shaded, 300, 0, OcrOptions())
    assert "4417209" not in as_scanned.text  # Tesseract's own threshold loses the text
    assert "Harlow" in cleaned.text and "4417209" in cleaned.text


def test_pool_reads_every_document_once_and_quarantines_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(page()).save(good, dpi=(300, 300))
    bad = make_bad_inputs(tmp_path / "bad")
    for name, reason in bad.items():
        with pytest.raises(QuarantineError) as err:
            inspect_source(tmp_path / "bad" / name)
        assert err.value.reason.value == reason
    docs = [(f"d{i}", inspect_source(good)) for i in range(5)]
    with PagePool(2, OcrOptions()) as pool:
        out = dict(pool.run(iter(docs)))
    assert sorted(out) == [f"d{i}" for i in range(5)]
    assert all(not isinstance(v, QuarantineError) and "4417209" in v[0].text
               for v in out.values())


def _png(path: Path, lines: list[str], note: str = "-") -> Path:
    """A scan (PNG, or TIFF with ``note`` as its description by the path's suffix)."""
    img = Image.new("L", (2550, 900), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 42)
    for i, line in enumerate(lines):
        d.text((200, 120 + i * 90), line, font=font, fill=0)
    extra = {"description": f"scan note {note}"} if path.suffix == ".tif" else {}
    img.save(path, dpi=(300, 300), **extra)
    return path


def test_one_tesseract_run_reads_several_pages_like_separate_runs(tmp_path: Path) -> None:
    a = _png(tmp_path / "a.png", LINES)
    b = _png(tmp_path / "b.png", ["Discharge Summary", "Attending: Dr. Quill Ambrose"])
    broken = tmp_path / "broken.png"
    broken.write_bytes(a.read_bytes()[:4000])  # half-written scan
    refs = [inspect_source(a).pages[0], PageRef(str(broken), 0, "image", 300),
            inspect_source(b).pages[0]]
    together = read_pages(refs, OcrOptions())
    assert isinstance(together[1], QuarantineError)  # only the bad page fails
    alone = [read_page(refs[0], OcrOptions()), read_page(refs[2], OcrOptions())]
    for shared, single in zip((together[0], together[2]), alone, strict=True):
        assert isinstance(shared, PageText)
        assert shared.text == single.text and shared.words == single.words
    assert "Harlow" in alone[0].text and "Ambrose" in alone[1].text


def test_read_ahead_is_used_only_for_the_bytes_that_were_claimed(tmp_path: Path) -> None:
    intake, custody = tmp_path / "intake", tmp_path / "custody"
    intake.mkdir()
    custody.mkdir()
    same = _png(intake / "same.png", LINES)
    edited = _png(intake / "edited.tif", LINES, note="A")
    replaced = _png(intake / "replaced.png", LINES)
    prestart(2, [same, edited, replaced], OcrOptions())
    for fut in _prestarted[2].ahead.values():
        assert fut.result() is not None  # all three were read ahead
    # Then one file is claimed untouched (a rename keeps its inode), one is edited in
    # place keeping its size and mtime, and one is replaced by another scan.
    st = edited.stat()
    with open(edited, "r+b") as f:
        data = f.read()
        assert data.count(b"scan note A") == 1
        f.seek(0)
        f.write(data.replace(b"scan note A", b"scan note B"))
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns))
    _png(tmp_path / "new.png", ["Operative Report", "Surgeon: Dr. Ines Calloway"])
    os.replace(tmp_path / "new.png", replaced)
    claimed = custody / "source.png"
    os.rename(same, claimed)
    docs = [(k, inspect_source(p)) for k, p in
            (("same", claimed), ("edited", edited), ("replaced", replaced))]
    with PagePool(2, OcrOptions()) as pool:
        out = dict(pool.run(iter(docs)))
    assert pool.read_ahead_used == 1  # only the untouched, claimed file
    texts = {k: v[0].text for k, v in out.items() if not isinstance(v, QuarantineError)}
    assert "Harlow" in texts["same"] and "Harlow" in texts["edited"]
    assert "Calloway" in texts["replaced"] and "Harlow" not in texts["replaced"]


def test_long_files_are_not_read_ahead(tmp_path: Path) -> None:
    frames = [Image.fromarray(page()) for _ in range(READ_AHEAD_MAX_PAGES + 1)]
    long_tiff = tmp_path / "long.tif"
    frames[0].save(long_tiff, save_all=True, append_images=frames[1:], dpi=(300, 300))
    short = _png(tmp_path / "short.png", LINES)
    assert _read_unclaimed(str(long_tiff), OcrOptions(), 2000, 1 << 30) is None
    early = _read_unclaimed(str(short), OcrOptions(), 2000, 1 << 30)
    assert early is not None and isinstance(early.pages[0], PageText)
    assert "Harlow" in early.pages[0].text


def test_a_shared_run_that_overruns_fails_page_by_page(tmp_path: Path) -> None:
    refs = [inspect_source(_png(tmp_path / f"p{i}.png", LINES)).pages[0] for i in range(2)]
    out = read_pages(refs, OcrOptions(timeout_s=0.05))  # no page is read that fast
    assert all(isinstance(o, QuarantineError) and o.reason.value == "ocr_failed"
               and "exceeded" in o.detail for o in out)


def test_bitonal_pages_are_staged_one_bit_deep_and_read() -> None:
    from extractors.tesseract import _write, recognise

    fax = np.where(page() < 128, 0, 255).astype(np.uint8)
    staged = _write(fax, 200)
    try:
        with Image.open(staged) as im:
            assert im.mode == "1" and round(im.info["dpi"][0]) == 200
    finally:
        os.unlink(staged)
    gray = _write(page(), 300)  # anti-aliased print stays 8 bits deep
    try:
        with Image.open(gray) as im:
            assert im.mode == "L"
    finally:
        os.unlink(gray)
    assert "4417209" in recognise(fax, "eng", 60, dpi=300).text


_FORKED_THEN_SERVED = """
import sys
from pathlib import Path
from chartvault.cli import _can_fork

fresh = _can_fork()  # a new interpreter, as the CLI starts
from extractors.ocr import OcrOptions
from extractors.pages import inspect_source
from extractors.pool import PagePool, _prestarted, prestart

prestart(2, fork=fresh)
forked = _prestarted[2].executor._mp_context.get_start_method()
docs = [("d", inspect_source(Path(sys.argv[1])))]
with PagePool(2, OcrOptions()) as pool:
    first = dict(pool.run(iter(docs)))["d"][0].text
# OpenCV has run in this process now (in the workers' page reader, imported here too):
# a new pool's workers come from a fork server.
from extractors import cleanup
cleanup.estimate_skew(cleanup.cv2.imread(sys.argv[1], 0))
with PagePool(1, OcrOptions()) as pool:
    served = pool._pool._mp_context.get_start_method()
    second = dict(pool.run(iter(docs)))["d"][0].text
print(fresh, _can_fork(), forked, served, "4417209" in first, first == second)
"""


def test_workers_are_forked_only_from_a_fresh_entry_point(tmp_path: Path) -> None:
    from chartvault.cli import _can_fork

    assert not _can_fork()  # this test session has loaded OpenCV
    scan = _png(tmp_path / "scan.png", LINES)
    out = subprocess.run([sys.executable, "-c", _FORKED_THEN_SERVED, str(scan)], check=True,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "False", "fork", "forkserver", "True", "True"]


def _pids(pool: PagePool) -> set[int]:
    assert pool._pool is not None
    return {pool._pool.submit(os.getpid).result() for _ in range(8)}


def test_a_kept_pool_serves_the_next_run_and_is_replaced_when_broken(tmp_path: Path) -> None:
    import signal

    from extractors.pool import keep_warm, shutdown_warm

    docs = [("d", inspect_source(_png(tmp_path / "scan.png", LINES)))]
    keep_warm(2)
    try:
        with PagePool(2, OcrOptions()) as pool:
            assert "4417209" in dict(pool.run(iter(docs)))["d"][0].text  # type: ignore[index]
            first = pool._pool
        assert _prestarted[2].executor is first  # handed back, not shut down
        with PagePool(2, OcrOptions()) as pool:
            assert pool._pool is first
            pids = _pids(pool)
        for pid in pids:  # workers killed while idle (say, by the OOM killer)
            os.kill(pid, signal.SIGKILL)
        with PagePool(2, OcrOptions()) as pool:
            assert pool._pool is not first and not _pids(pool) & pids
            assert "4417209" in dict(pool.run(iter(docs)))["d"][0].text  # type: ignore[index]
            replaced = pool._pool
        with pytest.raises(KeyError), PagePool(2, OcrOptions()) as pool:
            raise KeyError("a run that fails")
        assert 2 not in _prestarted  # its pool was shut down, not kept
        assert replaced is not None and replaced._shutdown_thread
    finally:
        shutdown_warm()
    with PagePool(2, OcrOptions()):
        pass
    assert 2 not in _prestarted  # keeping is off again


def test_a_page_tesseract_reads_nothing_on_is_read_again_flattened(tmp_path: Path) -> None:
    # the soak's one good document that went to quarantine as "no_text": print on paper
    # shaded from 204 to 248, which passes the ink check yet reads 0 words as it is
    import random

    from chartvault.synth import batch

    rng = random.Random(7002)
    keys = list(batch.FORMAT_MIX)
    fmts = [rng.choices(keys, weights=[batch.FORMAT_MIX[k] for k in keys])[0] for _ in range(42)]
    row = batch._one((tmp_path, 42, 7002 * 100003 + 41, fmts[41], None))
    ref = inspect_source(tmp_path / row["file"]).pages[0]
    raw = read_page(ref, OcrOptions(cleanup=False))
    page = read_page(ref, OcrOptions())
    assert len(raw.words) < 10
    assert row["patient"]["family"].upper() in page.text.upper() and len(page.words) > 50


def test_specks_read_as_symbols_are_left_out_of_text_and_words(tmp_path: Path) -> None:
    import pytesseract

    from extractors.tesseract import is_noise, recognise

    gray = page().copy()
    rng = np.random.default_rng(7)
    for _ in range(400):  # scanner dust: square specks 3-6 px wide
        y, x = rng.integers(0, gray.shape[0] - 6), rng.integers(0, gray.shape[1] - 6)
        r = int(rng.integers(3, 7))
        gray[y:y + r, x:x + r] = 0
    Image.fromarray(gray).save(tmp_path / "dusty.png")
    raw = pytesseract.image_to_data(str(tmp_path / "dusty.png"), config="--psm 3",
                                    output_type=pytesseract.Output.DICT)
    specks = [t for t, c in zip(raw["text"], raw["conf"], strict=True)
              if t.strip() and is_noise(t.strip(), float(c))]
    assert len(specks) >= 3  # Tesseract does read the dust as punctuation
    result = recognise(gray, "eng", 60)
    assert not [w for w in result.words if is_noise(w.text, w.conf)]
    assert all(not is_noise(t, 0.0) for t in result.text.split())
    assert result.text.count("Medical Record Number: 4417209") == 3


def test_symbols_printed_and_read_surely_are_kept() -> None:
    from extractors.tesseract import is_noise

    assert not is_noise("-", 91.0) and not is_noise("|", 88.0)  # "- 2 -", table rules
    assert is_noise(".", 12.0) and is_noise("‘", 40.0) and is_noise("--.", 12.0)
    assert not is_noise("I10", 20.0) and not is_noise("5.", 30.0)  # any letter or digit is read


def _letterhead_with_barcode(bars: bool = True) -> np.ndarray:
    img = Image.new("L", (2550, 900), 240)
    d = ImageDraw.Draw(img)
    d.text((200, 180), "Lake Erikview Regional Medical Center",
           font=ImageFont.truetype(FONT.replace("Sans", "Sans-Bold"), 46), fill=20)
    d.text((200, 250), "418 Johnson Parks, Lisatown, PW 04410", font=ImageFont.truetype(FONT, 34),
           fill=20)
    d.text((200, 400), "WHEELER, DEREK C", font=ImageFont.truetype(FONT, 90), fill=20)
    if bars:
        rng = np.random.default_rng(3)
        x = 1800
        while x < 2300:  # Code 39-like: bars and gaps 2-7 px at 300 dpi
            w = int(rng.integers(2, 8))
            d.rectangle((x, 170, x + w - 1, 260), fill=0)
            x += w + int(rng.integers(2, 8))
        d.text((1930, 270), "*4137935*", font=ImageFont.truetype(FONT, 30), fill=20)
    return np.asarray(img)


def test_barcodes_are_found_and_large_type_is_not_one() -> None:
    gray = _letterhead_with_barcode()
    (x, y, w, h), = cleanup.barcodes(gray, 300)
    assert 1790 <= x <= 1810 and 160 <= y <= 180 and 480 <= w <= 520 and 80 <= h <= 100
    assert cleanup.barcodes(_letterhead_with_barcode(bars=False), 300) == []


def test_a_letterhead_beside_a_barcode_is_read_once_the_bars_are_painted_over() -> None:
    gray = _letterhead_with_barcode()
    cleaned = cleanup.drop_barcodes(gray, 300)
    assert cleanup.barcodes(cleaned, 300) == []
    text = ocr_image(gray, 300, 0, OcrOptions()).text
    # with the bars, Tesseract reads them into the letterhead's line ("... Center  tA")
    assert text.splitlines()[0] == "Lake Erikview Regional Medical Center"
    assert "*4137935*" in text


def _letterhead_with_small_labels() -> np.ndarray:
    img = Image.new("L", (2550, 500), 250)
    d = ImageDraw.Draw(img)
    d.text((150, 150), "North Jeffreyfort Radiology Associates",
           font=ImageFont.truetype(FONT.replace("Sans", "Sans-Bold"), 58), fill=10)
    small = ImageFont.truetype(FONT, 26)
    d.text((1650, 185), "Legal Name", font=small, fill=10)
    d.text((2050, 185), "Date Born", font=small, fill=10)
    d.text((1650, 235), "Esparza, April", font=small, fill=10)
    return np.asarray(img)


def test_small_print_misread_beside_large_type_is_read_again_alone(tmp_path: Path) -> None:
    import pytesseract

    from extractors import tesseract

    gray = _letterhead_with_small_labels()
    Image.fromarray(gray).save(tmp_path / "head.png")
    data = pytesseract.image_to_data(str(tmp_path / "head.png"), config="--psm 3",
                                     output_type=pytesseract.Output.DICT)
    # the fault seen on damaged scans, set into a clean reading: the labels beside the
    # letterhead misread at low confidence ("teva nane" for "Legal Name")
    for i, word in enumerate(data["text"]):
        if word in ("Legal", "Name"):
            data["text"][i], data["conf"][i] = {"Legal": "teva", "Name": "nane"}[word], 45
    runs = tesseract._small_print_runs(data)
    assert [[data["text"][i] for i in run] for run in runs] == [["teva", "nane"]]
    again = tesseract._reread_small_print([data], [(gray, 300)], "eng", 60)[0]
    line = tesseract._assemble(again).text.splitlines()[0]
    assert line == "North Jeffreyfort Radiology Associates  Legal Name  Date Born"
    sure = {**data, "conf": [99 if c == 45 else c for c in data["conf"]]}
    assert tesseract._small_print_runs(sure) == []  # what was read surely is left alone


def _boxed_row(step: int) -> np.ndarray:
    """A label row over a value row, each cell boxed; the right two columns ``step`` higher."""
    img = Image.new("L", (2550, 600), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 34)
    cells = [("EMPI", "M1947037"), ("FIN", "E6684590"), ("Date Born", "14JUL1958"),
             ("Age / Sex", "50 M"), ("Last Name", "Ford")]
    for k, (label, value) in enumerate(cells):
        x, y = 150 + 440 * k, 200 - (step if k >= 3 else 0)
        d.rectangle((x, y, x + 440, y + 60), outline=0, width=3)
        d.rectangle((x, y + 60, x + 440, y + 130), outline=0, width=3)
        d.text((x + 12, y + 12), label, fill=0, font=font)
        d.text((x + 12, y + 72), value, fill=0, font=font)
    return np.asarray(img)


@pytest.mark.parametrize("step", [0, 10])
def test_a_boxed_row_read_cell_by_cell_comes_out_as_one_row(step: int, tmp_path: Path) -> None:
    # Tesseract takes each boxed cell for a block of its own, and a row printed askew
    # for two lines: the text keeps the printed rows, left to right
    from extractors import tesseract

    lines = tesseract.recognise(_boxed_row(step), "eng", 60).text.splitlines()
    assert lines[:2] == ["EMPI  FIN  Date Born  Age / Sex  Last Name",
                         "M1947037  E6684590  14JUL1958  50M  Ford"]
    import pytesseract

    Image.fromarray(_boxed_row(step)).save(tmp_path / "row.png", dpi=(300, 300))
    data = pytesseract.image_to_data(str(tmp_path / "row.png"), config="--psm 3",
                                     output_type=pytesseract.Output.DICT)
    keys = {(data["block_num"][i], data["par_num"][i], data["line_num"][i])
            for i, word in enumerate(data["text"]) if word in ("EMPI", "Last")}
    assert len(keys) == 2  # Tesseract's own lines part the row
