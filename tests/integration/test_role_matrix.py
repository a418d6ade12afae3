"""Every (role, action) pair through the service: allowed where the table below says so,
refused (``Forbidden``, audited as the caller) everywhere else.

The expected table is written out here by hand, independently of
``chartvault.auth.roles.MATRIX``: a test that read the matrix could not fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from chartvault.auth.errors import Forbidden
from chartvault.auth.roles import Action, Role, matrix_markdown
from chartvault.catalog import SearchCriteria
from tests.support.world import World, build_world, file_doc, password_of

EXPECTED: dict[str, set[str]] = {
    "scanner": {"ingest", "intake_status", "quarantine_list_own"},
    "archivist": {"ingest", "intake_status", "quarantine_list_own", "quarantine_list",
                  "quarantine_handle", "review_queue", "correct_metadata", "retention_sweep",
                  "retention_explain", "fixity", "plan_view", "rendition",
                  "release_request"},
    "records_manager": {"plan_view", "retention_approve", "retention_execute",
                        "certificate_print", "retention_explain", "release_request",
                        "release_fulfil", "disclosure_accounting", "access_report"},
    "legal": {"hold_place", "hold_release", "hold_list"},
    "auditor": {"search", "view_manifest", "retrieve", "rendition", "export", "audit_read",
                "audit_verify", "hold_list", "plan_view", "certificate_print",
                "disclosure_accounting", "access_report"},
    "admin": {"account_admin", "policy_admin", "schedule_admin"},
    "ehr": {"fhir_read"},
}
ACTIONS = [
    "ingest", "intake_status", "quarantine_list_own", "quarantine_list", "quarantine_handle",
    "review_queue", "correct_metadata", "retention_sweep", "retention_explain", "fixity",
    "plan_view", "retention_approve", "retention_execute", "certificate_print", "hold_place",
    "hold_release", "hold_list", "search", "view_manifest", "retrieve", "rendition", "export",
    "audit_read", "audit_verify", "account_admin", "policy_admin", "schedule_admin",
    "release_request", "release_fulfil", "disclosure_accounting", "access_report", "fhir_read",
]
ROLES = ["scanner", "archivist", "records_manager", "legal", "auditor", "admin", "ehr"]
# actions that have no domain function yet: the service's guard alone is what they pass
GUARD_ONLY = {"ingest", "quarantine_handle", "correct_metadata", "policy_admin",
              "schedule_admin"}


@dataclass
class Ctx:
    world: World
    doc: str
    bearers: dict[str, str]  # role -> session of an account holding only that role
    helper_arch: str
    helper_rm: str
    helper_legal: str
    cert_plan: str
    out: Path


def _user(role: str) -> str:
    return role.replace("_", "") + "1"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    tmp = tmp_path_factory.mktemp("matrix")
    w = build_world(tmp)
    doc = file_doc(w, 1, retain_until=date(2090, 1, 1))
    file_doc(w, 2, retain_until=date(2090, 1, 1), review=True, intake="east")
    with w.catalog.transaction() as conn:
        for qid, intake in (("q-1", "default"), ("q-2", "east")):
            w.catalog.record_quarantine(conn, quarantine_id=qid, sha256=None,
                                        at=datetime.now(UTC), batch_id="b-1", intake=intake,
                                        reason="corrupt", detail="unreadable", folder=f"q/{qid}",
                                        resolved=False)
    w.catalog.start_batch("b-1", "default", "svc:ingest")
    bearers = {role: w.person(_user(role), Role(role), intakes=("east",)) for role in ROLES}
    helper_arch = w.person("helper.arch", Role.ARCHIVIST)
    helper_rm = w.person("helper.rm", Role.RECORDS_MANAGER)
    helper_legal = w.person("helper.legal", Role.LEGAL)
    plan = w.service.sweep(helper_arch)
    w.service.approve_plan(helper_rm, plan, password=password_of("helper.rm"))
    w.service.execute_plan(helper_rm, plan)
    yield Ctx(w, doc, bearers, helper_arch, helper_rm, helper_legal, plan, tmp / "out")
    w.catalog.close()


def _approve(c: Ctx, b: str, user: str) -> Any:
    plan = c.world.service.sweep(c.helper_arch)
    return c.world.service.approve_plan(b, plan, password=password_of(user))


def _execute(c: Ctx, b: str, user: str) -> Any:
    plan = c.world.service.sweep(c.helper_arch)
    c.world.service.approve_plan(c.helper_rm, plan, password=password_of("helper.rm"))
    return c.world.service.execute_plan(b, plan)


def _release(c: Ctx, b: str, user: str) -> Any:
    held = c.world.service.hold_add(c.helper_legal, case_name="Matter 7", reason="litigation",
                                    doc_id=c.doc)
    return c.world.service.hold_release(b, held.hold_id)


def _own_quarantine(c: Ctx, b: str, user: str) -> Any:
    rows = c.world.service.quarantine_list(b, scope="own")
    assert {r["intake"] for r in rows} == {"east"}  # the account works intake "east" only
    return rows


def _fulfil(c: Ctx, b: str, user: str) -> Any:
    req = c.world.service.release_request(c.helper_rm, requester_kind="patient",
                                          requester_name="Ann1 Testperson", purpose="own copy",
                                          mrn="MRN1001")
    c.world.service.release_review(c.helper_rm, req.request_id)
    return c.world.service.release_fulfil(b, req.request_id, c.out / f"release-{user}",
                                          paper_copy=False)


S = SearchCriteria(name="Testperson")
INVOKE: dict[str, Callable[[Ctx, str, str], Any]] = {
    "intake_status": lambda c, b, u: c.world.service.intake_status(b),
    "quarantine_list_own": _own_quarantine,
    "quarantine_list": lambda c, b, u: c.world.service.quarantine_list(b, scope="all"),
    "review_queue": lambda c, b, u: c.world.service.review_queue(b),
    "retention_sweep": lambda c, b, u: c.world.service.sweep(b),
    "retention_explain": lambda c, b, u: c.world.service.explain(b, c.doc),
    "fixity": lambda c, b, u: c.world.service.fixity(b),
    "plan_view": lambda c, b, u: c.world.service.plans(b),
    "retention_approve": _approve,
    "retention_execute": _execute,
    "certificate_print": lambda c, b, u: c.world.service.certificate(b, c.cert_plan),
    "hold_place": lambda c, b, u: c.world.service.hold_add(
        b, case_name="Matter 9", reason="subpoena", doc_id=c.doc),
    "hold_release": _release,
    "hold_list": lambda c, b, u: c.world.service.holds(b),
    "search": lambda c, b, u: c.world.service.search(b, S),
    "view_manifest": lambda c, b, u: c.world.service.show(b, c.doc),
    "retrieve": lambda c, b, u: c.world.service.retrieve(b, c.doc, c.out / f"{u}.pdf"),
    "rendition": lambda c, b, u: c.world.service.rendition(b, c.doc),
    "export": lambda c, b, u: c.world.service.export(b, S),
    "audit_read": lambda c, b, u: c.world.service.audit_events(b),
    "audit_verify": lambda c, b, u: c.world.service.audit_verify(b),
    "account_admin": lambda c, b, u: c.world.service.list_accounts(b),
    "release_request": lambda c, b, u: c.world.service.release_requests(b),
    "release_fulfil": _fulfil,
    "disclosure_accounting": lambda c, b, u: c.world.service.disclosure_accounting(b, "MRN1001"),
    "access_report": lambda c, b, u: c.world.service.access_report(b, "MRN1001"),
    "fhir_read": lambda c, b, u: c.world.service.fhir_patients(b, "MRN1001", "http://x/fhir"),
}
# the action name a refusal is audited under, where the call is named otherwise
REFUSAL_ACTION = {"quarantine_list_own": "quarantine_list_own"}


def test_the_tables_name_every_action_and_role() -> None:
    assert sorted(ACTIONS) == sorted(a.value for a in Action)
    assert sorted(ROLES) == sorted(r.value for r in Role)
    assert set(INVOKE) | GUARD_ONLY == set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_role_action(ctx: Ctx, role: str, action: str) -> None:
    w, user, bearer = ctx.world, _user(role), ctx.bearers[role]
    before = w.last_seq()

    def call() -> Any:
        if action in GUARD_ONLY:
            return w.service.authorize(bearer, Action(action))
        return INVOKE[action](ctx, bearer, user)

    mine = lambda: [e for e in w.events(before) if e["actor"] == user]  # noqa: E731
    if action in EXPECTED[role]:
        call()
        assert not [e for e in mine() if e["outcome"] == "refused"]
        if action not in GUARD_ONLY:
            assert mine(), "an allowed action leaves an audit event of its actor"
    else:
        with pytest.raises(Forbidden) as err:
            call()
        assert str(err.value) == "not permitted"  # the same words for every refusal
        events = mine()
        assert [(e["action"], e["outcome"]) for e in events] == [
            (REFUSAL_ACTION.get(action, action), "refused")]
        assert events[0]["detail"]["why"] == "role"


def test_one_person_several_roles(ctx: Ctx) -> None:
    w = ctx.world
    both = w.person("arch.rm", Role.ARCHIVIST, Role.RECORDS_MANAGER)
    plan = w.service.sweep(both)  # as archivist
    before = w.last_seq()
    with pytest.raises(Forbidden):  # never approves what it planned
        w.service.approve_plan(both, plan, password=password_of("arch.rm"))
    refused = [e for e in w.events(before) if e["actor"] == "arch.rm"]
    assert refused[-1]["detail"]["why"] == "two_person_rule"
    other = w.service.sweep(ctx.helper_arch)
    w.service.approve_plan(both, other, password=password_of("arch.rm"))  # as records manager
    with pytest.raises(Forbidden):
        w.service.search(both, S)  # neither role searches


def test_matrix_markdown_is_the_readme_table() -> None:
    table = matrix_markdown()
    lines = table.splitlines()
    assert lines[0].startswith("| action | scanner | archivist |")
    assert len(lines) == 2 + len(ACTIONS)
    row = next(line for line in lines if line.startswith("| `hold_release` |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:] == ["", "", "", "yes", "", "", "", "yes"]  # legal only, TOTP
