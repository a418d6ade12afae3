"""Named crash points for the SIGKILL matrix: a real crash, not a mock.

``CHARTVAULT_CRASH_AT=<point>`` makes the process kill itself with SIGKILL when it
reaches that point (``CHARTVAULT_CRASH_SKIP=n`` lets it pass the point n times first).
``CHARTVAULT_PAUSE_AT=<point>`` with ``CHARTVAULT_PAUSE_FILE=<path>`` instead makes the
process create that file at the point and wait until it is removed (the outage tests stop
a real server there, mid-batch). Unset, a point costs two dictionary look-ups.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ENV = "CHARTVAULT_CRASH_AT"
PAUSE = "CHARTVAULT_PAUSE_AT"
PAUSE_LIMIT_S = 600.0


def point(name: str) -> None:
    """Die here, now (or wait here), if the environment asks for it."""
    if os.environ.get(PAUSE) == name:
        _pause()
    if os.environ.get(ENV) != name:
        return
    skip = int(os.environ.get("CHARTVAULT_CRASH_SKIP", "0") or 0)
    if skip > 0:
        os.environ["CHARTVAULT_CRASH_SKIP"] = str(skip - 1)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _pause() -> None:
    """Once per process: say so through the pause file, then wait until it is gone."""
    marker = Path(os.environ.get("CHARTVAULT_PAUSE_FILE", "") or "")
    if not marker.name:
        return
    os.environ.pop(PAUSE, None)
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + PAUSE_LIMIT_S
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
