"""One Prefect test server per session (it takes ~20 s to start), one ingested archive."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CANARY = "Quaxleberry"


class Capture(logging.Handler):
    """Keeps every formatted record of every logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = record.getMessage()
        except Exception:  # a broken record must not hide the others
            msg = str(record.msg)
        exc = self.format(record) if record.exc_info else ""
        self.lines.append(f"{record.name} {record.levelname} {msg} {exc}")


@dataclass
class Archive:
    data_dir: Path
    intake: Path
    truth: list[dict[str, Any]]
    canary_file: str
    batches: list[dict[str, Any]]
    capture: Capture
    bad: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    home = Path(tempfile.mkdtemp(prefix="cv-prefect-"))
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _attach(capture: Capture) -> None:
    root = logging.getLogger()
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(logging.DEBUG)
            if not logger.propagate:
                logger.addHandler(capture)


@pytest.fixture(scope="session")
def archive(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    from chartvault.synth.badfiles import make_bad_inputs
    from chartvault.synth.batch import generate_batch
    from chartvault.synth.content import make_document
    from chartvault.synth.render import render

    data_dir = tmp_path_factory.mktemp("cv-data")
    intake = data_dir / "intake" / "default"
    intake.mkdir(parents=True)
    truth = generate_batch(intake, 5, seed=7, formats=["pdf_scan", "tiff", "pdf_text", "png",
                                                        "pdf_scan"])
    canary_doc = make_document(4245, "progress_note", overrides={"patient": {"family": CANARY}})
    # born-digital and a labelled header ("Patient: FAMILY, Given"), so the planted name
    # reaches the record whatever the OCR noise: the test is about where patient data may
    # travel, and must see the canary extracted
    canary_row = render(canary_doc, "pdf_text", intake / "scan_canary.pdf", seed=4242)
    canary_row["file"] = "scan_canary.pdf"
    truth.append(canary_row)
    bad_dir = data_dir / "bad-src"
    bad = make_bad_inputs(bad_dir)
    for name in bad:
        (bad_dir / name).rename(intake / name)

    env = {"CHARTVAULT_DATA_DIR": str(data_dir), "CHARTVAULT_SETTLE_SECONDS": "0",
           "CHARTVAULT_USER": "e2e-tester"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    capture = Capture()
    import flows.ingest

    _attach(capture)
    batches = flows.ingest.ingest()
    yield Archive(data_dir, intake, truth, "scan_canary.pdf", batches, capture, bad)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
