"""The next scheduled flow runs, from the Prefect API of ``chartvault serve``.

Asked with a short timeout: a dashboard must say "Prefect not reachable" quickly rather
than hang. Run names and parameters hold ids only (see ``flows/``), so they may be shown.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from datetime import datetime

import httpx

log = logging.getLogger(__name__)
TIMEOUT_S = 1.5


@dataclass(frozen=True)
class ScheduledRun:
    """One flow run waiting for its start time."""

    deployment: str
    run_name: str
    expected_start: datetime | None


def auth_headers(auth_string: str | None) -> dict[str, str]:
    """The header Prefect's client sends for ``PREFECT_API_AUTH_STRING`` (HTTP Basic)."""
    if not auth_string:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(auth_string.encode()).decode()}


def next_runs(api_url: str | None = None, auth_string: str | None = None,
              limit: int = 5, timeout_s: float = TIMEOUT_S) -> list[ScheduledRun] | None:
    """The next ``limit`` scheduled runs, soonest first; None when Prefect does not answer."""
    api_url = api_url or os.environ.get("PREFECT_API_URL")
    if not api_url:
        return None
    if auth_string is None:
        auth_string = os.environ.get("PREFECT_API_AUTH_STRING")
    body = {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
            "sort": "EXPECTED_START_TIME_ASC", "limit": limit}
    try:
        with httpx.Client(base_url=api_url.rstrip("/"), timeout=timeout_s,
                          headers=auth_headers(auth_string)) as client:
            runs = client.post("/flow_runs/filter", json=body)
            runs.raise_for_status()
            deps = client.post("/deployments/filter", json={"limit": 200})
            deps.raise_for_status()
    except (httpx.HTTPError, ValueError) as err:
        log.warning("prefect API not reachable: %s", type(err).__name__)
        return None
    names = {d["id"]: d["name"] for d in deps.json()}
    out = []
    for r in runs.json():
        start = r.get("expected_start_time") or r.get("next_scheduled_start_time")
        out.append(ScheduledRun(names.get(r.get("deployment_id"), "-"), str(r.get("name", "")),
                                datetime.fromisoformat(start) if start else None))
    return out


def configured() -> bool:
    """Whether this process was told where Prefect's API is."""
    return bool(os.environ.get("PREFECT_API_URL"))
