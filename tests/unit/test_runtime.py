"""Prefect settings for flow runs the CLI starts in the foreground."""

from __future__ import annotations

import pytest
from prefect.settings import get_current_settings

from chartvault import runtime


def test_foreground_runs_do_without_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in runtime._HEARTBEAT_VARS:
        monkeypatch.delenv(var, raising=False)
    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's default sends them
    with runtime.foreground_run():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default


def test_a_site_that_sets_heartbeats_keeps_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "45")
    with runtime.foreground_run():  # left as the site configured it
        assert get_current_settings().flows.heartbeat_frequency is not None
