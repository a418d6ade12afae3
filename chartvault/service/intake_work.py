"""Intake status and quarantine handling: scanning staff and archivists.

The status is counts only (files waiting, in custody, filed, quarantined; batches and
their speed). The quarantine list shows each file's original name to the people allowed
to see that intake's quarantine; a release or purge (``chartvault.quarantine``) is an
archivist's, audited with the entry's id and, for a purge, its reason code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chartvault import quarantine as handling
from chartvault.auth.principal import Principal
from chartvault.auth.roles import Action
from chartvault.catalog import accounts as aq
from chartvault.catalog import guarded as gq
from chartvault.catalog import worklists as wq
from chartvault.catalog.worklists import Page
from chartvault.errors import NotFound, UserError
from chartvault.pipeline import intake as intake_mod
from chartvault.quarantine import Entry, PurgeReason
from chartvault.service.guard import Guard


@dataclass(frozen=True)
class IntakeLine:
    """One intake folder's state now and over the last day."""

    name: str
    facility: str
    yours: bool
    waiting: int
    settling: int
    capped: bool
    in_custody: int
    running: int
    quarantined_open: int
    filed_24h: int
    pages_24h: int
    review_24h: int


@dataclass(frozen=True)
class BatchLine:
    """A recent batch with its counts and speed."""

    batch_id: str
    intake: str
    actor: str
    started_at: Any
    finished_at: Any
    counts: dict[str, int]
    seconds: float | None
    pages_per_s: float | None


@dataclass(frozen=True)
class IntakeOverview:
    """Every intake's line, the last batches, and the review backlog."""

    intakes: list[IntakeLine]
    batches: list[BatchLine]
    review_backlog: int


@dataclass(frozen=True)
class QuarantineRow:
    """A quarantine entry with what its folder says (original name: authorised eyes only)."""

    row: Any
    entry: Entry


@dataclass(frozen=True)
class QuarantineList:
    """One page of quarantine entries the caller may see."""

    entries: list[QuarantineRow]
    page: Page
    own_only: bool


def _batch_line(b: Any) -> BatchLine:
    counts = dict(b["counts"] or {})
    seconds = None
    speed = None
    if b["finished_at"] is not None:
        seconds = max((b["finished_at"] - b["started_at"]).total_seconds(), 0.0)
        if seconds > 0 and counts.get("pages"):
            speed = round(counts["pages"] / seconds, 2)
    return BatchLine(b["batch_id"], b["intake"], b["actor"], b["started_at"], b["finished_at"],
                     counts, round(seconds, 1) if seconds is not None else None, speed)


