"""A registered patient as the linker needs it: identifiers scoped by issuer, name, birth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chartvault.model import Sex


@dataclass(frozen=True, slots=True)
class Identifier:
    """One patient identifier; ``system`` is its issuer (MRNs are issued per facility)."""

    system: str
    value: str
    kind: str = "MR"  # HL7 v2-0203 identifier type code


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """One registry entry. ``given`` holds every given name, first one first."""

    id: str
    identifiers: tuple[Identifier, ...]
    family: str
    given: tuple[str, ...]
    birth_date: date | None
    sex: Sex | None
    organization: str | None

    @property
    def mrn(self) -> str | None:
        """The medical record number (first ``MR`` identifier), as the registry writes it."""
        for ident in self.identifiers:
            if ident.kind == "MR":
                return ident.value
        return self.identifiers[0].value if self.identifiers else None
