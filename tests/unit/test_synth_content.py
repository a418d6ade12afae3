"""The content generator: deterministic, every type, facts consistent with the text."""

from __future__ import annotations

import re
from datetime import date

import pytest

from chartvault.synth.content import make_document
from chartvault.taxonomy import DOC_TYPE_KEYS, loinc_for


def _luhn_npi(npi: str) -> bool:
    digits = [int(c) for c in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return len(npi) == 10 and total % 10 == 0


def test_same_seed_same_document_other_seed_other_document() -> None:
    a, b = make_document(11), make_document(11)
    assert a.plain_text() == b.plain_text() and a.truth == b.truth and a.style == b.style
    assert make_document(12).plain_text() != a.plain_text()


@pytest.mark.parametrize("doc_type", DOC_TYPE_KEYS)
def test_every_type_is_consistent(doc_type: str) -> None:
    for seed in range(40):
        d = make_document(1000 + seed, doc_type)
        t, x, text = d.truth, d.truth_extra, d.plain_text()
        assert t["doc_type"] == doc_type and t["loinc"] == loinc_for(doc_type)
        assert t["source"] == f"synth:{1000 + seed}"
        p = t["patient"]
        assert p["family"].lower() in text.lower() and p["given"].lower() in text.lower()
        birth = date.fromisoformat(p["birth_date"])
        doc_date = date.fromisoformat(t["document_date"])
        if t["service_date"]:
            assert birth <= date.fromisoformat(t["service_date"]) <= doc_date
        if x["admission_date"]:
            assert birth < date.fromisoformat(x["admission_date"]) <= date.fromisoformat(
                x["discharge_date"]) <= doc_date
        if p["mrn"]:
            assert p["mrn"] in text
        assert t["author"] and t["author"].split()[-1] in text
        if x["author_npi"]:
            assert _luhn_npi(x["author_npi"]) and x["author_npi"] in text
        for code in x["icd10_codes"] + x["cpt_codes"]:
            assert code in text, code
        for m in re.finditer(r"(\d+)-year-old", text):
            assert int(m.group(1)) == _age(birth, date.fromisoformat(
                t["service_date"] or x["admission_date"] or t["document_date"])) or \
                "was seen" in text  # only the patient's own age is printed
        other = {"F": (" he ", " his "), "M": (" she ", " her ")}[p["sex"]]
        assert not any(w in f" {text.lower()} " for w in other), "pronoun disagrees with sex"


def _age(birth: date, at: date) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def test_nulls_vary_and_type_mix_is_realistic() -> None:
    docs = [make_document(5000 + i) for i in range(300)]
    types = {d.truth["doc_type"] for d in docs}
    assert len(types) >= 14
    assert any(d.truth["patient"]["mrn"] is None for d in docs)
    assert any(d.truth["service_date"] is None for d in docs)
    assert any(d.truth_extra["author_npi"] for d in docs)
    titled = sum(1 for d in docs if any(b.kind == "title" for b in d.blocks))
    assert 0.2 * len(docs) < titled < 0.9 * len(docs)  # titles are often absent


def test_overrides_are_printed() -> None:
    d = make_document(7, "discharge_summary", overrides={
        "patient": {"family": "Quaxley", "mrn": "Q123456"}, "facility": "Canary General"})
    text = d.plain_text()
    assert d.truth["patient"]["family"] == "Quaxley" and "QUAXLEY" in text.upper()
    assert "Q123456" in text or d.truth["patient"]["mrn"] is None
    assert d.truth["facility"] == "Canary General" and "Canary General" in text


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError):
        make_document(1, "grocery_list")
