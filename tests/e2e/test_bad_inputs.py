"""Bad inputs, generated here, dropped beside good ones: each ends archived or quarantined.

One real ingest process per run (``ingest_driver.py``: the pipeline without Prefect),
real Tesseract and spaCy, as a non-root user when the test runs as root (so that an
unreadable file is unreadable). Two runs: the second brings the files that need a
first one (a duplicate, a destroyed record's bytes, a writer that finished), and a good
file dropped after everything else, which must be filed too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chartvault.synth.batch import generate_batch

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "e2e" / "ingest_driver.py"
CANARY = "Quaxleberry"  # planted in file names: must not reach logs, keys or the catalog
OLD = time.time() - 3600  # settled long ago (a half-written file this old is given up on)
NOBODY = 65534


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` gray pixels; little data follows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + _chunk(b"IEND", b""))


def tiny_image(fmt: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buf, format=fmt)
    return buf.getvalue()


def bad_jpeg_header() -> bytes:
    """A JPEG start-of-image, then a marker that does not exist, then the end marker."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, format="JPEG")
    good = buf.getvalue()
    return good[:3] + b"\x01" + b"\x55" * 60 + good[-2:]


def tiff_frames(n: int) -> bytes:
    from PIL import Image

    frames = [Image.new("L", (40, 40), 255) for _ in range(n)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def pdf_with_image(width: int, height: int, page_pt: float) -> bytes:
    """One page showing one image that declares ``width`` x ``height`` pixels."""
    import pikepdf

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(page_pt, page_pt))
    image = pikepdf.Stream(pdf, zlib.compress(b"\x00" * 4096))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(f"q {page_pt} 0 0 {page_pt} 0 0 cm /Im0 Do Q".encode())
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def pdf_pages(n: int, size_pt: float = 612) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(n):
        pdf.add_blank_page(page_size=(size_pt, size_pt))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def with_javascript(data: bytes) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                 JS=pikepdf.String("app.alert(1)"))
        buf = io.BytesIO()
        pdf.save(buf)
    return buf.getvalue()


def encrypted(data: bytes) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        buf = io.BytesIO()
        pdf.save(buf, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return buf.getvalue()


def broken_xref(data: bytes) -> bytes:
    at = data.rindex(b"startxref")
    return data[:at] + b"startxref\n999999\n%%EOF\n"


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@dataclass
class Case:
    """One input: its name in the intake and the outcome it must reach."""

    name: bytes  # bytes: some names are not UTF-8
    expect: str  # "archived", "duplicate", "ignored" or a quarantine reason
    data: bytes | None = None  # None: made by hand (FIFO, link, folder, writer...)
    run: int = 1  # dropped before the first or the second run


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, data: bytes, mtime: float = OLD) -> None:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def _driver(env: dict[str, str], *args: str) -> tuple[list[dict[str, Any]], str]:
    cmd = [sys.executable, str(DRIVER), *args]
    if os.geteuid() == 0:  # unreadable files are readable by root: run as nobody
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stdout + proc.stderr


@dataclass
class Outcome:
    cases: list[Case]
    outcomes: dict[bytes, str]
    summaries: list[dict[str, Any]]
    logs: str
    data: Path
    intake: Path
    keys: list[str]
    outside: Path


