"""FHIR R4 ``Patient`` resources from Bulk Data NDJSON (one resource per line).

Only what linking needs is kept: identifiers with their issuing ``system``, the official
(or first) name, birth date, administrative gender and the managing organisation. Errors
name the line number, never its content (the content is patient data).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from chartvault.model import Sex
from extractors.registry.model import Identifier, PatientRecord

_GENDER: dict[str, Sex] = {"female": "F", "male": "M", "unknown": "U", "other": "U"}


class RegistryFormatError(ValueError):
    """A registry file that is not what it claims to be (the message holds no content)."""


def _identifier(raw: Mapping[str, Any]) -> Identifier | None:
    value = raw.get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    codings = (raw.get("type") or {}).get("coding") or []
    kind = next((c.get("code") for c in codings if c.get("code")), None) or "MR"
    return Identifier(system=str(raw.get("system") or ""), value=value.strip(), kind=kind)


def _name(names: list[Mapping[str, Any]]) -> tuple[str, tuple[str, ...]]:
    if not names:
        return "", ()
    chosen = next((n for n in names if n.get("use") == "official"), names[0])
    return str(chosen.get("family") or ""), tuple(str(g) for g in chosen.get("given") or ())


def _birth(raw: object) -> date | None:
    if not isinstance(raw, str) or len(raw) < 10:
        return None  # FHIR allows "1955" or "1955-09": too coarse to confirm anything
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def record(resource: Mapping[str, Any]) -> PatientRecord:
    """One ``Patient`` resource as a registry record."""
    idents = tuple(i for raw in resource.get("identifier") or () if (i := _identifier(raw)))
    family, given = _name(list(resource.get("name") or ()))
    org = (resource.get("managingOrganization") or {}).get("display")
    return PatientRecord(
        id=str(resource.get("id") or ""),
        identifiers=idents,
        family=family,
        given=given,
        birth_date=_birth(resource.get("birthDate")),
        sex=_GENDER.get(str(resource.get("gender") or "").lower()),
        organization=str(org) if org else None,
    )


def read_ndjson(path: Path) -> Iterator[PatientRecord]:
    """Every ``Patient`` in an NDJSON file; other resource types are skipped."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                resource = json.loads(line)
            except json.JSONDecodeError as err:
                raise RegistryFormatError(f"line {n}: not JSON") from err
            if not isinstance(resource, dict):
                raise RegistryFormatError(f"line {n}: not a JSON object")
            if resource.get("resourceType") == "Patient":
                yield record(resource)
