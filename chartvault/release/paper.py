"""The combined PDF for paper release: a cover sheet, then every page, each one stamped.

The stamp (request id, page n of N) is drawn by reportlab on a page of the same size and
laid over each page with pikepdf, so the record's own page content stays as archived.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

STAMP_FONT = ("Helvetica", 8)


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says."""

    request_id: str
    requester: str  # name and kind
    purpose: str
    patient: str  # name and MRN as the archive has them
    scope: str
    facility: str
    released_on: str
    released_by: str
    documents: int


def stamp_text(request_id: str, n: int, total: int) -> str:
    """The line on every page (what a reader, or a test, finds on it)."""
    return f"Release {request_id} - page {n} of {total}"


def _cover_pdf(cover: Cover, record_pages: int) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=True)
    _, height = letter
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, height - 90, "Release of information")
    lines = [
        ("Request", cover.request_id), ("Requester", cover.requester),
        ("Purpose", cover.purpose), ("Patient", cover.patient), ("Scope", cover.scope),
        ("Facility (custodian)", cover.facility), ("Released on", cover.released_on),
        ("Released by", cover.released_by), ("Documents", str(cover.documents)),
        ("Page count", f"{record_pages} record page(s) after this cover sheet "
                       f"({record_pages + 1} in all)"),
    ]
    y = height - 130
    for label, value in lines:
        c.setFont("Helvetica-Bold", 10)
        c.drawString(72, y, label)
        c.setFont("Helvetica", 10)
        c.drawString(200, y, value[:90])
        y -= 18
    c.setFont("Helvetica-Oblique", 8)
    c.drawString(72, 72, "This release contains protected health information. Further "
                         "disclosure without authorisation may be prohibited by law.")
    c.showPage()
    c.save()
    return buf.getvalue()


def _stamps(sizes: Sequence[tuple[float, float]], request_id: str) -> bytes:
    """One page per page to stamp, of the same size, with the stamp at the bottom."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=True)
    total = len(sizes)
    for n, (w, h) in enumerate(sizes, start=1):
        c.setPageSize((w, h))
        text = stamp_text(request_id, n, total)
        c.setFont(*STAMP_FONT)
        tw = c.stringWidth(text, *STAMP_FONT)
        c.setFillColorRGB(1, 1, 1)
        c.rect(w - tw - 22, 8, tw + 12, 14, stroke=0, fill=1)  # legible over any scan
        c.setFillColorRGB(0, 0, 0)
        c.drawString(w - tw - 16, 12, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def combined_pdf(cover: Cover, sources: Sequence[Path], out: Path) -> int:
    """Write cover + every page of ``sources`` (PDFs), all stamped; returns pages in all."""
    result = pikepdf.new()
    opened: list[pikepdf.Pdf] = []
    try:
        record_pages = 0
        for path in sources:
            src = pikepdf.open(path)
            opened.append(src)
            record_pages += len(src.pages)
        cover_pdf = pikepdf.open(io.BytesIO(_cover_pdf(cover, record_pages)))
        opened.append(cover_pdf)
        result.pages.extend(cover_pdf.pages)
        for src in opened[:-1]:
            result.pages.extend(src.pages)
        sizes = []
        for page in result.pages:
            box = page.mediabox
            sizes.append((float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))
        stamps = pikepdf.open(io.BytesIO(_stamps(sizes, cover.request_id)))
        opened.append(stamps)
        for page, stamp in zip(result.pages, stamps.pages, strict=True):
            page.add_overlay(stamp, pikepdf.Rectangle(page.mediabox))
        out.parent.mkdir(parents=True, exist_ok=True)
        result.save(out)
        return len(sizes)
    finally:
        for pdf in opened:
            pdf.close()
        result.close()
