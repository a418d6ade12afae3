"""Retention schedules (versioned YAML) and the pure decision engine."""

from retention_policies.engine import (
    PolicySet,
    RetentionFacts,
    add_years,
    choose,
    decide,
    explain,
    extend_only,
    is_due,
    load_policy_set,
)

__all__ = [
    "PolicySet", "RetentionFacts", "add_years", "choose", "decide", "explain", "extend_only",
    "is_due", "load_policy_set",
]
