"""Print a generated document on US-letter pages and save it as a scan or a PDF.

Layout follows a chart printout: letterhead, titles, wrapped paragraphs measured with the
real font, tables laid out in columns (cells wrap inside their column), hanging list
items, a signature block, a running header on continuation pages and "Page N of M"
footers, at most four pages. Every line is laid out once, as positioned text fragments,
and both the raster (scans) and the PDF text layer draw those same fragments: the truth
``text`` is the lines drawn, in reading order, pages separated by form feeds.

The layout depends on the document and the seed only, not on the output format, so the
same document renders to the same text as PDF, TIFF or PNG.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from chartvault.synth.degrade import PageScan, ScanProfile, degrade, page_scan, scan_profile
from chartvault.synth.model import Block, SynthDoc

FONT_ROOT = Path("/usr/share/fonts/truetype")
FACES: dict[str, tuple[str, str]] = {
    "DejaVuSans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "DejaVuSerif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "DejaVuSansMono": ("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf"),
    "LiberationSans": ("liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf"),
    "LiberationSerif": ("liberation/LiberationSerif-Regular.ttf",
                        "liberation/LiberationSerif-Bold.ttf"),
    "LiberationMono": ("liberation/LiberationMono-Regular.ttf", "liberation/LiberationMono-Bold.ttf"),
}
# The content generator picks a kind of face; printers of the era used the metric twins.
LOOKALIKE = {"DejaVuSans": "LiberationSans", "DejaVuSerif": "LiberationSerif",
             "DejaVuSansMono": "LiberationMono"}
RENDER_DPI = 300
PAGE_W, PAGE_H = 612.0, 792.0  # US letter, points
MAX_PAGES = 4
FORMATS = ("pdf_scan", "pdf_text", "pdf_mixed", "tiff", "png", "jpeg")
CELL_SPLIT = re.compile(r"\s{2,}")
GAP_SPLIT = re.compile(r"(\s{2,})")
LIST_PREFIX = re.compile(r"^(\d+[.)]|[-*\u2022o])\s+")


def _available(face: str) -> bool:
    return all((FONT_ROOT / p).is_file() for p in FACES.get(face, ("", "")))


@lru_cache(maxsize=64)
def _font(face: str, bold: bool, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_ROOT / FACES[face][int(bold)]), px)


@dataclass(frozen=True)
class Frag:
    """A run of text drawn at one place (x, size in points)."""

    x: float
    text: str
    bold: bool
    size: float


@dataclass(frozen=True)
class Row:
    """One printed line; ``text`` is its truth ("" for vertical space or a rule)."""

    text: str
    frags: tuple[Frag, ...]
    height: float
    rule: bool = False  # a horizontal rule under the row


@dataclass(frozen=True)
class Style:
    """A document's typography, from ``doc.style`` where it says, else from the seed."""

    face: str
    size: float
    margin: float
    top: float
    spacing: float
    letterhead_rule: bool
    heading_rule: bool
    table_rule: bool
    table_header_bold: bool
    footer_align: str
    signature_indent: float

    @property
    def left(self) -> float:
        return self.margin

    @property
    def width(self) -> float:
        return PAGE_W - 2 * self.margin


def page_style(doc: SynthDoc, rng: random.Random) -> Style:
    """Resolve the typography of ``doc``: family, 9-12 pt, margins, line spacing."""
    s = doc.style
    face = str(s.get("font") or rng.choice(list(FACES)))
    if face in LOOKALIKE and rng.random() < 0.45:
        face = LOOKALIKE[face]
    if not _available(face):
        face = "DejaVuSans"
    margin = 72 * float(s.get("margin_in") or rng.uniform(0.6, 1.1))
    return Style(
        face=face,
        size=min(12.0, max(9.0, float(s.get("size") or rng.choice([9, 10, 10, 11, 11, 12])))),
        margin=margin,
        top=margin * rng.uniform(0.6, 1.0),
        spacing=float(s.get("spacing") or rng.choice([1.15, 1.25, 1.35])),
        letterhead_rule=rng.random() < 0.5,
        heading_rule=rng.random() < 0.3,
        table_rule=rng.random() < 0.5,
        table_header_bold=rng.random() < 0.7,
        footer_align=rng.choice(["center", "center", "right"]),
        signature_indent=rng.choice([0.0, 0.0, 0.0, 0.5]),
    )


