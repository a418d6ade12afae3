#!/usr/bin/env bash
# Set up everything the tests need, then run lint, types and the whole test suite.
# Real servers (Ceph RGW, PostgreSQL, Prefect) are started by the test session itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-servers
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy chartvault flows extractors classifiers storage retention_policies
echo "== pytest"
# exit code 5 (no tests collected) is a failure for us, as is any non-zero code
.venv/bin/python -m pytest -q "$@"