class IntakeWorkActions(Guard):
    """Intake status, the quarantine list with names, release and purge."""

    def _own_intakes(self, p: Principal) -> list[str]:
        with self.catalog.engine.connect() as conn:
            account = aq.by_id(conn, p.account_id)
        return list(account["intakes"] or []) if account is not None else []

    def intake_overview(self, bearer: str, batches: int = 20) -> IntakeOverview:
        """What waits, what is being read, filed and quarantined; the last batches."""
        p = self.require(bearer, Action.INTAKE_STATUS)
        mine = set(self._own_intakes(p))
        since = self.clock() - timedelta(hours=24)
        with self.catalog.engine.connect() as conn:
            recent = gq.recent_batches(conn, None, min(max(1, batches), 200))
            day = wq.batches_since(conn, since)
            open_q = wq.open_quarantine_by_intake(conn)
            backlog = wq.review_backlog(conn)
        lines = []
        for intake in self.settings.intakes:
            folder = self.settings.intake_path(intake)
            ready, settling, capped = intake_mod.census(folder, self.settings.settle_seconds)
            ours = [b for b in day if b["intake"] == intake.name]
            total = {k: sum(int((b["counts"] or {}).get(k, 0)) for b in ours)
                     for k in ("archived", "pages", "needs_review")}
            lines.append(IntakeLine(
                intake.name, intake.facility, intake.name in mine, ready, settling, capped,
                len(intake_mod.pending_claims(folder, intake.name)),
                sum(1 for b in ours if b["finished_at"] is None),
                open_q.get(intake.name, 0), total["archived"], total["pages"],
                total["needs_review"]))
        self.catalog.audit(p.username, Action.INTAKE_STATUS.value,
                           detail={"batches": len(recent), "intakes": len(lines)})
        return IntakeOverview(lines, [_batch_line(b) for b in recent], backlog)

    def quarantine_entries(self, bearer: str, *, resolved: bool = False, offset: int = 0,
                           limit: int = 50) -> QuarantineList:
        """A page of quarantine entries: every intake's (archivists) or one's own intakes'."""
        p = self.auth.authenticate(bearer, Action.QUARANTINE_LIST.value)
        everything = p.may(Action.QUARANTINE_LIST)
        if not everything and not p.may(Action.QUARANTINE_LIST_OWN):
            self.deny(p, Action.QUARANTINE_LIST_OWN, "role")
        intakes = None if everything else self._own_intakes(p)
        with self.catalog.engine.connect() as conn:
            page = wq.quarantine_page(conn, intakes, resolved, max(0, offset),
                                      min(max(1, limit), 200))
        root = self.settings.data_dir
        entries = [QuarantineRow(r, handling.read_entry(root / r["folder"], r["quarantine_id"],
                                                        r["reason"])) for r in page.rows]
        self.catalog.audit(p.username, Action.QUARANTINE_LIST.value,
                           detail={"entries": len(entries), "own_only": intakes is not None,
                                   "resolved": resolved, "offset": page.offset,
                                   "token": p.token_id})
        return QuarantineList(entries, page, intakes is not None)

    def _open_entry(self, p: Principal, quarantine_id: str) -> Any:
        with self.catalog.engine.connect() as conn:
            row = wq.quarantine_entry(conn, quarantine_id)
        if row is None:
            self.reject(p, Action.QUARANTINE_HANDLE, "not_found",
                        NotFound(f"no quarantine entry {quarantine_id}"),
                        {"quarantine_id": quarantine_id})
        if row["resolved"]:
            self.reject(p, Action.QUARANTINE_HANDLE, "resolved",
                        handling.QuarantineHandlingError(
                            f"quarantine entry {quarantine_id} was handled already"),
                        {"quarantine_id": quarantine_id})
        return row

    def _finish(self, p: Principal, row: Any, action: str, detail: dict[str, Any]) -> None:
        with self.catalog.transaction() as conn:
            wq.resolve_quarantine(conn, row["quarantine_id"])
            self.catalog.audit(p.username, action, detail={
                "quarantine_id": row["quarantine_id"], "sha256": row["sha256"],
                "intake": row["intake"], "token": p.token_id, **detail}, conn=conn)

    def quarantine_release(self, bearer: str, quarantine_id: str, note: str = "") -> str:
        """Put the file back in its intake folder for the next ingest run; the intake."""
        p = self.require(bearer, Action.QUARANTINE_HANDLE,
                         detail={"quarantine_id": quarantine_id})
        row = self._open_entry(p, quarantine_id)
        intake = next((i for i in self.settings.intakes if i.name == row["intake"]), None)
        if intake is None:
            self.reject(p, Action.QUARANTINE_HANDLE, "unknown_intake",
                        handling.QuarantineHandlingError(
                            f"quarantine entry {quarantine_id} came from an intake that is no "
                            "longer configured; purge it or configure the intake"),
                        {"quarantine_id": quarantine_id})
        try:
            handling.release(self.settings.data_dir / row["folder"],
                             self.settings.intake_path(intake), quarantine_id, p.username, note)
        except UserError as err:
            self.reject(p, Action.QUARANTINE_HANDLE, err.code, err,
                        {"quarantine_id": quarantine_id})
        self._finish(p, row, "quarantine_release", {"reason": row["reason"]})
        return intake.name

    def quarantine_purge(self, bearer: str, quarantine_id: str, reason: str,
                         note: str = "") -> None:
        """Delete the quarantined copy, with a reason (audited); the entry is resolved."""
        p = self.require(bearer, Action.QUARANTINE_HANDLE,
                         detail={"quarantine_id": quarantine_id})
        try:
            why = PurgeReason(reason)
        except ValueError:
            self.reject(p, Action.QUARANTINE_HANDLE, "purge_reason",
                        UserError("a purge needs one of the listed reasons: "
                                  + ", ".join(r.value for r in PurgeReason)),
                        {"quarantine_id": quarantine_id})
        row = self._open_entry(p, quarantine_id)
        try:
            handling.purge(self.settings.data_dir / row["folder"], quarantine_id, p.username,
                           why, note)
        except UserError as err:
            self.reject(p, Action.QUARANTINE_HANDLE, err.code, err,
                        {"quarantine_id": quarantine_id})
        self._finish(p, row, "quarantine_purge", {"purge_reason": why.value,
                                                  "was": row["reason"]})

    def purge_reasons(self) -> Sequence[tuple[str, str]]:
        """The reasons a purge may give (code, text), for forms."""
        return [(r.value, t) for r, t in handling.PURGE_REASONS.items()]
