"""Our flows send plain parameters as they are, and leave the rest to Prefect."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from flows.fixity import fixity
from flows.ingest import ingest
from flows.retention import retention_execute, retention_sweep


def test_plain_parameters_are_sent_unchanged() -> None:
    params = {"intake": "ward-3", "limit": 5, "ratio": 0.5, "dry_run": True, "as_of": None}
    assert ingest.serialize_parameters(params) == params


def test_other_values_still_go_through_prefects_encoder() -> None:
    out = retention_sweep.serialize_parameters({"as_of": date(2030, 1, 2), "n": 1})
    assert out == {"as_of": "2030-01-02", "n": 1}


def test_every_flow_uses_the_plain_parameter_flow() -> None:
    for f in (ingest, retention_sweep, retention_execute, fixity):
        assert type(f).__name__ == "PlainParamsFlow", f.name


def test_plain_parameters_do_not_import_fastapi() -> None:
    code = (
        "import sys\n"
        "from flows.ingest import ingest\n"
        "ingest.serialize_parameters({'intake': None})\n"
        "print('fastapi' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
