from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chartvault.errors import PolicyError
from retention_policies import (
    RetentionFacts,
    add_years,
    decide,
    explain,
    extend_only,
    is_due,
    load_policy_set,
)
from retention_policies.schema import PolicyFile

P = load_policy_set()


def facts(**kw: object) -> RetentionFacts:
    base: dict[str, object] = dict(
        doc_type="progress_note", facility="F", jurisdiction="US", birth_date=date(1960, 5, 5),
        service_date=date(2015, 3, 2), document_date=date(2015, 3, 3), discharge_date=None,
        last_encounter=date(2015, 3, 2), needs_review=False,
    )
    base.update(kw)
    return RetentionFacts(**base)  # type: ignore[arg-type]


CASES = [
    # (facts, rule, retain_until, action)
    (facts(), "adult-10y.v1", date(2025, 3, 2), "destroy"),
    (facts(last_encounter=date(2020, 1, 1)), "adult-10y.v1", date(2030, 1, 1), "destroy"),
    # minor seen at 5: majority 2028-06-01 + 3 = 2031 vs encounter + 10 = 2025 -> 2031
    (facts(birth_date=date(2010, 6, 1)), "minor-majority.v1", date(2031, 6, 1), "destroy"),
    # minor seen at 17 in 2015: majority 2016 + 3 = 2019 < 2025 -> whichever later = 2025
    (facts(birth_date=date(1998, 1, 1)), "minor-majority.v1", date(2025, 3, 2), "destroy"),
    (facts(needs_review=True), "review-indefinite.v1", None, "review"),
    (facts(record_class="compliance", document_date=date(2026, 1, 31)), "compliance-6y.v1",
     date(2032, 1, 31), "destroy"),
    (facts(doc_type="imaging_report"), "imaging-purge-10y.v1", date(2025, 3, 2), "purge"),
    (facts(jurisdiction="US-CA", discharge_date=date(2015, 3, 9)), "ca-adult-7y.v1",
     date(2022, 3, 9), "destroy"),
    (facts(jurisdiction="US-CA", birth_date=date(2005, 1, 1), discharge_date=date(2015, 3, 9)),
     "ca-minor.v1", date(2024, 1, 1), "destroy"),
    (facts(jurisdiction="US-TX"), "tx-adult-10y.v1", date(2025, 3, 2), "destroy"),
    (facts(jurisdiction="US-TX", birth_date=date(2010, 1, 1)), "tx-minor.v1",
     date(2030, 1, 1), "destroy"),
    (facts(jurisdiction="US-CO", discharge_date=date(2015, 4, 1)), "co-adult-10y.v1",
     date(2025, 4, 1), "destroy"),
    (facts(jurisdiction="US-CO", birth_date=date(2010, 1, 1)), "co-minor.v1",
     date(2038, 1, 1), "destroy"),
    # no date at all: nothing to run a clock from -> review
    (facts(service_date=None, document_date=None, last_encounter=None), "adult-10y.v1", None,
     "review"),
]


@pytest.mark.parametrize(("f", "rule", "until", "action"), CASES)
def test_default_schedule(f: RetentionFacts, rule: str, until: date | None,
                          action: str) -> None:
    d = decide(f, P)
    assert (d.rule_id, d.retain_until, d.action) == (rule, until, action)
    assert d.policy_id == "chartvault-default" and d.policy_version


def test_every_default_rule_is_exercised() -> None:
    assert {r.id for r in P.rules} == {c[1] for c in CASES}


def test_later_encounter_only_extends() -> None:
    first = decide(facts(), P).retain_until
    later = decide(facts(last_encounter=date(2019, 7, 7)), P).retain_until
    assert first and later and later > first
    assert extend_only(first, later) == later
    assert extend_only(later, first) == later  # never shortened
    assert extend_only(first, None) is None  # indefinite wins


def test_due_respects_holds_and_review() -> None:
    d = decide(facts(), P)
    assert is_due(d, date(2025, 3, 3), on_hold=False)
    assert not is_due(d, date(2025, 3, 2), on_hold=False)
    assert not is_due(d, date(2030, 1, 1), on_hold=True)
    assert not is_due(decide(facts(needs_review=True), P), date(2100, 1, 1), on_hold=False)


def test_leap_day() -> None:
    assert add_years(date(2016, 2, 29), 10) == date(2026, 2, 28)


def test_explain_shows_rule_basis_and_arithmetic() -> None:
    text = "\n".join(explain(facts(birth_date=date(2010, 6, 1)), P))
    assert "minor-majority.v1" in text and "AHIMA" in text
    assert "2028-06-01 + 3 y = 2031-06-01" in text and "whichever is later" in text


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("policy_id: x\nversion: '1'\ndescription: d\nrules: []\nsurprise: 1\n")
    with pytest.raises(PolicyError):
        load_policy_set(bad)
    bad.write_text("policy_id: x\nversion: '1'\ndescription: d\nrules:\n - id: a.v1\n"
                   "   retention_class: c\n   description: d\n   basis: b\n   action: destroy\n"
                   "   periods: [{trigger: last_encounter, yeers: 3}]\n")
    with pytest.raises(PolicyError):
        load_policy_set(bad)


def test_published_json_schema_matches_models() -> None:
    published = json.loads((Path(__file__).parents[2] / "retention_policies" /
                            "schema.json").read_text())
    assert published == PolicyFile.model_json_schema()


# --- a plan item as the approver reads it ----------------------------------------------


def _item(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {"record_status": "archived", "retain_until": date(2025, 3, 2)}
    base.update(kw)
    return base


@pytest.mark.parametrize(("item", "expected"), [
    (_item(), "retain until 2025-03-02 < as of 2025-03-12 (10 day(s) past)"),
    (_item(retain_until=date(2025, 3, 12)),
     "retain until 2025-03-12 >= as of 2025-03-12 (not due: 0 day(s) to go)"),
    (_item(retain_until=date(2026, 1, 1)),
     "retain until 2026-01-01 >= as of 2025-03-12 (not due: 295 day(s) to go)"),
    (_item(retain_until=None), "no retain-until: kept until reviewed"),
    (_item(record_status=None), "record no longer in the catalog"),
])
def test_plan_item_arithmetic(item: dict[str, object], expected: str) -> None:
    from chartvault.plan_view import _arithmetic

    assert _arithmetic(item, date(2025, 3, 12)) == expected  # type: ignore[arg-type]


def test_plan_summary_counts_by_action() -> None:
    from chartvault.plan_view import plan_summary

    plan = {"plan_id": "p-1", "status": "approved", "as_of": date(2025, 3, 12),
            "requested_by": "svc:scheduler", "approved_by": "bob",
            "counts": {"total": 3, "by_action": {"destroy": 2, "purge": 1}}}
    assert plan_summary(plan) == (  # type: ignore[arg-type]
        "p-1  approved   as of 2025-03-12  requested by svc:scheduler approved by bob  "
        "3 record(s): 2 destroy, 1 purge")
