"""The accounting of disclosures (HIPAA 164.528) and a patient's access report, CSV and PDF.

The accounting gives, per disclosure of the last six years: the date, the recipient, a
brief description of what was disclosed and the purpose. The access report lists every
view, download, rendition, export, release and FHIR read of the patient's documents
from the audit trail (who, when, what, outcome).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# audit actions that read a patient's documents (the audit trail's action names)
ACCESS_ACTIONS = ("view_manifest", "view_page", "retrieve", "rendition", "export",
                  "release_fulfil", "fhir_read")

ACCOUNTING_COLUMNS = ("date", "recipient", "recipient_kind", "purpose", "description",
                      "documents", "request_id", "disclosure_id", "disclosed_by")
ACCESS_COLUMNS = ("at", "actor", "action", "outcome", "documents", "detail")


@dataclass(frozen=True)
class Report:
    """Rows of a report and the title of its PDF."""

    title: str
    subtitle: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def csv(self) -> str:
        """The report as CSV with a header row."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        w.writerows(self.rows)
        return buf.getvalue()

    def pdf(self) -> bytes:
        """The report as a landscape PDF table."""
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import landscape, letter
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

        styles = getSampleStyleSheet()
        cell = styles["BodyText"].clone("cell", fontSize=7, leading=8.5)
        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=landscape(letter), title=self.title,
                                leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36)
        data = [[Paragraph(f"<b>{c}</b>", cell) for c in self.columns]]
        data += [[Paragraph(_escape(v), cell) for v in row] for row in self.rows]
        table = Table(data, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
        story = [Paragraph(self.title, styles["Title"]), Paragraph(self.subtitle, styles["Normal"]),
                 Spacer(1, 12), table if self.rows else Paragraph("None.", styles["Normal"])]
        doc.build(story)
        return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(at: datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds")


def accounting(patient: str, since: datetime, until: datetime,
               disclosures: Sequence[Mapping[Any, Any]]) -> Report:
    """The accounting of a patient's disclosures between ``since`` and ``until``."""
    rows = tuple((_when(d["disclosed_at"]), d["recipient"], d["recipient_kind"], d["purpose"],
                  d["description"], " ".join(d["doc_ids"]), d["request_id"],
                  d["disclosure_id"], d["disclosed_by"]) for d in disclosures)
    return Report("Accounting of disclosures",
                  f"{patient}; {since.date().isoformat()} to {until.date().isoformat()}; "
                  f"{len(rows)} disclosure(s)", ACCOUNTING_COLUMNS, rows)


def access(patient: str, events: Sequence[Mapping[Any, Any]],
           doc_ids: Sequence[str]) -> Report:
    """Every audited read of the patient's documents (only their ids are listed)."""
    mine = set(doc_ids)
    rows = []
    for e in events:
        detail = {k: v for k, v in (e["detail"] or {}).items() if k not in ("token",)}
        rows.append((_when(e["at"]), e["actor"], e["action"], e["outcome"],
                     " ".join(sorted(mine.intersection(e["doc_ids"] or []))),
                     ", ".join(f"{k}={v}" for k, v in sorted(detail.items()))))
    return Report("Access report", f"{patient}; {len(rows)} access event(s)", ACCESS_COLUMNS,
                  tuple(rows))
