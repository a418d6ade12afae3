"""Legal holds through the guard: only ``legal`` places and releases them.

With ``auth.hold_release_second_person`` a release takes two different legal accounts:
the first asks, the second confirms, and only then is the hold released.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import RowMapping

from chartvault import holds
from chartvault.auth.roles import Action
from chartvault.catalog import accounts as aq
from chartvault.catalog import guarded as gq
from chartvault.holds import HoldError, HoldResult
from chartvault.service.guard import Guard


@dataclass(frozen=True)
class ReleaseOutcome:
    """A release done, or waiting for a second legal account."""

    hold_id: str
    released: bool
    doc_ids: tuple[str, ...] = ()


class LegalActions(Guard):
    """Place, release and list holds."""

    def hold_add(self, bearer: str, *, case_name: str, reason: str, doc_id: str | None = None,
                 mrn: str | None = None, facility: str | None = None) -> HoldResult:
        """Place a document or patient hold."""
        p = self.require(bearer, Action.HOLD_PLACE, [doc_id] if doc_id else [])
        return holds.add_hold(self.catalog, self.store, actor=p.username, case_name=case_name,
                              reason=reason, doc_id=doc_id, mrn=mrn, facility=facility)

    def hold_release(self, bearer: str, hold_id: str) -> ReleaseOutcome:
        """Release a hold (or ask for it, when the site wants a second person)."""
        p = self.require(bearer, Action.HOLD_RELEASE, detail={"hold_id": hold_id})
        if self.settings.auth.hold_release_second_person:
            with self.catalog.transaction() as conn:
                hold = gq.hold(conn, hold_id)
                if hold is None or hold["released_at"] is not None:
                    raise HoldError(f"hold {hold_id} is not active")
                asked = aq.release_request(conn, hold_id)
                if asked is None:
                    aq.put_release_request(conn, hold_id, p.username, self.clock())
                    self.catalog.audit(p.username, "hold_release_requested",
                                       detail={"hold_id": hold_id}, conn=conn)
                    return ReleaseOutcome(hold_id, False)
                first = asked["requested_by"]
            if first == p.username:
                self.deny(p, Action.HOLD_RELEASE, "two_person_rule", detail={"hold_id": hold_id})
            result = holds.release_hold(self.catalog, self.store, hold_id, p.username)
            with self.catalog.transaction() as conn:
                aq.drop_release_request(conn, hold_id)
                self.catalog.audit(p.username, "hold_release_confirmed",
                                   detail={"hold_id": hold_id, "requested_by": first}, conn=conn)
            return ReleaseOutcome(hold_id, True, result.doc_ids)
        result = holds.release_hold(self.catalog, self.store, hold_id, p.username)
        return ReleaseOutcome(hold_id, True, result.doc_ids)

    def holds(self, bearer: str, active_only: bool = True) -> Sequence[RowMapping]:
        """Holds, newest first."""
        p = self.require(bearer, Action.HOLD_LIST)
        with self.catalog.engine.connect() as conn:
            rows = gq.hold_list(conn, active_only)
        self.catalog.audit(p.username, Action.HOLD_LIST.value, detail={"holds": len(rows)})
        return rows
