"""Storage and catalog outages: what counts as one, and the bounded backoff that waits it out.

A document whose filing fails because the object store or the catalog is away is not a
bad document: it is retried with exponential backoff (``RetrySettings``), and if the
outage outlasts the retries it is *deferred* (left in custody, its attempt not counted),
never quarantined. Once one document has been deferred, the rest of the batch gets a
single probe each instead of the full backoff, so a long outage ends the run quickly and
the next run (or the watcher's next pass) files them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from chartvault.errors import StepFailed, StorageUnavailable

log = logging.getLogger(__name__)

Outage = Literal["storage", "catalog"]


def outage_of(err: BaseException) -> Outage | None:
    """Which service an error says is unavailable, or None (the document's own failure).

    ``phi_safe`` re-raises foreign errors as ``StepFailed`` (message dropped); the original
    stays as its ``__context__``.
    """
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    cause = err.__context__ if isinstance(err, StepFailed) and err.__context__ else err
    if isinstance(cause, StorageUnavailable):
        return "storage"
    if isinstance(cause, OperationalError | InterfaceError) or (
            isinstance(cause, DBAPIError) and cause.connection_invalidated):
        return "catalog"
    if isinstance(cause, ConnectionError | TimeoutError):
        return "storage"
    return None


@dataclass
class Backoff:
    """Exponential backoff with a cap: base, 2 x base, 4 x base ... at most ``cap_s``."""

    attempts: int
    base_s: float
    cap_s: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.cap_s, self.base_s * 2 ** (attempt - 1)))


@dataclass
class OutageState:
    """What one run saw of outages (counts for the batch report)."""

    retried: int = 0  # attempts repeated after an outage error
    deferred_storage: int = 0  # documents left in custody: object store unavailable
    deferred_catalog: int = 0  # documents left in custody: catalog unavailable
    current: Outage | None = None  # set after a deferral, cleared by the next success

    def defer(self, kind: Outage) -> None:
        """Count a document deferred because ``kind`` stayed unavailable."""
        if kind == "storage":
            self.deferred_storage += 1
        else:
            self.deferred_catalog += 1
        self.current = kind
