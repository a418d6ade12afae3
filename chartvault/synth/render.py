"""Print a generated document on US-letter pages and save it as a scan or a PDF.

Layout follows a chart printout: letterhead, wrapped paragraphs measured with the real
font, table rows in columns, a running header on continuation pages, "Page N of M"
footers, at most four pages. The ground-truth ``text`` is exactly the lines drawn, in
reading order, pages separated by form feeds. Scans go through ``degrade``.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from chartvault.synth.degrade import ScanStyle, degrade, scan_style
from chartvault.synth.model import Block, SynthDoc

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
RENDER_DPI = 300
PAGE_W_IN, PAGE_H_IN = 8.5, 11.0
MAX_PAGES = 4
FORMATS = ("pdf_scan", "pdf_text", "pdf_mixed", "tiff", "png", "jpeg")


@dataclass(frozen=True)
class Line:
    """One printed line: text, x offset (points), font variant, optional column stops."""

    text: str
    x: float
    bold: bool = False
    cells: tuple[str, ...] = ()
    align: str = "left"


def _font_path(name: str, bold: bool) -> Path:
    return FONT_DIR / f"{name}{'-Bold' if bold else ''}.ttf"


class Typesetter:
    """Wraps and paginates blocks for one font and size."""

    def __init__(self, style: dict[str, Any]) -> None:
        self.name = str(style.get("font", "DejaVuSans"))
        self.size = float(style.get("size", 10))
        self.margin = float(style.get("margin_in", 1.0)) * 72
        self.leading = self.size * float(style.get("spacing", 1.25))
        self.font = ImageFont.truetype(str(_font_path(self.name, False)), int(self.size * 10))
        self.width = PAGE_W_IN * 72 - 2 * self.margin

    def measure(self, text: str) -> float:
        """Width in points."""
        return float(self.font.getlength(text)) / 10

    def wrap(self, text: str, indent: float = 0) -> list[str]:
        """Greedy word wrap to the text width."""
        words, lines, cur = text.split(), [], ""
        for w in words:
            trial = f"{cur} {w}".strip()
            if cur and self.measure(trial) > self.width - indent:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        if cur:
            lines.append(cur)
        return lines

    def lines(self, blocks: list[Block]) -> list[Line | None]:
        """Blocks to lines; None is a blank line."""
        out: list[Line | None] = []
        for b in blocks:
            if b.kind == "spacer":
                out.append(None)
            elif b.kind == "table_row":
                cells = tuple(c.strip() for c in b.text.split("    ") if c.strip())
                out.append(Line("  ".join(cells), 0, cells=cells))
            elif b.kind == "field_row":  # forms keep their spacing between label/value pairs
                out.append(Line(b.text, 0, bold=b.bold))
            elif b.kind == "list_item":
                for i, t in enumerate(self.wrap(b.text, 14)):
                    out.append(Line(t, 0 if i == 0 else 14))
            elif b.kind in ("title", "heading") and b.kind == "title":
                out.append(None)
                out.append(Line(b.text, 0, bold=True, align=b.align))
                out.append(None)
            else:
                for t in self.wrap(b.text):
                    out.append(Line(t, 0, bold=b.bold, align=b.align))
        return out

    def paginate(self, lines: list[Line | None], running: str | None) -> list[list[Line | None]]:
        """Split into pages leaving room for the running header and footer."""
        per_page = int((PAGE_H_IN * 72 - 2 * self.margin - 2 * self.leading) // self.leading)
        pages: list[list[Line | None]] = []
        cur: list[Line | None] = []
        for line in lines:
            limit = per_page - (2 if pages and running else 0)
            if len(cur) >= limit:
                pages.append(cur)
                cur = []
            if line is None and not cur:
                continue
            cur.append(line)
        if cur:
            pages.append(cur)
        return pages[:MAX_PAGES]


def layout(doc: SynthDoc) -> tuple[Typesetter, list[list[Line | None]]]:
    """Final pages of a document, running headers and footers included."""
    ts = Typesetter(doc.style)
    pages = ts.paginate(ts.lines(doc.blocks), doc.running_header)
    final: list[list[Line | None]] = []
    for n, page in enumerate(pages, 1):
        body = list(page)
        while body and body[-1] is None:
            body.pop()
        if n > 1 and doc.running_header:
            body = [Line(doc.running_header, 0), None, *body]
        footer = doc.footer_template.format(page=n, pages=len(pages))
        final.append([*body, None, Line(footer, 0, align="center")])
    return ts, final


def cell_positions(ts: Typesetter, cells: tuple[str, ...]) -> list[float]:
    """Left edges of table cells: on an even grid, pushed right where a cell runs long."""
    col_w = ts.width / max(1, len(cells))
    gap = ts.measure("    ")
    xs: list[float] = []
    for i in range(len(cells)):
        x = ts.margin + i * col_w
        if xs:
            x = max(x, xs[-1] + ts.measure(cells[i - 1]) + gap)
        xs.append(x)
    return xs


def page_text(page: list[Line | None]) -> str:
    """Ground truth of one page."""
    return "\n".join(line.text for line in page if line is not None)


def draw_page(ts: Typesetter, page: list[Line | None], dpi: int = RENDER_DPI) -> Image.Image:
    """Render one page to a white grayscale image."""
    scale = dpi / 72
    img = Image.new("L", (int(PAGE_W_IN * dpi), int(PAGE_H_IN * dpi)), 255)
    draw = ImageDraw.Draw(img)
    fonts = {b: ImageFont.truetype(str(_font_path(ts.name, b)), round(ts.size * scale))
             for b in (False, True)}
    y = ts.margin
    for line in page:
        if line is not None:
            font = fonts[line.bold]
            if line.cells:
                for x, cell in zip(cell_positions(ts, line.cells), line.cells, strict=True):
                    draw.text((x * scale, y * scale), cell, font=font, fill=0)
            else:
                x = ts.margin + line.x
                if line.align == "center":
                    x = (PAGE_W_IN * 72 - ts.measure(line.text)) / 2
                draw.text((x * scale, y * scale), line.text, font=font, fill=0)
        y += ts.leading
    return img


def _text_pdf(ts: Typesetter, pages: list[list[Line | None]]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for bold in (False, True):
        name = ts.name + ("-Bold" if bold else "")
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(_font_path(ts.name, bold))))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PAGE_W_IN * 72, PAGE_H_IN * 72), invariant=True)
    for page in pages:
        y = PAGE_H_IN * 72 - ts.margin - ts.size
        for line in page:
            if line is not None:
                c.setFont(ts.name + ("-Bold" if line.bold else ""), ts.size)
                if line.cells:
                    for x, cell in zip(cell_positions(ts, line.cells), line.cells, strict=True):
                        c.drawString(x, y, cell)
                elif line.align == "center":
                    c.drawCentredString(PAGE_W_IN * 36, y, line.text)
                else:
                    c.drawString(ts.margin + line.x, y, line.text)
            y -= ts.leading
        c.showPage()
    c.save()
    return buf.getvalue()


def _scan_pdf_page(img: Image.Image, style: ScanStyle) -> bytes:
    import img2pdf

    buf = io.BytesIO()
    if img.mode == "1":
        img.save(buf, format="TIFF", compression="group4", dpi=(style.dpi, style.dpi))
    else:
        img.save(buf, format="JPEG", quality=style.jpeg_quality, dpi=(style.dpi, style.dpi))
    out: bytes = img2pdf.convert(buf.getvalue())
    return out


def _merge_pdfs(parts: list[bytes]) -> bytes:
    import pikepdf

    out = pikepdf.new()
    opened = [pikepdf.open(io.BytesIO(p)) for p in parts]
    for pdf in opened:
        out.pages.extend(pdf.pages)
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True)
    return buf.getvalue()


def render(doc: SynthDoc, fmt: str, out_path: Path, *, seed: int) -> dict[str, Any]:
    """Write ``doc`` as ``fmt`` to ``out_path``; returns its complete ground-truth row."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    rng = random.Random(seed * 7919 + 1)
    ts, pages = layout(doc)
    if fmt in ("png", "jpeg"):
        pages = pages[:1]
    texts = [page_text(p) for p in pages]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf_text":
        out_path.write_bytes(_text_pdf(ts, pages))
    else:
        scanned: list[tuple[Image.Image, ScanStyle]] = []
        text_pages: set[int] = set()
        if fmt == "pdf_mixed":
            text_pages = {i for i in range(len(pages)) if i % 2 == 0} if len(pages) > 1 else set()
        for i, page in enumerate(pages):
            if i in text_pages:
                continue
            style = scan_style(rng, allow_bitonal=fmt not in ("jpeg",))
            scanned.append((degrade(draw_page(ts, page), style, rng), style))
        if fmt in ("pdf_scan", "pdf_mixed"):
            parts, k = [], 0
            for i, page in enumerate(pages):
                if i in text_pages:
                    parts.append(_text_pdf(ts, [page]))
                else:
                    parts.append(_scan_pdf_page(*scanned[k]))
                    k += 1
            out_path.write_bytes(_merge_pdfs(parts))
        elif fmt == "tiff":
            imgs = [im for im, _ in scanned]
            st = scanned[0][1]
            bitonal = all(im.mode == "1" for im in imgs)
            imgs[0].save(out_path, format="TIFF", save_all=True, append_images=imgs[1:],
                         compression="group4" if bitonal else "tiff_lzw",
                         dpi=(st.dpi, st.dpi))
        elif fmt == "png":
            im, st = scanned[0]
            im.save(out_path, format="PNG", dpi=(st.dpi, st.dpi))
        else:
            im, st = scanned[0]
            im.convert("L").save(out_path, format="JPEG", quality=st.jpeg_quality,
                                 dpi=(st.dpi, st.dpi))
    row = dict(doc.truth)
    row.update({"file": out_path.name, "pages": len(pages), "format": fmt,
                "text": "\f".join(texts), "extra": dict(doc.truth_extra)})
    return row
