"""Certificate of destruction, with the contents AHIMA lists.

Facility, date of destruction, description of the records with inclusive dates, method,
the retention authority (policy and rules), who requested and who approved, and the
statement that the records were destroyed in the normal course of business. Kept as a
JSON record (under the compliance retention rule) and printable as PDF. Ids, types and
counts only: a certificate names no patient.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

STATEMENT = (
    "The records described above were destroyed in the normal course of business, in "
    "accordance with the retention schedule cited, after verification that no legal "
    "hold, litigation, investigation or audit applied to them."
)
METHOD = (
    "Electronic: every stored version of each object (original, text, OCR data, manifest) "
    "deleted from the object store; catalog rows and full-text entries removed and the "
    "database vacuumed with secure delete; local copies removed. A tombstone (id, type, "
    "dates, policy, checksums) is kept."
)


def certificate(plan: Mapping[str, Any], facility_names: list[str], by_type: Mapping[str, int],
                doc_ids: list[str], first: str | None, last: str | None,
                policies: Mapping[str, int]) -> dict[str, Any]:
    """The certificate's contents as a JSON-ready dict."""
    return {
        "title": "Certificate of Destruction",
        "certificate_id": f"cod-{plan['plan_id']}",
        "facility": ", ".join(sorted(set(facility_names))) or "(none)",
        "date_of_destruction": datetime.now(UTC).date().isoformat(),
        "records": {"count": len(doc_ids), "by_type": dict(by_type),
                    "inclusive_dates": {"from": first, "to": last}, "doc_ids": doc_ids},
        "method": METHOD,
        "authority": {"policies": dict(policies), "plan_id": plan["plan_id"],
                      "as_of": str(plan["as_of"])},
        "requested_by": plan["requested_by"],
        "approved_by": plan["approved_by"],
        "approved_at": str(plan["approved_at"]),
        "statement": STATEMENT,
    }


def to_pdf(cert: Mapping[str, Any]) -> bytes:
    """Printable PDF of a certificate."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    buf = io.BytesIO()
    styles = getSampleStyleSheet()
    rec = cert["records"]
    story: list[Any] = [
        Paragraph(cert["title"], styles["Title"]),
        Paragraph(f"Certificate {cert['certificate_id']}", styles["Normal"]),
        Spacer(1, 12),
        Table([
            ["Facility", cert["facility"]],
            ["Date of destruction", cert["date_of_destruction"]],
            ["Records destroyed", str(rec["count"])],
            ["Inclusive dates", f"{rec['inclusive_dates']['from']} to "
                                f"{rec['inclusive_dates']['to']}"],
            ["Authority (policy: records)", json.dumps(cert["authority"]["policies"])],
            ["Disposition plan", cert["authority"]["plan_id"]],
            ["Requested by", cert["requested_by"]],
            ["Approved by", f"{cert['approved_by']} ({cert['approved_at']})"],
        ], hAlign="LEFT"),
        Spacer(1, 12),
        Paragraph("Description of records", styles["Heading2"]),
        Table([["Document type", "Count"]] + [[k, str(v)] for k, v in
                                               sorted(rec["by_type"].items())], hAlign="LEFT"),
        Paragraph("Method of destruction", styles["Heading2"]),
        Paragraph(cert["method"], styles["Normal"]),
        Paragraph("Statement", styles["Heading2"]),
        Paragraph(cert["statement"], styles["Normal"]),
        Spacer(1, 24),
        Paragraph("Document ids: " + ", ".join(rec["doc_ids"]), styles["Code"]),
    ]
    SimpleDocTemplate(buf, pagesize=letter, title=cert["title"]).build(story)
    return buf.getvalue()


def compliance_until() -> datetime | None:
    """Retain-until of a certificate under the compliance rule (HIPAA six years)."""
    from retention_policies import RetentionFacts, decide, load_policy_set

    today = datetime.now(UTC).date()
    decision = decide(RetentionFacts(
        doc_type="other", facility="", jurisdiction="US", birth_date=None, service_date=today,
        document_date=today, discharge_date=None, last_encounter=today, needs_review=False,
        record_class="compliance"), load_policy_set())
    if decision.retain_until is None:
        return None
    return datetime.combine(decision.retain_until, time(0), tzinfo=UTC)
