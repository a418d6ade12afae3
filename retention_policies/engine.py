"""Retention decisions: pure functions of a record's facts and a policy set.

No I/O and no clock here: callers pass dates (a sweep passes ``today``), so every rule
is table-testable. Rule choice: the most specific matching rule wins (facility >
jurisdiction > document type > age band), then ``priority``, then file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from chartvault.errors import PolicyError
from chartvault.model import Retention
from retention_policies.schema import Period, PolicyFile, Rule

DEFAULT_POLICY = Path(__file__).with_name("policies") / "default.yaml"


@dataclass(frozen=True)
class RetentionFacts:
    """What a decision needs to know about one record."""

    doc_type: str
    facility: str
    jurisdiction: str
    birth_date: date | None
    service_date: date | None
    document_date: date | None
    discharge_date: date | None
    last_encounter: date | None
    needs_review: bool
    record_class: str = "clinical"


@dataclass(frozen=True)
class PolicySet:
    """A loaded, validated schedule."""

    policy_id: str
    version: str
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        """Rule by id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise PolicyError(f"no rule {rule_id} in {self.policy_id}@{self.version}")


def load_policy_set(path: Path | None = None) -> PolicySet:
    """Parse and validate a policy file (default: the shipped schedule)."""
    path = path or DEFAULT_POLICY
    try:
        raw = yaml.safe_load(path.read_text())
        pf = PolicyFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as err:
        raise PolicyError(f"cannot read policy file: {type(err).__name__}") from None
    except ValidationError as err:
        where = "; ".join(".".join(str(p) for p in e["loc"]) + f": {e['type']}"
                          for e in err.errors())
        raise PolicyError(f"invalid policy file: {where}") from None
    ids = [r.id for r in pf.rules]
    if len(ids) != len(set(ids)):
        raise PolicyError("duplicate rule ids")
    return PolicySet(pf.policy_id, pf.version, pf.rules)


def add_years(d: date, years: int) -> date:
    """Same day ``years`` later; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _minor(facts: RetentionFacts, majority: int) -> bool | None:
    when = facts.service_date or facts.document_date
    if facts.birth_date is None or when is None:
        return None
    return age_on(facts.birth_date, when) < majority


def _matches(rule: Rule, f: RetentionFacts) -> bool:
    s = rule.select
    if s.record_class != f.record_class:
        return False
    if s.needs_review is not None and s.needs_review != f.needs_review:
        return False
    if s.doc_types is not None and f.doc_type not in s.doc_types:
        return False
    if s.facilities is not None and f.facility not in s.facilities:
        return False
    if s.jurisdictions is not None and not any(
        f.jurisdiction == j or f.jurisdiction.startswith(j + "-") for j in s.jurisdictions
    ):
        return False
    if s.minor_at_service is not None:
        minor = _minor(f, rule.age_of_majority)
        if minor is None or minor != s.minor_at_service:
            return False
    return True


def _specificity(rule: Rule) -> tuple[int, int, int, int, int, int]:
    s = rule.select
    return (int(s.needs_review is not None), int(s.facilities is not None),
            int(s.jurisdictions is not None), int(s.doc_types is not None),
            int(s.minor_at_service is not None), rule.priority)


def choose(facts: RetentionFacts, policies: PolicySet) -> Rule:
    """The applicable rule."""
    candidates = [r for r in policies.rules if _matches(r, facts)]
    if not candidates:
        raise PolicyError(f"no rule of {policies.policy_id} matches a {facts.record_class} record")
    best = max(_specificity(r) for r in candidates)
    return next(r for r in candidates if _specificity(r) == best)


def _trigger_date(p: Period, f: RetentionFacts) -> date | None:
    if p.trigger == "majority":
        return add_years(f.birth_date, p.age_of_majority) if f.birth_date else None
    if p.trigger == "last_encounter":
        return f.last_encounter or f.discharge_date or f.service_date or f.document_date
    if p.trigger == "discharge":
        return f.discharge_date or f.last_encounter or f.service_date
    if p.trigger == "service_date":
        return f.service_date or f.document_date
    return f.document_date or f.service_date


def _until(rule: Rule, f: RetentionFacts) -> tuple[date | None, list[str]]:
    if not rule.periods:
        return None, ["no period: kept until reviewed"]
    lines, dates = [], []
    for p in rule.periods:
        start = _trigger_date(p, f)
        if start is None:
            lines.append(f"{p.trigger}: date not established -> this clock cannot run")
            return None, [*lines, "a needed date is missing: kept until reviewed"]
        end = add_years(start, p.years)
        label = f"{p.trigger} ({p.age_of_majority}th birthday)" if p.trigger == "majority" \
            else p.trigger
        lines.append(f"{label} {start.isoformat()} + {p.years} y = {end.isoformat()}")
        dates.append(end)
    until = max(dates)
    if len(dates) > 1:
        lines.append(f"whichever is later: {until.isoformat()}")
    return until, lines


def decide(facts: RetentionFacts, policies: PolicySet) -> Retention:
    """Retention of one record."""
    rule = choose(facts, policies)
    until, _ = _until(rule, facts)
    action = rule.action if until is not None else "review"
    return Retention(policy_id=policies.policy_id, policy_version=policies.version,
                     rule_id=rule.id, retention_class=rule.retention_class,
                     retain_until=until, action=action)


def explain(facts: RetentionFacts, policies: PolicySet) -> list[str]:
    """Which rule applied and the arithmetic, for people."""
    rule = choose(facts, policies)
    matching = [r.id for r in policies.rules if _matches(r, facts)]
    until, lines = _until(rule, facts)
    out = [
        f"policy {policies.policy_id}@{policies.version}; rules matching: {', '.join(matching)}",
        f"applied {rule.id} (most specific): {rule.description}",
        f"basis: {rule.basis}" + (" [EXAMPLE - to be confirmed by counsel]" if rule.example
                                  else ""),
        *lines,
        f"retain until {until.isoformat() if until else 'reviewed'}, then "
        f"{rule.action if until else 'review'}",
    ]
    return out


def extend_only(current: date | None, new: date | None) -> date | None:
    """Retention only grows: the later date; None (indefinite) wins."""
    if current is None or new is None:
        return None
    return max(current, new)


def is_due(retention: Retention, today: date, on_hold: bool) -> bool:
    """Past retain-until, actionable and not on hold."""
    return (not on_hold and retention.retain_until is not None
            and retention.retain_until < today and retention.action != "review")
