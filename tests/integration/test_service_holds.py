"""The hold-defeat scenario of issue 13, now through the service: it stops at its first
forbidden step, and every step that is refused is on the audit trail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from chartvault.auth.errors import Forbidden
from chartvault.auth.roles import Role
from chartvault.catalog.schema import disposition_plans
from chartvault.holds import is_held
from chartvault.settings import Settings
from tests.support.world import World, build_world, file_doc, password_of


@pytest.fixture
def world(tmp_path: Path, catalog_url: str) -> World:
    return build_world(tmp_path, catalog_url)  # SQLite and PostgreSQL


def _refusals(w: World, after: int, actor: str) -> list[tuple[str, str]]:
    return [(e["action"], e["detail"]["why"]) for e in w.events(after)
            if e["actor"] == actor and e["outcome"] == "refused"]


def test_hold_defeat_scenario_fails_at_its_first_forbidden_step(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    held = file_doc(w, 1, retain_until=date(2001, 1, 1))
    legal = w.person("legal", Role.LEGAL)
    clerk = w.person("clerk", Role.ARCHIVIST)
    clerk2 = w.person("clerk2", Role.ARCHIVIST)
    hold = w.service.hold_add(legal, case_name="Doe v. Hospital", reason="litigation",
                              doc_id=held)
    # the old way: the name came from CHARTVAULT_USER; it is no identity any more
    monkeypatch.setenv("CHARTVAULT_USER", "legal")
    assert Settings().user == "legal"

    before = w.last_seq()
    with pytest.raises(Forbidden):
        w.service.hold_release(clerk, hold.hold_id)  # step 2 of the scenario: refused
    assert _refusals(w, before, "clerk") == [("hold_release", "role")]
    assert is_held(w.catalog, held)

    # the rest of the scenario cannot destroy the record either
    plan = w.service.sweep(clerk)
    with w.catalog.engine.connect() as conn:
        counts = conn.execute(select(disposition_plans.c.counts).where(
            disposition_plans.c.plan_id == plan)).scalar_one()
    assert counts["total"] == 0  # the held record is not planned
    before = w.last_seq()
    with pytest.raises(Forbidden):
        w.service.approve_plan(clerk2, plan, password=password_of("clerk2"))
    assert _refusals(w, before, "clerk2") == [("retention_approve", "role")]
    with w.catalog.engine.connect() as conn:
        status = conn.execute(select(disposition_plans.c.status).where(
            disposition_plans.c.plan_id == plan)).scalar_one()
    assert status == "planned"
    assert w.catalog.get(held)["status"] == "archived"


def test_admin_never_releases_nor_grants_itself_legal(world: World) -> None:
    w = world
    doc = file_doc(w, 2, retain_until=date(2090, 1, 1))
    legal = w.person("counsel", Role.LEGAL)
    hold = w.service.hold_add(legal, case_name="Matter 1", reason="audit", doc_id=doc)
    before = w.last_seq()
    with pytest.raises(Forbidden):
        w.service.hold_release(w.admin, hold.hold_id)
    with pytest.raises(Forbidden):
        w.service.set_roles(w.admin, "admin", [Role.ADMIN, Role.LEGAL])
    assert _refusals(w, before, "admin") == [("hold_release", "role"),
                                             ("account_admin", "own_account")]
    assert is_held(w.catalog, doc)


def test_second_person_hold_release(tmp_path: Path) -> None:
    w = build_world(tmp_path, hold_release_second_person=True)
    doc = file_doc(w, 3, retain_until=date(2090, 1, 1))
    first = w.person("counsel.a", Role.LEGAL)
    second = w.person("counsel.b", Role.LEGAL)
    hold = w.service.hold_add(first, case_name="Matter 2", reason="litigation", doc_id=doc)
    asked = w.service.hold_release(first, hold.hold_id)
    assert not asked.released and is_held(w.catalog, doc)
    before = w.last_seq()
    with pytest.raises(Forbidden):
        w.service.hold_release(first, hold.hold_id)  # the same person cannot confirm
    assert _refusals(w, before, "counsel.a") == [("hold_release", "two_person_rule")]
    assert is_held(w.catalog, doc)
    done = w.service.hold_release(second, hold.hold_id)
    assert done.released and done.doc_ids == (doc,)
    assert not is_held(w.catalog, doc)
    actions = [(e["actor"], e["action"]) for e in w.events(before)]
    assert ("counsel.b", "hold_released") in actions
    assert ("counsel.b", "hold_release_confirmed") in actions
