"""Real Tesseract on pages the test draws itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from chartvault.errors import QuarantineError
from chartvault.synth.badfiles import make_bad_inputs
from extractors import cleanup
from extractors.ocr import OcrOptions, ocr_image
from extractors.pages import inspect_source
from extractors.pool import PagePool

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
