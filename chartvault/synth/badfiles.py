"""Inputs that must be quarantined, each with the reason chartvault must give."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

from chartvault.errors import QuarantineReason as R


def _valid_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=True)
    c.drawString(72, 720, "Progress note. Patient seen for follow-up of hypertension." * 2)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_bad_inputs(out_dir: Path) -> dict[str, str]:
    """Write bad files; returns file name -> expected quarantine reason."""
    import pikepdf

    out_dir.mkdir(parents=True, exist_ok=True)
    good = _valid_pdf()
    files: dict[str, tuple[bytes, R]] = {
        "bad_empty.pdf": (b"", R.EMPTY),
        "bad_truncated.pdf": (good[: len(good) // 2], R.INCOMPLETE),
        "bad_corrupt.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", R.CORRUPT),
        "bad_notes.txt": (b"meeting notes, not a scan\n", R.UNSUPPORTED_FORMAT),
        "bad_image.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, R.CORRUPT),
    }
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    files["bad_letter.docx"] = (zbuf.getvalue(), R.UNSUPPORTED_FORMAT)
    enc = io.BytesIO()
    with pikepdf.open(io.BytesIO(good)) as pdf:
        pdf.save(enc, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    files["bad_encrypted.pdf"] = (enc.getvalue(), R.ENCRYPTED)
    dropped = time.time() - 3600  # an hour ago: a half-written file this old is given up on
    for name, (data, _) in files.items():
        (out_dir / name).write_bytes(data)
        os.utime(out_dir / name, (dropped, dropped))
    return {name: reason.value for name, (_, reason) in files.items()}
