"""Policy file schema: versioned YAML validated by pydantic; unknown keys rejected.

``python -m retention_policies.schema`` rewrites ``schema.json`` (JSON Schema for
editors); a test checks the published file matches these models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TriggerName = Literal["last_encounter", "discharge", "document_date", "service_date", "majority"]
Action = Literal["destroy", "purge", "review"]


class Strict(BaseModel):
    """Base: frozen, unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Selector(Strict):
    """Which records a rule applies to; every given condition must hold."""

    record_class: Literal["clinical", "compliance"] = "clinical"
    doc_types: tuple[str, ...] | None = None
    jurisdictions: tuple[str, ...] | None = Field(
        None, description="Prefixes: 'US-CA' matches 'US-CA' and 'US-CA-SF'."
    )
    facilities: tuple[str, ...] | None = None
    minor_at_service: bool | None = Field(None, description="Age at service < age_of_majority.")
    needs_review: bool | None = None


class Period(Strict):
    """One clock: a trigger date plus a number of years."""

    trigger: TriggerName
    years: int = Field(ge=0, le=150)
    age_of_majority: int = Field(18, ge=0, le=30, description="For trigger 'majority'.")


class Rule(Strict):
    """Select records, then keep them until the LATEST of the periods (whichever later)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*\.v[0-9]+$")
    retention_class: str
    description: str
    basis: str = Field(description="Legal or professional source of the rule.")
    example: bool = Field(False, description="An example a facility's counsel must confirm.")
    priority: int = 0
    select: Selector = Selector()
    periods: tuple[Period, ...] = Field(
        default=(), description="Empty: kept indefinitely (until reviewed)."
    )
    action: Action
    age_of_majority: int = 18


class PolicyFile(Strict):
    """A whole schedule; a published version is never edited in place."""

    policy_id: str
    version: str
    description: str
    rules: tuple[Rule, ...]


def write_json_schema(path: Path | None = None) -> Path:
    """Regenerate the published JSON Schema."""
    path = path or Path(__file__).with_name("schema.json")
    path.write_text(json.dumps(PolicyFile.model_json_schema(), indent=2) + "\n")
    return path


if __name__ == "__main__":
    write_json_schema()
