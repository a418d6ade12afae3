"""The role matrix: the one place that says which role may do what.

Everything that grants or refuses an action reads ``MATRIX``. Admin manages accounts and
settings but holds no record-changing action: it cannot release a hold or approve a
disposition, and the service refuses role changes to one's own account, so an admin
cannot grant those to itself either.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """A job; one account may hold several."""

    SCANNER = "scanner"
    ARCHIVIST = "archivist"
    RECORDS_MANAGER = "records_manager"
    LEGAL = "legal"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # a system, not a person: the EHR that pulls documents through the FHIR read API
    # with an API token scoped to this role (nothing else, so a leaked token reads only)
    EHR = "ehr"


class Action(StrEnum):
    """What a person can ask of chartvault; the value is the audit trail's action name."""

    INGEST = "ingest"
    INTAKE_STATUS = "intake_status"
    QUARANTINE_LIST_OWN = "quarantine_list_own"
    QUARANTINE_LIST = "quarantine_list"
    QUARANTINE_HANDLE = "quarantine_handle"
    REVIEW_QUEUE = "review_queue"
    CORRECT = "correct_metadata"
    SWEEP = "retention_sweep"
    EXPLAIN = "retention_explain"
    FIXITY = "fixity"
    PLAN_VIEW = "plan_view"
    PLAN_APPROVE = "retention_approve"
    PLAN_EXECUTE = "retention_execute"
    CERTIFICATE = "certificate_print"
    HOLD_PLACE = "hold_place"
    HOLD_RELEASE = "hold_release"
    HOLD_LIST = "hold_list"
    SEARCH = "search"
    VIEW = "view_manifest"
    RETRIEVE = "retrieve"
    RENDITION = "rendition"
    EXPORT = "export"
    AUDIT_READ = "audit_read"
    AUDIT_VERIFY = "audit_verify"
    ACCOUNT_ADMIN = "account_admin"
    POLICY_ADMIN = "policy_admin"
    SCHEDULE_ADMIN = "schedule_admin"
    RELEASE_REQUEST = "release_request"
    RELEASE_FULFIL = "release_fulfil"
    DISCLOSURE_ACCOUNTING = "disclosure_accounting"
    ACCESS_REPORT = "access_report"
    FHIR_READ = "fhir_read"


A = Action
MATRIX: dict[Role, frozenset[Action]] = {
    # scanning staff: their batches and what their intakes set aside
    Role.SCANNER: frozenset({A.INGEST, A.INTAKE_STATUS, A.QUARANTINE_LIST_OWN}),
    # every intake's quarantine, its own included
    Role.ARCHIVIST: frozenset({
        A.INGEST, A.INTAKE_STATUS, A.QUARANTINE_LIST_OWN, A.QUARANTINE_LIST,
        A.QUARANTINE_HANDLE, A.REVIEW_QUEUE, A.CORRECT, A.SWEEP, A.EXPLAIN, A.FIXITY,
        A.PLAN_VIEW, A.RENDITION, A.RELEASE_REQUEST}),
    # release of information: archivists log and review requests, a records manager
    # decides and discloses (and answers for the accounting of disclosures)
    Role.RECORDS_MANAGER: frozenset({
        A.PLAN_VIEW, A.PLAN_APPROVE, A.PLAN_EXECUTE, A.CERTIFICATE, A.EXPLAIN,
        A.RELEASE_REQUEST, A.RELEASE_FULFIL, A.DISCLOSURE_ACCOUNTING, A.ACCESS_REPORT}),
    Role.LEGAL: frozenset({A.HOLD_PLACE, A.HOLD_RELEASE, A.HOLD_LIST}),
    # reads everything, changes nothing (a rendition is a derived copy, not a change)
    Role.AUDITOR: frozenset({
        A.SEARCH, A.VIEW, A.RETRIEVE, A.RENDITION, A.EXPORT, A.AUDIT_READ, A.AUDIT_VERIFY,
        A.HOLD_LIST, A.PLAN_VIEW, A.CERTIFICATE, A.DISCLOSURE_ACCOUNTING, A.ACCESS_REPORT}),
    Role.ADMIN: frozenset({A.ACCOUNT_ADMIN, A.POLICY_ADMIN, A.SCHEDULE_ADMIN}),
    Role.EHR: frozenset({A.FHIR_READ}),
}

# Actions that destroy, approve, hold or release (a hold, or records to someone outside),
# and account admin, which can grant those roles: the credential must have been
# obtained with a second factor (TOTP).
SECOND_FACTOR_ACTIONS: frozenset[Action] = frozenset({
    A.PLAN_APPROVE, A.PLAN_EXECUTE, A.HOLD_PLACE, A.HOLD_RELEASE, A.ACCOUNT_ADMIN,
    A.RELEASE_FULFIL})


def allows(roles: Iterable[Role], action: Action) -> bool:
    """Whether any of ``roles`` allows ``action``."""
    return any(action in MATRIX[r] for r in roles)


def needs_second_factor(roles: Iterable[Role]) -> bool:
    """Accounts holding any of these roles must sign in with TOTP."""
    return any(MATRIX[r] & SECOND_FACTOR_ACTIONS for r in roles)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Role names to roles; an unknown name is an error (ValueError names the value)."""
    return frozenset(Role(n.strip()) for n in names if n.strip())


def matrix_markdown() -> str:
    """The matrix as a markdown table (README): one row per action, one column per role."""
    roles = list(Role)
    head = "| action | " + " | ".join(r.value for r in roles) + " | TOTP |"
    rule = "|---|" + "---|" * len(roles) + "---|"
    rows = [head, rule]
    for action in Action:
        cells = ["yes" if action in MATRIX[r] else "" for r in roles]
        mfa = "yes" if action in SECOND_FACTOR_ACTIONS else ""
        rows.append(f"| `{action.value}` | " + " | ".join(cells) + f" | {mfa} |")
    return "\n".join(rows) + "\n"
