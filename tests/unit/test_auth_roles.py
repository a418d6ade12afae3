"""The matrix's standing rules, checked against lists written here."""

from __future__ import annotations

import pytest

from chartvault.auth.roles import MATRIX, Action, Role, needs_second_factor, parse_roles

# actions that change records, holds, plans or accounts (written out, not derived)
CHANGING = {"ingest", "quarantine_handle", "correct_metadata", "retention_sweep",
            "retention_approve", "retention_execute", "hold_place", "hold_release",
            "account_admin", "policy_admin", "schedule_admin", "release_request",
            "release_fulfil"}


def test_auditor_changes_nothing() -> None:
    assert not {a.value for a in MATRIX[Role.AUDITOR]} & CHANGING


def test_admin_neither_holds_nor_disposes() -> None:
    admin = {a.value for a in MATRIX[Role.ADMIN]}
    assert not admin & {"hold_place", "hold_release", "retention_approve",
                        "retention_execute", "retention_sweep"}


@pytest.mark.parametrize(("roles", "needed"), [
    ({Role.SCANNER}, False), ({Role.ARCHIVIST}, False), ({Role.AUDITOR}, False),
    ({Role.RECORDS_MANAGER}, True), ({Role.LEGAL}, True), ({Role.ADMIN}, True),
    ({Role.SCANNER, Role.LEGAL}, True), ({Role.EHR}, False),
])
def test_second_factor_for_roles_that_approve_hold_release_or_destroy(
        roles: set[Role], needed: bool) -> None:
    assert needs_second_factor(roles) is needed


def test_parse_roles_refuses_unknown_names() -> None:
    assert parse_roles(["legal", " auditor"]) == {Role.LEGAL, Role.AUDITOR}
    with pytest.raises(ValueError):
        parse_roles(["superuser"])


def test_action_names_fit_the_audit_column() -> None:
    assert all(len(a.value) <= 40 for a in Action)


def test_readme_shows_the_matrix_of_the_code() -> None:
    from pathlib import Path

    from chartvault.auth.roles import matrix_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert matrix_markdown() in readme


def test_the_ehr_role_only_reads_fhir() -> None:
    assert {a.value for a in MATRIX[Role.EHR]} == {"fhir_read"}
