"""SQL only in the catalog, storage and service layers (issue #13).

Every other module of the project is parsed: it may hold a ``Connection`` or a
``RowMapping`` it was given, but never build or run a statement itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Layers that may speak SQL, and what is not shipped code.
SQL_LAYERS = ("chartvault/catalog/", "chartvault/service/", "storage/")
NOT_SHIPPED = ("tests/", "benchmarks/", "build/")
STATEMENT_BUILDERS = {"select", "update", "insert", "delete", "text"}
RUNNERS = {"execute", "exec_driver_sql", "executemany"}
# Modules allowed to break a rule, each with why; empty: nothing has to.
ALLOWED: dict[str, str] = {}


def violations(source: str) -> list[str]:
    """What in ``source`` builds, runs or reaches for SQL (line: what)."""
    found = []
    sa_modules = set()  # names bound to the sqlalchemy package (import sqlalchemy as sa)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "sqlalchemy" or node.module.startswith("sqlalchemy.sql"):
                found += [f"{node.lineno}: imports sqlalchemy {a.name}" for a in node.names
                          if a.name in STATEMENT_BUILDERS]
            if node.module == "chartvault.catalog.schema" or (
                    node.module == "chartvault.catalog"
                    and any(a.name == "schema" for a in node.names)):
                found.append(f"{node.lineno}: imports the catalog's tables")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "sqlalchemy":
                    sa_modules.add(a.asname or a.name)
                if a.name == "chartvault.catalog.schema":
                    found.append(f"{node.lineno}: imports the catalog's tables")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                node.value.id in sa_modules and node.attr in STATEMENT_BUILDERS):
            found.append(f"{node.lineno}: uses sqlalchemy.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr in RUNNERS):
            found.append(f"{node.lineno}: calls .{node.func.attr}(")
    return found


def _modules() -> list[str]:
    paths = []
    for top in ROOT.iterdir():  # not rglob from the root: it would walk .venv
        if top.name.startswith(".") or f"{top.name}/" in NOT_SHIPPED:
            continue
        for path in [top] if top.is_file() else top.rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.endswith(".py") and not rel.startswith(SQL_LAYERS) and (
                    "/migrations/" not in rel):
                paths.append(rel)
    return sorted(paths)


def test_no_module_outside_the_sql_layers_builds_or_runs_a_statement() -> None:
    modules = _modules()
    # the scan reaches the modules that once held SQL and every top-level package
    assert {"chartvault/holds.py", "chartvault/disposition.py", "chartvault/fixity.py",
            "chartvault/pipeline/retention.py", "flows/retention.py"} <= set(modules)
    assert {m.split("/")[0] for m in modules} >= {"chartvault", "flows", "extractors",
                                                   "classifiers", "retention_policies"}
    bad = {m: v for m in modules if m not in ALLOWED
           and (v := violations((ROOT / m).read_text(encoding="utf-8")))}
    assert bad == {}, "SQL belongs in chartvault/catalog/: " + repr(bad)
    assert set(ALLOWED) <= set(modules), "an allowance names a module that is gone"


def test_the_scan_sees_each_way_in() -> None:
    source = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import Connection, RowMapping, select, delete\n"
        "from sqlalchemy.sql.expression import update\n"
        "from chartvault.catalog.schema import documents\n"
        "def f(conn: Connection) -> None:\n"
        "    conn.execute(sa.insert(documents))\n"
        "    conn.exec_driver_sql('VACUUM')\n"
    )
    assert sorted(violations(source)) == [
        "2: imports sqlalchemy delete", "2: imports sqlalchemy select",
        "3: imports sqlalchemy update", "4: imports the catalog's tables",
        "6: calls .execute(", "6: uses sqlalchemy.insert", "7: calls .exec_driver_sql(",
    ]
    # holding a connection or a row it was given is no SQL
    assert violations("from sqlalchemy import Connection, RowMapping\n"
                      "from sqlalchemy.exc import OperationalError\n") == []
