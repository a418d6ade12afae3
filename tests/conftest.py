"""Suite-wide rules.

Under ``CI=true`` a test skipped for a missing dependency is a failure: CI installs
everything, so a skip there hides a broken set-up. Tests that skip for other reasons
must say so with ``pytest.mark.skip_ok``... none do today.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() == "true" and report.skipped and not hasattr(
        report, "wasxfail"
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (a skip is a failure here): {report.longrepr}"


@pytest.fixture(scope="session")
def eval_dev() -> Path:
    """The shared evaluation set (never copied into the repository)."""
    dev = SHARED / "eval" / "dev"
    if not (dev / "truth.jsonl").exists():
        pytest.skip("../shared/eval/dev is not beside the checkout")
    return dev


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the session's throw-away PostgreSQL server (its admin database)."""
    from tests.support.pg import postgres_server

    try:
        cm = postgres_server()
        url = cm.__enter__()
    except (FileNotFoundError, OSError) as err:
        pytest.skip(f"PostgreSQL server not available: {err}")
    yield url
    cm.__exit__(None, None, None)


_db_counter = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty catalog database on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    admin_url: str = request.getfixturevalue("pg_server")
    from sqlalchemy import create_engine, text

    name = f"t{os.getpid()}_{next(_db_counter)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def eval_dev2() -> Path:
    """The out-of-family check split: dev's documents in other layouts (never copied)."""
    dev2 = SHARED / "eval" / "dev2"
    if not (dev2 / "truth.jsonl").exists():
        pytest.skip("../shared/eval/dev2 is not beside the checkout")
    return dev2


@pytest.fixture(scope="session", autouse=True)
def _own_config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or writes the real user's ``chartvault login`` token."""
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config-home"))
    os.environ.pop("CHARTVAULT_TOKEN", None)
    yield
    if old is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = old
