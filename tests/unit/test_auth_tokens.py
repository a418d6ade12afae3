"""API tokens and sessions: hashed at rest, scoped to a role, expiring, revocable."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.roles import Role
from chartvault.catalog import SearchCriteria
from chartvault.catalog.schema import api_tokens
from chartvault.service import TokenError
from tests.support.world import World, build_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def _why(w: World) -> str:
    return str(w.last_event()["detail"]["why"])


def test_token_is_scoped_to_one_role(world: World) -> None:
    w = world
    session = w.person("multi", Role.AUDITOR, Role.ARCHIVIST)
    token = w.service.create_token(session, Role.ARCHIVIST, days=30, label="nightly")
    assert w.service.review_queue(token.bearer) is not None
    with pytest.raises(Forbidden):  # the account may search, this token may not
        w.service.search(token.bearer, SearchCriteria(name="x"))
    assert w.service.search(session, SearchCriteria(name="x")) == []
    with pytest.raises(Forbidden):
        w.service.create_token(session, Role.LEGAL)  # a role the account does not hold


def test_token_is_stored_hashed_and_cannot_mint_tokens(world: World) -> None:
    w = world
    session = w.person("scripts", Role.AUDITOR)
    token = w.service.create_token(session, Role.AUDITOR)
    with w.catalog.engine.connect() as conn:
        stored = conn.execute(select(api_tokens)).mappings().all()
    assert all(token.bearer not in str(dict(r).values()) for r in stored)
    with pytest.raises(TokenError):
        w.service.create_token(token.bearer, Role.AUDITOR)
    assert _why(w) == "token_from_token"


def test_expired_token_is_refused(world: World) -> None:
    w = world
    session = w.person("brief", Role.AUDITOR)
    token = w.service.create_token(session, Role.AUDITOR, lifetime=timedelta(seconds=1))
    assert w.service.audit_verify(token.bearer).ok
    time.sleep(1.2)
    with pytest.raises(Unauthenticated):
        w.service.audit_verify(token.bearer)
    assert _why(w) == "expired"


def test_revoked_token_is_refused(world: World) -> None:
    w = world
    session = w.person("rev", Role.AUDITOR)
    token = w.service.create_token(session, Role.AUDITOR)
    listed = w.service.list_tokens(session)
    assert [t["token_id"] for t in listed] == [token.token_id]
    w.service.revoke_token(session, token.token_id)
    with pytest.raises(Unauthenticated):
        w.service.audit_verify(token.bearer)
    assert _why(w) == "revoked"


def test_losing_the_role_empties_the_token(world: World) -> None:
    w = world
    session = w.person("mover", Role.AUDITOR)
    token = w.service.create_token(session, Role.AUDITOR)
    w.service.set_roles(w.admin, "mover", [Role.SCANNER])
    with pytest.raises(Forbidden):
        w.service.audit_verify(token.bearer)


def test_unknown_bearer_and_idle_session(tmp_path: Path) -> None:
    w = build_world(tmp_path, session_idle_minutes=3 / 60)  # three seconds
    with pytest.raises(Unauthenticated):
        w.service.audit_verify("cv1_not-a-real-token")
    assert w.last_event()["actor"] == "anonymous" and _why(w) == "unknown_token"
    session = w.person("idle", Role.AUDITOR)
    assert w.service.audit_verify(session).ok
    time.sleep(3.3)
    with pytest.raises(Unauthenticated):
        w.service.audit_verify(session)
    assert _why(w) == "idle"
