"""Intake status, quarantine and the review queue: scanning staff and archivists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping

from chartvault.auth.roles import Action
from chartvault.catalog import accounts as aq
from chartvault.catalog import guarded as gq
from chartvault.service.guard import Guard


class IntakeActions(Guard):
    """What scanning staff and archivists look at."""

    def intake_status(self, bearer: str, limit: int = 50) -> Sequence[RowMapping]:
        """Recent batches and their counts (ids and counts only)."""
        p = self.require(bearer, Action.INTAKE_STATUS)
        with self.catalog.engine.connect() as conn:
            rows = gq.recent_batches(conn, None, limit)
        self.catalog.audit(p.username, Action.INTAKE_STATUS.value, detail={"batches": len(rows)})
        return rows

    def quarantine_list(self, bearer: str) -> Sequence[RowMapping]:
        """Quarantined inputs: all for archivists, a scanner's own intakes for scanners."""
        p = self.auth.authenticate(bearer, Action.QUARANTINE_LIST.value)
        if p.may(Action.QUARANTINE_LIST):
            intakes: list[str] | None = None
        elif p.may(Action.QUARANTINE_LIST_OWN):
            with self.catalog.engine.connect() as conn:
                account = aq.by_id(conn, p.account_id)
            intakes = list(account["intakes"]) if account is not None else []
        else:
            self.deny(p, Action.QUARANTINE_LIST, "role")
        with self.catalog.engine.connect() as conn:
            rows = gq.quarantined(conn, intakes)
        self.catalog.audit(p.username, Action.QUARANTINE_LIST.value,
                           detail={"entries": len(rows), "own_only": intakes is not None})
        return rows

    def review_queue(self, bearer: str, limit: int = 100) -> Sequence[RowMapping]:
        """Documents waiting for a person's review (ids, types, reasons)."""
        p = self.require(bearer, Action.REVIEW_QUEUE)
        with self.catalog.engine.connect() as conn:
            rows = gq.review_queue(conn, limit)
        self.catalog.audit(p.username, Action.REVIEW_QUEUE.value, [r["doc_id"] for r in rows])
        return rows
