"""Seeded OCR-like corruption of clean text, for calibration and robustness tests.

Tesseract's usual slips on scanned charts: look-alike characters swapped (O/0, l/1/I,
S/5, B/8), cell gaps shrunk to one space or widened, stray specks of punctuation, a
colon lost. Deterministic per seed so that calibration tables can be rebuilt exactly.
"""

from __future__ import annotations

import random

_SWAPS = {"0": "O", "O": "0", "1": "l", "l": "1", "I": "1", "5": "S", "S": "5", "8": "B",
          "B": "8", "o": "0"}


def ocr_noise(text: str, seed: int, rate: float = 0.01) -> str:
    """``text`` with about ``rate`` of its characters corrupted the way OCR does."""
    rng = random.Random(seed)
    out: list[str] = []
    for ch in text:
        r = rng.random()
        if r >= rate:
            out.append(ch)
            continue
        r /= rate
        if ch in _SWAPS and r < 0.5:
            out.append(_SWAPS[ch])
        elif ch == " " and r < 0.7:
            out.append("  " if rng.random() < 0.5 else "")
        elif ch == ":" and r < 0.8:
            out.append(" ")
        elif r < 0.85:
            out.append(ch + rng.choice(".,'`"))
        else:
            out.append(ch)
    return "".join(out)
