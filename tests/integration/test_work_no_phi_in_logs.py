"""No patient data in logs from the work side: a canary name in a quarantined file's name
and in a correction appears in no log record (messages and arguments, at DEBUG), while
the page that may show it does show it."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import httpx
import pytest

from chartvault.auth.roles import Role
from tests.support.quarantine import quarantine_file
from tests.support.web import serving
from tests.support.world import build_world, file_doc

CANARY = "Zwyrtkowska"


def test_canary_reaches_the_page_but_no_log(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    w = build_world(tmp_path)
    doc = file_doc(w, 1, retain_until=date(2090, 1, 1), review=True)
    qid = quarantine_file(w, f"{CANARY} Maria 1961.pdf")
    arch = w.person("arch1", Role.ARCHIVIST)
    with serving(w) as url:
        page = httpx.get(url + "/quarantine", cookies={"cv_session": arch})
        assert page.status_code == 200 and f"{CANARY} Maria 1961.pdf" in page.text
        auth = {"Authorization": f"Bearer {arch}"}
        fixed = httpx.post(url + f"/api/v1/review/{doc}/correct", headers=auth, timeout=60,
                           json={"patient_family": CANARY, "patient_given": "Maria"})
        assert fixed.status_code == 200
        bad = httpx.post(url + f"/api/v1/review/{doc}/correct", headers=auth, timeout=60,
                         json={"doc_type": CANARY})
        assert bad.status_code == 400 and CANARY not in bad.text
        released = httpx.post(url + f"/api/v1/quarantine/{qid}/release", headers=auth,
                              json={}, timeout=60)
        assert released.status_code == 200
    assert (w.catalog.get(doc) or {})["patient_family"] == CANARY
    assert caplog.records, "nothing was logged at all: the check would be empty"
    for record in caplog.records:
        assert CANARY not in record.getMessage(), record.name
    assert all(CANARY not in str(e) for e in w.events())