class Typesetter:
    """Turns blocks into rows grouped in units that a page break may not split."""

    def __init__(self, st: Style) -> None:
        self.st = st

    def measure(self, text: str, bold: bool = False, size: float | None = None) -> float:
        """Width in points, from the font's own advance widths."""
        return float(_font(self.st.face, bold, 100).getlength(text)) * (size or self.st.size) / 100

    def wrap(self, text: str, width: float, bold: bool = False, size: float | None = None) -> list[str]:
        """Greedy word wrap; a word wider than the line is broken between characters."""
        lines: list[str] = []
        cur = ""
        for word in text.split():
            while self.measure(word, bold, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and self.measure(word[:cut], bold, size) > width:
                    cut -= 1
                if cur:
                    lines.append(cur)
                    cur = ""
                lines.append(word[:cut])
                word = word[cut:]
            trial = f"{cur} {word}" if cur else word
            if cur and self.measure(trial, bold, size) > width:
                lines.append(cur)
                cur = word
            else:
                cur = trial
        if cur:
            lines.append(cur)
        return lines

    def _line(self, text: str, bold: bool = False, size: float | None = None, align: str = "left",
              indent: float = 0.0, rule: bool = False) -> Row:
        size = size or self.st.size
        x = self.st.left + indent
        if align != "left":
            free = self.st.width - self.measure(text, bold, size)
            x = self.st.left + (free / 2 if align == "center" else free)
        return Row(text, (Frag(x, text, bold, size),), size * self.st.spacing, rule)

    def gap(self, fraction: float) -> Row:
        """Vertical space (no text)."""
        return Row("", (), self.st.size * self.st.spacing * fraction)

    def units(self, blocks: list[Block]) -> list[list[Row]]:
        """All blocks, in order, as keep-together units."""
        st, units = self.st, []
        first_letterhead = True
        i = 0
        while i < len(blocks):
            b = blocks[i]
            nxt = blocks[i + 1].kind if i + 1 < len(blocks) else None
            rows: list[Row] = []
            if b.kind == "table_row":
                j = i
                while j < len(blocks) and blocks[j].kind == "table_row":
                    j += 1
                units.extend(self.table([x.text for x in blocks[i:j]]))
                units.append([self.gap(0.4)])
                i = j
                continue
            if b.kind == "spacer":
                rows = [self.gap(1.0)]
            elif b.kind == "letterhead":
                size = st.size + (5 if first_letterhead else -1)
                bold = b.bold or first_letterhead
                rows = [self._line(t, bold, size, b.align) for t in self.wrap(b.text, st.width, bold, size)]
                first_letterhead = False
                if nxt != "letterhead" and st.letterhead_rule:
                    rows.append(Row("", (), st.size * 0.6, rule=True))
            elif b.kind == "title":
                size = st.size + 2
                rows = [self.gap(0.5), *[self._line(t, True, size, b.align)
                                         for t in self.wrap(b.text, st.width, True, size)],
                        self.gap(0.5)]
            elif b.kind == "heading":
                lines = self.wrap(b.text, st.width, True)
                rows = [self.gap(0.6), *[self._line(t, True, align=b.align) for t in lines]]
                rows[-1] = Row(rows[-1].text, rows[-1].frags, rows[-1].height, st.heading_rule)
            elif b.kind == "field_row":
                rows = [self._line(t, b.bold) for t in self.field_lines(b.text, b.bold)]
            elif b.kind == "list_item":
                m = LIST_PREFIX.match(b.text)
                hang = self.measure(m.group(0)) if m else 0.0
                lines = self.wrap(b.text, st.width - 12 - hang)
                rows = [self._line(t, indent=12 + (hang if k else 0)) for k, t in enumerate(lines)]
            elif b.kind == "signature":
                j = i
                while j < len(blocks) and blocks[j].kind == "signature":
                    j += 1
                ind = st.width * st.signature_indent
                rows = [self._line(t, indent=ind) for x in blocks[i:j]
                        for t in self.wrap(x.text, st.width - ind)]
                i = j - 1
            else:  # paragraph: each line may start a page, but keep one line with the next
                lines = self.wrap(b.text, st.width, b.bold)
                for t in lines:
                    units.append([self._line(t, b.bold, align=b.align)])
                units.append([self.gap(0.35)])
                i += 1
                continue
            units.append(rows)
            i += 1
        return units

    def field_lines(self, text: str, bold: bool) -> list[str]:
        """A form row keeps its spacing; it breaks between fields when too wide."""
        lines: list[str] = []
        cur = ""
        parts = GAP_SPLIT.split(text.strip())
        for k in range(0, len(parts), 2):
            sep = parts[k - 1] if k else ""
            seg = parts[k]
            if cur and self.measure(cur + sep + seg, bold) > self.st.width:
                lines.append(cur)
                cur = ""
            cur = cur + sep + seg if cur else seg
            if self.measure(cur, bold) > self.st.width:
                *done, cur = self.wrap(cur, self.st.width, bold)
                lines.extend(done)
        if cur:
            lines.append(cur)
        return lines

    def table(self, texts: list[str]) -> list[list[Row]]:
        """Rows of cells in columns sized to their content; one unit per table row."""
        st = self.st
        rows = [[c.strip() for c in CELL_SPLIT.split(t.strip()) if c.strip()] for t in texts]
        ncol = max(len(r) for r in rows)
        gap = st.size * 1.5
        bold_row = [k == 0 and st.table_header_bold and len(rows) > 1 for k in range(len(rows))]
        natural = [max((self.measure(r[j], bold_row[k]) for k, r in enumerate(rows) if j < len(r)),
                       default=0.0) for j in range(ncol)]
        room = st.width - gap * (ncol - 1)
        widths = list(natural)
        if sum(natural) > room:  # cap the widest columns at a fair share of what is left
            left, todo = room, sorted(range(ncol), key=lambda j: natural[j])
            for n, j in enumerate(todo):
                widths[j] = min(natural[j], left / (ncol - n))
                left -= widths[j]
        else:
            extra = (room - sum(natural)) * 0.6 / max(1, ncol)
            widths = [w + extra for w in widths]
        xs = [st.left + sum(widths[:j]) + gap * j for j in range(ncol)]
        out: list[list[Row]] = []
        for k, cells in enumerate(rows):
            wrapped = [self.wrap(c, max(widths[j], 1.0), bold_row[k]) or [""]
                       for j, c in enumerate(cells)]
            lines: list[Row] = []
            for n in range(max(len(w) for w in wrapped)):
                frags = tuple(Frag(xs[j], w[n], bold_row[k], st.size)
                              for j, w in enumerate(wrapped) if n < len(w) and w[n])
                lines.append(Row("  ".join(f.text for f in frags), frags, st.size * st.spacing))
            if k == 0 and st.table_rule and len(rows) > 1:
                last = lines[-1]
                lines[-1] = Row(last.text, last.frags, last.height, True)
            out.append(lines)
        return out


Placed = list[tuple[float, Row]]  # (top y in points, row)


def layout(doc: SynthDoc, seed: int) -> tuple[Style, list[Placed]]:
    """Pages of ``doc`` with every row positioned, headers and footers included."""
    st = page_style(doc, random.Random(f"layout:{seed}"))
    ts = Typesetter(st)
    units = ts.units(doc.blocks)
    for k in range(len(units) - 1, 0, -1):  # headings and signatures stay with a line of text
        head = units[k - 1][-1].frags and units[k - 1][-1].frags[0].bold and len(units[k - 1]) <= 3
        if head and units[k][0].text or (units[k] and units[k][-1].text
                                         and doc.blocks and doc.blocks[-1].kind == "signature"
                                         and k == len(units) - 1):
            units[k - 1:k + 1] = [units[k - 1] + units[k]]
    small = st.size - 1
    running = (ts._line(doc.running_header, size=small, rule=True)
               if doc.running_header else None)
    footer_h = small * 3
    pages: list[list[Row]] = []
    cur: list[Row] = []
    used = 0.0
    for unit in units:
        avail = PAGE_H - st.margin - footer_h - st.top - (
            running.height * 1.8 if pages and running else 0)
        h = sum(r.height for r in unit)
        if cur and used + h > avail:
            pages.append(cur)
            cur, used = [], 0.0
        if not cur:
            unit = [r for r in unit if r.text or r.rule] if not any(r.text for r in unit) else unit
            while unit and not unit[0].text:
                unit = unit[1:]
        cur.extend(unit)
        used += sum(r.height for r in unit)
    if cur:
        pages.append(cur)
    pages = pages[:MAX_PAGES]
    placed: list[Placed] = []
    for n, body in enumerate(pages, 1):
        y = st.top
        page: Placed = []
        if n > 1 and running:
            page.append((y, running))
            y += running.height * 1.8
        for row in body:
            page.append((y, row))
            y += row.height
        foot = doc.footer_template.format(page=n, pages=len(pages))
        page.append((PAGE_H - st.margin * 0.6 - small, ts._line(foot, size=small, align=st.footer_align)))
        placed.append(page)
    return st, placed


def page_text(page: Placed) -> str:
    """Ground truth of one page."""
    return "\n".join(row.text for _, row in page if row.text)


def draw_page(st: Style, page: Placed, dpi: int = RENDER_DPI) -> Image.Image:
    """Render one page to a white greyscale image."""
    k = dpi / 72
    img = Image.new("L", (round(PAGE_W * k), round(PAGE_H * k)), 255)
    d = ImageDraw.Draw(img)
    for top, row in page:
        base = top + row.height * 0.78
        for f in row.frags:
            d.text((f.x * k, base * k), f.text, font=_font(st.face, f.bold, round(f.size * k)),
                   fill=0, anchor="ls")
        if row.rule:
            y = (top + row.height) * k
            d.line((st.left * k, y, (PAGE_W - st.margin) * k, y), fill=0, width=max(1, round(k * 0.7)))
    return img


def text_pdf(st: Style, pages: list[Placed]) -> bytes:
    """Born-digital PDF: the same fragments as a real text layer."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    names = []
    for bold in (False, True):
        name = f"{st.face}-{'Bold' if bold else 'Regular'}"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(FONT_ROOT / FACES[st.face][int(bold)])))
        names.append(name)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=True)
    for page in pages:
        for top, row in page:
            base = top + row.height * 0.78
            for f in row.frags:
                c.setFont(names[int(f.bold)], f.size)
                c.drawString(f.x, PAGE_H - base, f.text)
            if row.rule:
                c.setLineWidth(0.7)
                c.line(st.left, PAGE_H - top - row.height, PAGE_W - st.margin, PAGE_H - top - row.height)
        c.showPage()
    c.save()
    return buf.getvalue()


def _encoded(img: Image.Image, profile: ScanProfile) -> bytes:
    """A page as img2pdf takes it: CCITT G4 TIFF when bitonal, else JPEG (DCT)."""
    buf = io.BytesIO()
    dpi = (profile.dpi, profile.dpi)
    if img.mode == "1":
        img.save(buf, format="TIFF", compression="group4", dpi=dpi)
    else:
        img.save(buf, format="JPEG", quality=profile.jpeg_quality, dpi=dpi)
    return buf.getvalue()


def _scan_pdf(parts: list[bytes | Image.Image], profile: ScanProfile) -> bytes:
    """Join born-digital pages (PDF bytes) and scanned pages (images) in order."""
    import img2pdf
    import pikepdf

    out = pikepdf.new()
    for part in parts:
        data = part if isinstance(part, bytes) else img2pdf.convert(_encoded(part, profile),
                                                                    nodate=True)
        with pikepdf.open(io.BytesIO(data)) as src:
            out.pages.extend(src.pages)
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True)
    return buf.getvalue()


def render(doc: SynthDoc, fmt: str, out_path: Path, *, seed: int) -> dict[str, Any]:
    """Write ``doc`` as ``fmt`` to ``out_path``; returns its complete ground-truth row.

    png and jpeg hold one image, so they carry page 1 only. A one-page ``pdf_mixed``
    cannot mix, so it is scanned and its row says ``pdf_scan``: the row describes the file.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    st, pages = layout(doc, seed)
    if fmt in ("png", "jpeg"):
        pages = pages[:1]
    rng = random.Random(f"scan:{seed}")
    profile = scan_profile(rng, allow_bitonal=fmt != "jpeg")
    born_digital: set[int] = set()
    if fmt == "pdf_text":
        born_digital = set(range(len(pages)))
    elif fmt == "pdf_mixed" and len(pages) > 1:
        scanned_page = rng.randrange(len(pages))  # e.g. a signed page scanned back in
        born_digital = {i for i in range(len(pages)) if i != scanned_page}
        if len(pages) > 2 and rng.random() < 0.5:
            born_digital.discard(rng.choice(sorted(born_digital)))
    actual = fmt if fmt != "pdf_mixed" or born_digital else "pdf_scan"
    images: list[Image.Image] = []
    scans: list[dict[str, Any] | None] = []
    for i, page in enumerate(pages):
        if i in born_digital:
            scans.append(None)
            continue
        ps: PageScan = page_scan(rng, profile)
        images.append(degrade(draw_page(st, page), profile, ps, rng, page_no=i + 1,
                              pages=len(pages)))
        scans.append({"dpi": profile.dpi, "mode": "bitonal" if profile.bitonal else "gray",
                      "fax": profile.fax, **ps.summary()})
    out_path.parent.mkdir(parents=True, exist_ok=True)
    dpi = (profile.dpi, profile.dpi)
    if fmt in ("pdf_text", "pdf_scan", "pdf_mixed"):
        if fmt == "pdf_text":
            data = text_pdf(st, pages)
        else:
            it = iter(images)
            data = _scan_pdf([text_pdf(st, [p]) if i in born_digital else next(it)
                              for i, p in enumerate(pages)], profile)
        out_path.write_bytes(data)
    elif fmt == "tiff":
        comp = "group4" if profile.bitonal else "jpeg"
        extra: dict[str, Any] = {} if profile.bitonal else {"quality": profile.jpeg_quality}
        images[0].save(out_path, format="TIFF", save_all=True, append_images=images[1:],
                       compression=comp, dpi=dpi, **extra)
    elif fmt == "png":
        images[0].save(out_path, format="PNG", dpi=dpi, optimize=False)
    else:
        images[0].save(out_path, format="JPEG", quality=profile.jpeg_quality, dpi=dpi)
    row = dict(doc.truth)
    row.update({"file": out_path.name, "pages": len(pages), "format": actual,
                "text": "\f".join(page_text(p) for p in pages),
                "extra": {**doc.truth_extra, "font": st.face, "font_size": st.size,
                          "scan": scans}})
    return row