@pytest.fixture(scope="module")
def bad_run() -> Iterator[Outcome]:
    base = Path(tempfile.mkdtemp(prefix="cv-bad-"))
    base.chmod(0o755)
    data = base / "data"
    intake = data / "intake" / "default"
    intake.mkdir(parents=True)
    outside = base / "elsewhere"
    outside.mkdir()
    good_dir = base / "good"
    rows = generate_batch(good_dir, 13, seed=515, formats=["pdf_text"] * 12 + ["png"])
    good = [(good_dir / r["file"]).read_bytes() for r in rows]
    scan_png, texts = good[12], good[:12]
    (outside / "other_patient.pdf").write_bytes(texts[10])

    cases = [
        Case(b"zero.pdf", "empty", b""),
        Case(b"truncated.pdf", "incomplete", texts[0][: len(texts[0]) // 2]),
        Case(b"encrypted.pdf", "encrypted", encrypted(texts[0])),
        Case(b"zero_pages.pdf", "empty", pdf_pages(0)),
        Case(b"javascript.pdf", "archived", with_javascript(texts[1])),
        Case(b"five_thousand_pages.pdf", "too_many_pages", pdf_pages(5000)),
        Case(b"bomb_20000.png", "image_too_large", png_declaring(20000, 20000)),
        Case(b"bomb_ratio.png", "decompression_bomb", png_declaring(9000, 9000)),
        Case(b"pdf_bomb_20000.pdf", "image_too_large", pdf_with_image(20000, 20000, 612)),
        Case(b"pdf_8000_at_72dpi.pdf", "image_too_large", pdf_with_image(8000, 8000, 8000)),
        Case(b"pdf_huge_page.pdf", "image_too_large", pdf_pages(1, 14400)),
        Case(b"one_pixel.png", "no_text", tiny_image("PNG")),
        Case(b"one_pixel.jpg", "no_text", tiny_image("JPEG")),
        Case(b"pdf_named.png", "archived", texts[2]),  # wrong extension
        Case(b"png_named.pdf", "archived", scan_png),  # read ahead too
        Case(b"scan." + CANARY.encode(), "archived", texts[3]),  # a suffix with a name in it
        Case(b"scan_\xff\xfe_" + CANARY.encode() + b".pdf", "archived", texts[4]),  # not UTF-8
        Case(b"long_" + CANARY.encode() + b"_" + b"x" * 220 + b".pdf", "archived", texts[5]),
        Case(b"newline\n" + CANARY.encode() + b".pdf", "archived", texts[6]),
        Case(b"fifo.pdf", "not_regular_file"),
        Case(b"folder.pdf/inside.pdf", "archived", texts[7]),  # a folder named like a file
        Case(b"empty_folder.pdf", "ignored"),
        Case(b"writer_" + CANARY.encode() + b".pdf", "archived"),  # still being written
        Case(b"unreadable_" + CANARY.encode() + b".pdf", "unreadable", texts[8]),
        Case(b"frames_300.tif", "too_many_pages", tiff_frames(300)),
        Case(b"bad_header.jpg", "corrupt", bad_jpeg_header()),
        Case(b"broken_xref.pdf", "archived", broken_xref(texts[9])),  # qpdf rebuilds it
        Case(b"renamed_while_read.pdf", "archived", None),
        Case(b"link_out.pdf", "not_regular_file"),
        Case(b"link_dir", "not_regular_file"),
        Case(b"notes.txt", "unsupported_format", b"meeting notes, not a scan\n"),
        Case(b"letter.docx", "unsupported_format", docx()),
        Case(b"garbage.pdf", "corrupt", b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"),
        Case(b"png_zeros.png", "corrupt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        Case(b"animation.gif", "unsupported_format", b"GIF89a" + b"\x00" * 64),
        Case(b"upload.pdf.part", "ignored", texts[1]),
        Case(b".hidden.pdf", "ignored", texts[1]),
        # second run: need the first run's outcome
        Case(b"duplicate.pdf", "duplicate", texts[2], run=2),
        Case(b"destroyed_again.pdf", "destroyed_record", texts[3], run=2),
        Case(b"dropped_later.pdf", "archived", texts[11], run=2),
    ]
    for c in cases:
        if c.data is not None and c.run == 1:
            path = intake / os.fsdecode(c.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, c.data)
    (intake / "empty_folder.pdf").mkdir()
    os.mkfifo(intake / "fifo.pdf")
    os.utime(intake / "fifo.pdf", (OLD, OLD))
    (intake / "link_out.pdf").symlink_to(outside / "other_patient.pdf")
    (intake / "link_dir").symlink_to(outside)
    renamed = generate_batch(base / "renamed", 1, seed=77, formats=["pdf_text"])[0]
    _write(intake / "renamed_while_read.pdf", (base / "renamed" / renamed["file"]).read_bytes())
    # a writer that paused past settle_seconds: half the file now, the rest after run 1
    writer_bytes = generate_batch(base / "writer", 1, seed=78, formats=["pdf_text"])[0]
    whole = (base / "writer" / writer_bytes["file"]).read_bytes()
    go = base / "go"
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, os\n"
        "f = open(sys.argv[1], 'wb'); d = open(sys.argv[2], 'rb').read()\n"
        "f.write(d[:len(d)//2]); f.flush(); os.utime(sys.argv[1], (time.time()-5,)*2)\n"
        "open(sys.argv[4], 'w').close()\n"
        "while not os.path.exists(sys.argv[3]): time.sleep(0.05)\n"
        "f.write(d[len(d)//2:]); f.close()\n"),
        str(intake / os.fsdecode(b"writer_" + CANARY.encode() + b".pdf")),
        str(base / "writer" / writer_bytes["file"]), str(go), str(base / "started")])
    while not (base / "started").exists():
        time.sleep(0.05)
    unreadable = intake / os.fsdecode(b"unreadable_" + CANARY.encode() + b".pdf")
    unreadable.chmod(0)
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(data):
            for n in [*dirs, *files]:
                p = Path(root) / n
                if p != unreadable:
                    os.lchown(p, NOBODY, NOBODY)
        os.chown(data, NOBODY, NOBODY)
    env = {**os.environ, "CHARTVAULT_DATA_DIR": str(data), "CHARTVAULT_SETTLE_SECONDS": "0",
           "CHARTVAULT_USER": "bad-inputs", "CHARTVAULT_OCR__JOBS": "1",
           "CHARTVAULT_OCR__MAX_PAGES": "200", "CHARTVAULT_SCRATCH_ROOT": str(data / "scratch"),
           "HOME": str(data), "PREFECT_HOME": str(data / "prefect")}
    first, logs1 = _driver(env, "--read-ahead", "png_named.pdf", "renamed_while_read.pdf",
                           "--rename", "renamed_while_read.pdf", "renamed_now.pdf")

    # between the runs: the writer finishes, a record is destroyed, more files arrive
    go.touch()
    writer.wait(timeout=30)
    with sqlite3.connect(data / "catalog.db") as db:
        db.execute("UPDATE documents SET status = 'destroyed' WHERE sha256 = ?",
                   (_sha(texts[3]),))
    for c in cases:
        if c.run == 2 and c.data is not None:
            _write(intake / os.fsdecode(c.name), c.data)
            if os.geteuid() == 0:
                os.chown(intake / os.fsdecode(c.name), NOBODY, NOBODY)
    second, logs2 = _driver(env)

    outcomes: dict[bytes, str] = {}
    for reason in (data / "quarantine").glob("*/reason.json"):
        doc = json.loads(reason.read_text())
        outcomes[os.fsencode(doc["original_name"])] = doc["reason"]
    with sqlite3.connect(data / "catalog.db") as db:
        archived = {r[0] for r in db.execute("SELECT sha256 FROM documents")}
        dup_batches = [json.loads(r[0]) for r in db.execute("SELECT counts FROM batches")]
    for c in cases:
        if c.name in outcomes:
            continue
        path = intake / os.fsdecode(c.name)
        if c.expect == "ignored" and os.path.lexists(path):
            outcomes[c.name] = "ignored"
        elif c.expect == "duplicate" and not os.path.lexists(path):
            outcomes[c.name] = "duplicate" if sum(b["duplicates"] for b in dup_batches) else "?"
        elif c.data is not None and _sha(c.data) in archived and not os.path.lexists(path):
            outcomes[c.name] = "archived"
    if _sha(whole) in archived:
        outcomes[b"writer_" + CANARY.encode() + b".pdf"] = "archived"
    renamed_bytes = (base / "renamed" / renamed["file"]).read_bytes()
    if _sha(renamed_bytes) in archived and not (intake / "renamed_now.pdf").exists():
        outcomes[b"renamed_while_read.pdf"] = "archived"
    keys = [str(p.relative_to(data / "objects")) for p in (data / "objects").rglob("*")
            if p.is_file()]
    yield Outcome(cases, outcomes, [*first, *second], logs1 + logs2, data, intake, keys,
                  outside)
    if os.geteuid() == 0:
        subprocess.run(["chmod", "-R", "u+rwX", str(base)], check=False)
    shutil.rmtree(base, ignore_errors=True)


def test_each_bad_input_ends_archived_or_quarantined_with_its_reason(bad_run: Outcome) -> None:
    assert len({c.name for c in bad_run.cases}) >= 30
    table = {os.fsdecode(c.name): (c.expect, bad_run.outcomes.get(c.name, "lost"))
             for c in bad_run.cases}
    wrong = {name: got for name, (want, got) in table.items() if want != got}
    assert not wrong, wrong


def test_the_run_goes_on_and_leaves_no_custody_behind(bad_run: Outcome) -> None:
    s1, s2 = bad_run.summaries
    assert s1["held"] == 1 and s1["failed"] == 0 and s2["failed"] == 0
    assert s1["read_ahead"] >= 1  # the PNG named .pdf came by the read-ahead path
    claims = bad_run.intake / ".chartvault" / "claims"
    assert not claims.exists() or not any(claims.iterdir())  # nothing left in custody
    target = bad_run.outside / "other_patient.pdf"
    assert target.exists()  # a link's target is untouched, and not archived
    with sqlite3.connect(bad_run.data / "catalog.db") as db:
        shas = {r[0] for r in db.execute("SELECT sha256 FROM documents")}
    assert _sha(target.read_bytes()) not in shas
    scratch = bad_run.data / "scratch"
    assert not scratch.exists() or not list(scratch.rglob("*.tif"))


def test_quarantine_keeps_copies_never_links(bad_run: Outcome) -> None:
    folders = list((bad_run.data / "quarantine").iterdir())
    assert folders
    for folder in folders:
        for p in folder.iterdir():
            assert not p.is_symlink(), p.name
        reason = json.loads((folder / "reason.json").read_text())
        assert reason["explanation"] and reason["reason"]
        if reason["kept"]:
            assert (folder / "original").is_file()
    with sqlite3.connect(bad_run.data / "catalog.db") as db:
        rows = {r[0] for r in db.execute("SELECT quarantine_id FROM quarantine")}
    assert rows == {f.name for f in folders}


def test_stored_type_and_keys_come_from_the_bytes(bad_run: Outcome) -> None:
    originals = [k for k in bad_run.keys if "/original" in k and not k.endswith(".meta.json")]
    assert originals
    assert all(CANARY.lower() not in k.lower() for k in bad_run.keys)
    with sqlite3.connect(bad_run.data / "catalog.db") as db:
        fmts = {r[0] for r in db.execute("SELECT source_format FROM documents")}
        manifests = [r[0] for r in db.execute("SELECT manifest_key FROM documents")]
    assert "png" in fmts
    png_original = [k for k in originals if k.endswith("original.png")]
    assert png_original, originals  # the PNG named .pdf is stored as a PNG
    assert len(manifests) >= 10


def test_no_file_name_reaches_logs_or_the_catalog(bad_run: Outcome) -> None:
    assert CANARY not in bad_run.logs
    raw = (bad_run.data / "catalog.db").read_bytes()
    assert CANARY.encode() not in raw
