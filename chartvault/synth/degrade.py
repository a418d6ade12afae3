"""Scanner simulation: what a page goes through between the printer and the archive.

Resolution (150-300 dpi), skew, now and then a page fed upside down, blur, grain,
speckle, uneven lighting, JPEG artefacts or bitonal (fax-like) thresholding, and the
odd fax header line or punch holes. Most pages stay legible; a tail is hard, as in a
real scan room.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


@dataclass(frozen=True)
class ScanStyle:
    """How one page is scanned."""

    dpi: int
    skew: float
    upside_down: bool
    blur: float
    noise: float
    speckle: float
    lighting: float
    bitonal: bool
    jpeg_quality: int
    fax_line: bool
    punch_holes: bool


def scan_style(rng: random.Random, allow_bitonal: bool = True) -> ScanStyle:
    """Draw a scan style; the hard settings are the rare ones."""
    return ScanStyle(
        dpi=rng.choice([300, 300, 300, 250, 200, 200, 150]),
        skew=rng.uniform(-2.5, 2.5) if rng.random() < 0.8 else 0.0,
        upside_down=rng.random() < 0.03,
        blur=rng.choice([0.0, 0.0, 0.4, 0.7, 1.0]),
        noise=rng.choice([0.0, 4.0, 8.0, 12.0]),
        speckle=rng.choice([0.0, 0.0, 0.0005, 0.001]),
        lighting=rng.choice([0.0, 0.0, 0.1, 0.2]),
        bitonal=allow_bitonal and rng.random() < 0.3,
        jpeg_quality=rng.choice([45, 60, 75, 85, 92]),
        fax_line=rng.random() < 0.08,
        punch_holes=rng.random() < 0.08,
    )


def degrade(page: Image.Image, s: ScanStyle, rng: random.Random) -> Image.Image:
    """A 300 dpi clean page -> what the scanner produced."""
    img = page
    if s.fax_line:
        d = ImageDraw.Draw(img)
        d.text((60, 20), f"FAX {rng.randint(200, 999)}-{rng.randint(100, 999)}-"
                         f"{rng.randint(1000, 9999)}   P.{rng.randint(1, 9):03d}", fill=60)
    if s.punch_holes:
        d = ImageDraw.Draw(img)
        for y in (0.2, 0.5, 0.8):
            cy = int(img.height * y)
            d.ellipse((40, cy - 35, 110, cy + 35), fill=30)
    if s.skew:
        img = img.rotate(s.skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    if s.upside_down:
        img = img.rotate(180)
    if s.dpi != 300:
        f = s.dpi / 300
        img = img.resize((int(img.width * f), int(img.height * f)), Image.Resampling.LANCZOS)
    if s.blur:
        img = img.filter(ImageFilter.GaussianBlur(s.blur))
    arr = np.asarray(img, dtype=np.float32)
    nprng = np.random.default_rng(rng.randint(0, 2 ** 31))
    if s.lighting:
        w = arr.shape[1]
        grad = np.linspace(1.0 - s.lighting, 1.0, w, dtype=np.float32)[None, :]
        arr = arr * grad  # the paper darkens towards one edge
    if s.noise:
        arr = arr + nprng.normal(0, s.noise, arr.shape).astype(np.float32)
    if s.speckle:
        mask = nprng.random(arr.shape) < s.speckle
        arr[mask] = 0
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    out = Image.fromarray(arr, mode="L")
    if s.bitonal:
        out = out.point(lambda v: 255 if v > 150 else 0).convert("1")
    return out
