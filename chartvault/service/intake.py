"""Intake status, quarantine and the review queue: scanning staff and archivists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

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

    def quarantine_list(self, bearer: str, scope: Literal["auto", "all", "own"] = "auto"
                        ) -> Sequence[RowMapping]:
        """Quarantined inputs: every intake's (archivists) or the caller's own intakes'.

        ``auto`` gives the widest list the caller may see; ``all`` and ``own`` ask for one.
        """
        p = self.auth.authenticate(bearer, Action.QUARANTINE_LIST.value)
        everything = p.may(Action.QUARANTINE_LIST) and scope in ("auto", "all")
        if not everything:
            wanted = Action.QUARANTINE_LIST if scope == "all" else Action.QUARANTINE_LIST_OWN
            if not p.may(wanted):
                self.deny(p, wanted, "role")
        intakes: list[str] | None = None
        if not everything:
            with self.catalog.engine.connect() as conn:
                account = aq.by_id(conn, p.account_id)
            intakes = list(account["intakes"]) if account is not None else []
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
