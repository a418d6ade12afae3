"""HL7 v2 ADT A04 (register) and A08 (update) messages: the PID segment as a record.

Messages are separated by blank lines or start at each ``MSH``; segments by CR or LF. A
later A08 for the same identifiers replaces the earlier record, as an ADT feed would.
PID-3 identifiers (``value^^^authority^type``, repeats ``~``) keep their assigning
authority as the issuer; PID-5 name, PID-7 birth date, PID-8 sex, MSH-4 the facility.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from chartvault.model import Sex
from extractors.registry.model import Identifier, PatientRecord

_EVENTS = {"A04", "A08", "A28", "A31"}  # register / update a patient (A28/A31: MPI forms)
_SEX: dict[str, Sex] = {"F": "F", "M": "M", "U": "U", "O": "U", "A": "U", "N": "U"}


def _field(fields: list[str], i: int) -> str:
    return fields[i] if len(fields) > i else ""


def _birth(raw: str) -> date | None:
    digits = raw[:8]
    if len(digits) < 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _messages(text: str) -> Iterator[list[str]]:
    segments = [s for s in re.split(r"[\r\n]+", text) if s.strip()]
    current: list[str] = []
    for seg in segments:
        if seg.startswith("MSH") and current:
            yield current
            current = []
        current.append(seg)
    if current:
        yield current


def parse_message(segments: list[str]) -> PatientRecord | None:
    """The patient of one ADT registration/update message, or None for other events."""
    msh = segments[0]
    if not msh.startswith("MSH") or len(msh) < 8:
        return None
    sep = msh[3]
    comp, rep = msh[4], msh[5]
    header = msh.split(sep)
    # MSH-1 is the separator itself, so MSH-n sits at index n-1 once split
    event = _field(header, 8).split(comp)
    if len(event) < 2 or event[0] != "ADT" or event[1] not in _EVENTS:
        return None
    facility = _field(header, 3).split(comp)[0] or None
    pid = next((s.split(sep) for s in segments if s.startswith("PID" + sep)), None)
    if pid is None:
        return None
    idents = []
    for raw in _field(pid, 3).split(rep):
        parts = raw.split(comp)
        if parts and parts[0].strip():
            authority = (parts[3] if len(parts) > 3 else "").split("&")[0]
            kind = (parts[4] if len(parts) > 4 else "") or "MR"
            idents.append(Identifier(system=authority, value=parts[0].strip(), kind=kind))
    name = _field(pid, 5).split(rep)[0].split(comp)
    family = name[0].split("&")[0] if name else ""
    given = tuple(n for n in name[1:3] if n)
    key = "|".join(f"{i.system}:{i.value}" for i in idents).encode()
    return PatientRecord(
        id=hashlib.sha256(key).hexdigest()[:24],  # stable id from the identifiers
        identifiers=tuple(idents),
        family=family,
        given=given,
        birth_date=_birth(_field(pid, 7)),
        sex=_SEX.get(_field(pid, 8)[:1].upper()),
        organization=facility,
    )


def read_adt(path: Path) -> list[PatientRecord]:
    """The registry an ADT feed builds: one record per patient, latest message winning."""
    latest: dict[tuple[tuple[str, str], ...], PatientRecord] = {}
    for segments in _messages(path.read_text(encoding="utf-8", errors="replace")):
        rec = parse_message(segments)
        if rec is not None and rec.identifiers:
            latest[tuple((i.system, i.value) for i in rec.identifiers)] = rec
    return list(latest.values())
