"""The anchors chartvault is measured against, run as their users run them.

Raw Tesseract: page images taken from the files as they are (``pdfimages -all`` for
image-only PDF pages, TIFF frames, PNG/JPEG as given), ``pdftotext`` for pages with a
text layer; one ``tesseract IMG stdout`` process per page, ``jobs`` at a time, with
``OMP_THREAD_LIMIT=1``; extraction time counts. OCRmyPDF: ``ocrmypdf --jobs N
--skip-text --sidecar``, ``--image-dpi 300`` for images without a resolution.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from extractors.pages import inspect_source


@dataclass
class AnchorResult:
    """Pages, wall seconds and text per file of one engine over a batch."""

    pages: int
    seconds: float
    texts: dict[str, str] = field(default_factory=dict)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=False,
                          env=env,
                          timeout=600).stdout


def _tesseract(img: Path) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return _run(["tesseract", str(img), "stdout"], env)


def _pages_of(path: Path, work: Path) -> list[tuple[str, Path | int]]:
    """Per page: ('text', page number) or ('image', image file)."""
    info = inspect_source(path)
    out: list[tuple[str, Path | int]] = []
    if info.format.startswith("pdf"):
        for ref in info.pages:
            if ref.kind == "text_layer":
                out.append(("text", ref.index + 1))
                continue
            d = work / f"p{ref.index}"
            d.mkdir()
            n = str(ref.index + 1)
            subprocess.run(["pdfimages", "-all", "-f", n, "-l", n, str(path), str(d / "img")],
                           check=False, capture_output=True, timeout=300)
            imgs = sorted(d.iterdir())
            if imgs and imgs[0].suffix not in (".jpg", ".png", ".tif", ".pbm", ".pgm", ".ppm",
                                               ".jp2"):
                # CCITT / JBIG2 streams come out raw: ask for TIFF, which Tesseract reads
                for f in imgs:
                    f.unlink()
                subprocess.run(["pdfimages", "-tiff", "-f", n, "-l", n, str(path),
                                str(d / "img")], check=False, capture_output=True, timeout=300)
                imgs = sorted(d.iterdir())
            if imgs:
                out.append(("image", imgs[0]))
    elif info.format == "tiff":
        with Image.open(path) as im:
            for i in range(getattr(im, "n_frames", 1)):
                im.seek(i)
                frame = work / f"f{i}.tif"
                im.save(frame)
                out.append(("image", frame))
    else:
        out.append(("image", path))
    return out


def raw_tesseract(files: list[Path], jobs: int) -> AnchorResult:
    """Raw Tesseract over every page, ``jobs`` processes at a time."""
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="cv-rawtess-"))
    try:
        per_file: dict[str, list[tuple[str, Path | int]]] = {}
        for i, f in enumerate(files):
            w = work / str(i)
            w.mkdir()
            per_file[str(f)] = _pages_of(f, w)

        def one(item: tuple[str, tuple[str, Path | int]]) -> str:
            file, (kind, what) = item
            if kind == "text":
                return _run(["pdftotext", "-layout", "-f", str(what), "-l", str(what), file, "-"])
            return _tesseract(Path(what))  # type: ignore[arg-type]

        items = [(f, p) for f, pages in per_file.items() for p in pages]
        with ThreadPoolExecutor(jobs) as ex:
            texts = list(ex.map(one, items))
        result = AnchorResult(pages=len(items), seconds=0.0)
        pos = 0
        for f, pages in per_file.items():
            result.texts[f] = "\f".join(texts[pos:pos + len(pages)])
            pos += len(pages)
        result.seconds = time.perf_counter() - t0
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ocrmypdf(files: list[Path], jobs: int) -> AnchorResult:
    """OCRmyPDF per file, each using ``jobs`` cores."""
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="cv-ocrmypdf-"))
    result = AnchorResult(pages=0, seconds=0.0)
    try:
        for i, f in enumerate(files):
            info = inspect_source(f)
            result.pages += len(info.pages)
            side, out = work / f"{i}.txt", work / f"{i}.pdf"
            cmd = ["ocrmypdf", "--jobs", str(jobs), "--skip-text", "--sidecar", str(side),
                   "--output-type", "pdf", "--quiet"]
            if not info.format.startswith("pdf") and not any(r.dpi for r in info.pages):
                cmd += ["--image-dpi", "300"]
            subprocess.run([*cmd, str(f), str(out)], capture_output=True, check=False,
                           timeout=1800)
            result.texts[str(f)] = side.read_text() if side.exists() else ""
        result.seconds = time.perf_counter() - t0
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
