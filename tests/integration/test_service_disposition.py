"""Disposition through the service: two people, re-authentication at approval, no
future sweeps, and every refusal audited in its own transaction."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from chartvault import anchors
from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.roles import Role
from chartvault.disposition import DispositionError
from tests.support.world import World, build_world, file_doc, password_of


@pytest.fixture
def world(tmp_path: Path, catalog_url: str) -> World:
    return build_world(tmp_path, catalog_url)  # SQLite and PostgreSQL


def test_approval_needs_reauthentication_and_a_second_person(world: World) -> None:
    w = world
    due = file_doc(w, 1, retain_until=date(2001, 1, 1))
    kept = file_doc(w, 2, retain_until=date(2090, 1, 1))
    arch = w.person("arch", Role.ARCHIVIST, Role.RECORDS_MANAGER)
    rm = w.person("manager", Role.RECORDS_MANAGER)
    plan = w.service.sweep(arch)

    before = w.last_seq()
    with pytest.raises(Forbidden):  # planner approving its own plan
        w.service.approve_plan(arch, plan, password=password_of("arch"))
    ev = w.events(before)
    assert [(e["actor"], e["action"], e["outcome"], e["detail"]["why"]) for e in ev] == [
        ("arch", "retention_approve", "refused", "two_person_rule")]

    before = w.last_seq()
    with pytest.raises(Unauthenticated):  # no proof of presence
        w.service.approve_plan(rm, plan)
    with pytest.raises(Unauthenticated):  # wrong password
        w.service.approve_plan(rm, plan, password="not the password at all")
    whys = [e["detail"]["why"] for e in w.events(before)]
    assert whys == ["no_proof", "bad_credentials"]

    w.service.approve_plan(rm, plan, code=w.code("manager"))  # TOTP at approval
    result = w.service.execute_plan(rm, plan)
    assert result["destroyed"] == 1 and result["executed_by"] == "manager"
    assert result["status"] == "done" and result["failed"] == []  # the flow's summary
    # the certificate's closing event is anchored outside the database at once
    (anchor,) = [a for a in anchors.load(w.store) if a.reason == "certificate"]
    assert anchor.seq == w.last_seq() and w.last_event()["action"] == "retention_execute"
    assert w.last_event()["actor"] == "manager"  # the person who executed it closes it
    cert = json.loads(w.store.get(result["certificate"].removesuffix(".pdf") + ".json"))
    assert cert["facility"] == "Main Facility" and cert["records"]["doc_ids"] == [due]
    assert cert["authority"]["policies"] == {"adult-10y.v1": 1}
    assert w.catalog.get(due)["status"] == "destroyed"
    assert w.catalog.get(kept)["status"] == "archived"
    auditor = w.person("audit", Role.AUDITOR)
    assert w.service.certificate(auditor, plan).startswith(b"%PDF")


def test_no_sweep_in_the_future(world: World) -> None:
    w = world
    arch = w.person("arch", Role.ARCHIVIST)
    before = w.last_seq()
    with pytest.raises(DispositionError):
        w.service.sweep(arch, date.today() + timedelta(days=365 * 174))
    assert [(e["action"], e["outcome"], e["detail"]["why"]) for e in w.events(before)] == [
        ("retention_sweep", "refused", "as_of_in_future")]
