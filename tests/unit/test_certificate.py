from __future__ import annotations

import io

import pdfplumber

from chartvault.certificate import STATEMENT, certificate, to_pdf


def test_certificate_has_ahima_contents_and_prints() -> None:
    plan = {"plan_id": "p-1", "as_of": "2031-01-01", "requested_by": "svc:scheduler",
            "approved_by": "r.manager", "approved_at": "2031-01-02T10:00:00+00:00"}
    cert = certificate(plan, ["General Hospital"], {"progress_note": 2}, ["a" * 24, "b" * 24],
                       "2010-01-01", "2012-05-05", {"adult-10y.v1": 2})
    for key in ("facility", "date_of_destruction", "records", "method", "authority",
                "requested_by", "approved_by", "statement"):
        assert cert[key]
    assert cert["records"]["inclusive_dates"] == {"from": "2010-01-01", "to": "2012-05-05"}
    pdf = to_pdf(cert)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = " ".join(p.extract_text() or "" for p in doc.pages)
    assert "Certificate of Destruction" in text
    assert "General Hospital" in text and "r.manager" in text
    assert STATEMENT.split()[0] in text and "normal course of business" in " ".join(text.split())
