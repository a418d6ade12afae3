"""Watcher runs whose process is gone: marked Crashed when a watcher starts on that host.

The watcher's runs go without Prefect's heartbeats (see ``runtime.foreground_run``), so
nothing on a self-hosted server notices a watcher that died mid-run (killed, machine
rebooted): its flow run would show Running for ever. Each run carries the tag
``chartvault-watch@<host>:<pid>``. A watcher starting on a host marks the Running or
Pending runs of that host whose process no longer exists as Crashed. Nothing else is
needed to recover: the dead run's claims stay in custody, and the new watcher's first
pass files them.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)

TAG = "chartvault-watch"


def run_tags() -> list[str]:
    """The tags of a run started by this process."""
    return [TAG, f"{TAG}@{socket.gethostname()}:{os.getpid()}"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _dead_here(tags: list[str], host: str) -> bool:
    """Whether a run's tags name a process on ``host`` that no longer exists."""
    for tag in tags:
        where = tag.removeprefix(f"{TAG}@")
        if where == tag:
            continue
        tag_host, _, pid = where.rpartition(":")
        if tag_host == host and pid.isdigit() and not _alive(int(pid)):
            return True
    return False


def mark_orphans() -> int:
    """Mark this host's watcher runs whose process is gone as Crashed; returns how many."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    host = socket.gethostname()
    wanted = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[TAG]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(
            any_=[StateType.RUNNING, StateType.PENDING])),
    )
    marked = 0
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(flow_run_filter=wanted):
            if _dead_here(list(run.tags), host):
                client.set_flow_run_state(run.id, Crashed(
                    message="the watcher running it stopped; its claims stay in custody and "
                            "the next watcher files them"), force=True)
                marked += 1
    if marked:
        log.warning("%d run(s) of a stopped watcher marked crashed", marked)
    return marked
