from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from chartvault.synth.batch import generate_batch
from chartvault.synth.content import make_document
from chartvault.synth.render import render
from chartvault.taxonomy import DOC_TYPE_KEYS
from extractors.metadata.normalise import npi_valid
from extractors.pages import inspect_source


def test_content_is_deterministic_and_covers_every_type() -> None:
    assert make_document(1).plain_text() == make_document(1).plain_text()
    for i, t in enumerate(DOC_TYPE_KEYS):
        d = make_document(100 + i, t)
        assert d.truth["doc_type"] == t
        p = d.truth["patient"]
        assert p["family"] in d.plain_text() or p["family"].upper() in d.plain_text()
        assert p["birth_date"] < (d.truth["service_date"] or "9999")
        if d.truth_extra["author_npi"]:
            assert npi_valid(d.truth_extra["author_npi"])


def test_overrides_plant_a_name() -> None:
    d = make_document(5, "progress_note", overrides={"patient": {"family": "Zanzibarro"}})
    assert d.truth["patient"]["family"] == "Zanzibarro"
    assert "Zanzibarro" in d.plain_text() or "ZANZIBARRO" in d.plain_text()


@pytest.mark.parametrize("fmt", ["pdf_scan", "pdf_text", "pdf_mixed", "tiff", "png", "jpeg"])
def test_render_formats(fmt: str, tmp_path: Path) -> None:
    doc = make_document(77, "discharge_summary")
    row = render(doc, fmt, tmp_path / f"x.{fmt}", seed=77)
    info = inspect_source(tmp_path / f"x.{fmt}")
    assert len(info.pages) == row["pages"] == len(row["text"].split("\f"))
    if fmt == "pdf_text":
        assert info.format == "pdf_text"
    elif fmt in ("png", "jpeg", "tiff"):
        with Image.open(tmp_path / f"x.{fmt}") as im:
            assert im.info.get("dpi")
    else:
        with pikepdf.open(tmp_path / f"x.{fmt}") as pdf:
            assert len(pdf.pages) == row["pages"]
    assert row["patient"]["family"].upper() in row["text"].upper()


def test_batch_file_names_carry_no_patient_data(tmp_path: Path) -> None:
    rows = generate_batch(tmp_path, 4, seed=3)
    for r in rows:
        assert r["file"].startswith("scan_")
        assert r["patient"]["family"].lower() not in r["file"].lower()
