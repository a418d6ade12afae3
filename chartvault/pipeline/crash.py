"""Named crash points for the SIGKILL matrix: a real crash, not a mock.

``CHARTVAULT_CRASH_AT=<point>`` makes the process kill itself with SIGKILL when it
reaches that point (``CHARTVAULT_CRASH_SKIP=n`` lets it pass the point n times first).
Unset, a point costs one dictionary look-up.
"""

from __future__ import annotations

import os
import signal

ENV = "CHARTVAULT_CRASH_AT"


def point(name: str) -> None:
    """Die here, now, if the environment asks for it."""
    if os.environ.get(ENV) != name:
        return
    skip = int(os.environ.get("CHARTVAULT_CRASH_SKIP", "0") or 0)
    if skip > 0:
        os.environ["CHARTVAULT_CRASH_SKIP"] = str(skip - 1)
        return
    os.kill(os.getpid(), signal.SIGKILL)
