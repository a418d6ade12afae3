"""Releasing and purging quarantined files: where a file goes back, and finishing a
release or purge that an interruption left half done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chartvault.quarantine import (
    RESOLVED,
    PurgeReason,
    QuarantineHandlingError,
    purge,
    read_entry,
    release,
)


def _entry(root: Path, qid: str, name: str | None, data: bytes | None = b"scan") -> Path:
    folder = root / "quarantine" / qid
    folder.mkdir(parents=True)
    (folder / "reason.json").write_text(json.dumps({
        "quarantine_id": qid, "reason": "corrupt", "original_name": name}))
    if data is not None:
        (folder / "original").write_bytes(data)
    return folder


@pytest.mark.parametrize(("name", "expected"), [
    ("a/b/Doe Jane.pdf", "a/b/Doe Jane.pdf"),
    ("../../etc/passwd", "released-q-1"),
    ("/abs/path.pdf", "released-q-1"),
    (".chartvault/claims/x", "released-q-1"),
    (None, "released-q-1"),
])
def test_release_goes_back_to_the_original_place_inside_the_intake_only(
        tmp_path: Path, name: str | None, expected: str) -> None:
    folder = _entry(tmp_path, "q-1", name)
    intake = tmp_path / "intake"
    target = release(folder, intake, "q-1", "arch")
    assert target == intake / expected and target.read_bytes() == b"scan"
    assert not (folder / "original").exists()
    done = json.loads((folder / RESOLVED).read_text())
    assert (done["action"], done["by"], done["to"]) == ("released", "arch", expected)


def test_a_taken_name_gets_a_suffix_and_nothing_is_overwritten(tmp_path: Path) -> None:
    folder = _entry(tmp_path, "q-2", "Doe.pdf")
    intake = tmp_path / "intake"
    intake.mkdir()
    (intake / "Doe.pdf").write_bytes(b"someone else's")
    target = release(folder, intake, "q-2", "arch")
    assert target.name == "Doe.released-q-2.pdf"
    assert (intake / "Doe.pdf").read_bytes() == b"someone else's"


def test_an_interrupted_release_is_finished_to_the_place_it_recorded(tmp_path: Path) -> None:
    folder = _entry(tmp_path, "q-3", "x/Doe.pdf")
    intake = tmp_path / "intake"
    (folder / RESOLVED).write_text(json.dumps({"action": "released", "to": "x/Doe.pdf"}))
    assert release(folder, intake, "q-3", "arch") == intake / "x" / "Doe.pdf"
    assert (intake / "x" / "Doe.pdf").read_bytes() == b"scan"
    # once more: nothing left to move, same answer, no error
    assert release(folder, intake, "q-3", "arch") == intake / "x" / "Doe.pdf"


def test_nothing_kept_cannot_be_released_but_can_be_purged(tmp_path: Path) -> None:
    folder = _entry(tmp_path, "q-4", "link.pdf", data=None)
    with pytest.raises(QuarantineHandlingError, match="kept no file"):
        release(folder, tmp_path / "intake", "q-4", "arch")
    purge(folder, "q-4", "arch", PurgeReason.NOT_A_RECORD)
    entry = read_entry(folder, "q-4", "not_regular_file")
    assert entry.resolution is not None and entry.resolution["reason"] == "not_a_medical_record"
    assert entry.explanation.startswith("not a regular file")


def test_a_purged_entry_cannot_be_released_and_a_purge_finishes(tmp_path: Path) -> None:
    folder = _entry(tmp_path, "q-5", "Doe.pdf")
    (folder / RESOLVED).write_text(json.dumps({"action": "purged", "reason": "rescanned"}))
    with pytest.raises(QuarantineHandlingError, match="purged already"):
        release(folder, tmp_path / "intake", "q-5", "arch")
    purge(folder, "q-5", "arch", PurgeReason.RESCANNED)  # the interrupted purge finishes
    assert not (folder / "original").exists()
    assert not (tmp_path / "intake").exists()
