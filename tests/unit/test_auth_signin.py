"""Password sign-in on a real SQLite catalog: lockout, one answer for every failure,
TOTP required and verified (codes made with pyotp), one-time passwords."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pyotp
import pytest

from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.passwords import warm_decoy
from chartvault.auth.roles import Role
from chartvault.auth.signin import PasswordChangeRequired
from chartvault.catalog import Catalog
from chartvault.service import Service
from chartvault.settings import AuthSettings, Settings
from storage.local import LocalObjectStore
from tests.support.world import World, build_world, password_of


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path, max_failures=3)


def _fails(w: World, username: str, password: str, code: str | None = None) -> str:
    with pytest.raises(Unauthenticated) as err:
        w.service.sign_in(username, password, code)
    return f"{err.value.code}: {err.value}"


def test_unknown_user_and_wrong_password_get_the_same_answer(world: World) -> None:
    w = world
    w.person("scan", Role.SCANNER)
    unknown = _fails(w, "nobody.here", "whatever password 1")
    wrong = _fails(w, "scan", "whatever password 1")
    assert unknown == wrong == "unauthenticated: sign-in failed or the credential is not valid"
    ev = w.events(w.last_seq() - 2)
    assert [(e["actor"], e["detail"]["why"]) for e in ev] == [
        ("anonymous", "bad_credentials"), ("scan", "bad_credentials")]


def test_unknown_user_costs_as_long_as_a_wrong_password(tmp_path: Path) -> None:
    # the site's real argon2 costs, not the fast ones of the other tests
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(data_dir=data, auth=AuthSettings(max_failures=1000))
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    service = Service(catalog, LocalObjectStore(settings.objects_dir), settings)
    boot = service.bootstrap("admin")
    assert boot.one_time_password
    warm_decoy(settings.auth)

    def seconds(username: str) -> float:
        t0 = time.perf_counter()
        with pytest.raises(Unauthenticated):
            service.sign_in(username, "a wrong password!")
        return time.perf_counter() - t0

    unknown = statistics.median(seconds("ghost") for _ in range(7))
    wrong = statistics.median(seconds("admin") for _ in range(7))
    assert 0.6 < unknown / wrong < 1.6, (unknown, wrong)
    catalog.close()


def test_lockout_after_repeated_failures_even_for_the_right_password(world: World) -> None:
    w = world
    w.person("scan", Role.SCANNER)
    for _ in range(3):
        _fails(w, "scan", "wrong password again")
    locked = _fails(w, "scan", password_of("scan"))  # right password, locked account
    assert locked == _fails(w, "nobody", "wrong password again")
    assert w.events(w.last_seq() - 2)[0]["detail"]["why"] == "locked"
    w.service.unlock_account(w.admin, "scan")
    assert w.service.sign_in("scan", password_of("scan")).principal.username == "scan"


def test_totp_required_verified_and_never_replayed(world: World) -> None:
    w = world
    w.person("counsel", Role.LEGAL)
    secret = w.totp["counsel"]
    assert _fails(w, "counsel", password_of("counsel")) == _fails(w, "x", "y" * 12)
    assert w.events(w.last_seq() - 2)[0]["detail"]["why"] == "second_factor_missing"
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    _fails(w, "counsel", password_of("counsel"), wrong)
    w.service.unlock_account(w.admin, "counsel")
    step = int(time.time() // 30) + 1  # the person's sign-in used the current step
    code = pyotp.TOTP(secret).at(step * 30)
    signed = w.service.sign_in("counsel", password_of("counsel"), code)
    assert signed.principal.mfa and Role.LEGAL in signed.principal.roles
    _fails(w, "counsel", password_of("counsel"), code)  # the same code again: a replay
    assert w.events(w.last_seq() - 1)[0]["detail"]["why"] == "second_factor_wrong"


def test_one_time_password_must_be_changed(world: World) -> None:
    w = world
    got = w.service.create_account(w.admin, "newbie", [Role.AUDITOR])
    assert got.one_time_password and got.totp_secret is None
    with pytest.raises(PasswordChangeRequired):
        w.service.sign_in("newbie", got.one_time_password)
    w.service.sign_in("newbie", got.one_time_password, new_password="a brand new passphrase")
    _fails(w, "newbie", got.one_time_password)
    assert w.service.sign_in("newbie", "a brand new passphrase").principal.username == "newbie"


def test_disabled_account_cannot_sign_in_and_its_sessions_end(world: World) -> None:
    w = world
    bearer = w.person("leaver", Role.AUDITOR)
    w.service.disable_account(w.admin, "leaver")
    assert _fails(w, "leaver", password_of("leaver")) == _fails(w, "nobody", "x" * 12)
    with pytest.raises(Unauthenticated):
        w.service.audit_verify(bearer)


def test_bootstrap_is_for_the_data_directory_owner_and_only_once(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    with pytest.raises(Exception, match="exists already"):
        w.service.bootstrap("root2")
    other = tmp_path / "other"
    other.mkdir()
    settings = Settings(data_dir=other)
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    service = Service(catalog, LocalObjectStore(settings.objects_dir), settings)
    os.chown(other, 65534, 65534)  # another OS user owns this data directory
    try:
        with pytest.raises(Forbidden):
            service.bootstrap("admin")
        with pytest.raises(Forbidden):
            service.catalog_rebuild(f"sqlite:///{tmp_path / 'copy.db'}")
    finally:
        os.chown(other, os.geteuid(), os.getegid())
    assert not (tmp_path / "copy.db").exists()
    events = catalog.engine.connect().exec_driver_sql(
        "SELECT actor, action, outcome FROM audit_events").all()
    assert events == [(f"uid:{os.geteuid()}", "account_bootstrap", "refused"),
                      (f"uid:{os.geteuid()}", "catalog_rebuild", "refused")]
    catalog.close()


def test_totp_secrets_are_sealed_in_the_catalog_and_still_verify(tmp_path: Path) -> None:
    from sqlalchemy import select

    from chartvault.catalog.schema import totp_secrets
    from tests.support.world import build_world

    w = build_world(tmp_path)
    w.person("lee", Role.LEGAL)
    with w.catalog.engine.connect() as conn:
        stored = {r.secret for r in conn.execute(select(totp_secrets.c.secret))}
    assert stored and all(s.startswith("g1:") for s in stored)
    assert not stored & set(w.totp.values())  # no plain base32 secret in the database
    assert (tmp_path / "data" / "totp.key").stat().st_mode & 0o777 == 0o600
    assert w.sign_in("lee")  # the code of the real secret still signs in


def test_a_secret_stored_before_sealing_verifies_and_is_resealed(tmp_path: Path) -> None:
    from sqlalchemy import select, update

    from chartvault.catalog.schema import accounts, totp_secrets
    from tests.support.world import build_world

    w = build_world(tmp_path)
    w.person("lee", Role.LEGAL)
    with w.catalog.transaction() as conn:
        lee = conn.execute(select(accounts.c.account_id).where(
            accounts.c.username == "lee")).scalar_one()
        conn.execute(update(totp_secrets).where(totp_secrets.c.account_id == lee)
                     .values(secret=w.totp["lee"]))
    assert w.sign_in("lee")
    with w.catalog.engine.connect() as conn:
        now = conn.execute(select(totp_secrets.c.secret).where(
            totp_secrets.c.account_id == lee)).scalar_one()
    assert now.startswith("g1:")
