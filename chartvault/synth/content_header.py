"""Letterheads, demographic headers, titles and signature blocks.

Chart printouts identify the patient in many ways: label rows ("Patient Name: DOE,
JANE"), a name/DOB/MRN table, compact one-liners, letter "RE:" lines. The service-date
and author labels follow the type (date of surgery, exam date, admit date), as they do
on real forms, so they are evidence of the type as much as the title is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, cast

from chartvault.synth.content_facts import Ctx
from chartvault.synth.model import Block

SERVICE_LABELS: dict[str, list[str]] = {
    "operative_note": ["Date of Surgery", "Date of Procedure", "Surgery Date", "Date of Operation"],
    "procedure_note": ["Date of Procedure", "Procedure Date", "Date of Service"],
    "imaging_report": ["Exam Date", "Date of Exam", "Study Date", "Date of Service"],
    "pathology_report": ["Collection Date", "Date Collected", "Date of Procedure", "Date Received"],
    "lab_report": ["Collection Date", "Collected", "Date Collected"],
    "emergency_department_note": ["Date of Service", "Visit Date", "Arrival Date", "ED Visit"],
    "history_and_physical": ["Date of Admission", "Admission Date", "Date of Service"],
}
DEFAULT_SERVICE = ["Date of Service", "Visit Date", "Encounter Date", "DOS", "Date of Visit"]
AUTHOR_LABELS: dict[str, list[str]] = {
    "operative_note": ["Surgeon", "Attending Surgeon", "Attending"],
    "imaging_report": ["Ordering Physician", "Referring Physician", "Radiologist"],
    "pathology_report": ["Pathologist", "Ordering Physician", "Submitting Physician"],
}
DEFAULT_AUTHOR = [
    "Physician",
    "Attending",
    "Provider",
    "Author",
    "Attending Physician",
    "Dictating Physician",
]


def _align(c: Ctx) -> Literal["left", "center"]:
    return cast(Literal["left", "center"], c.pick(["center", "left"]))


def sex_word(c: Ctx) -> str:
    """'Female' / 'F' etc."""
    return c.pick([{"F": "Female", "M": "Male"}[c.sex], c.sex])


def letterhead(c: Ctx, title: str | None) -> list[Block]:
    """Facility name, address, phone; the title sometimes shares the first line."""
    f = c.fake
    first = c.facility
    if title and c.sometimes(0.35):
        first = f"{c.facility}{c.pick(['    ', ': ', ' - '])}{title}"
        title = None
    lines = [Block("letterhead", first, bold=True, align=_align(c))]
    if c.sometimes(0.2):
        lines.append(
            Block(
                "letterhead",
                c.pick(
                    [
                        "Department of Surgery",
                        "Department of Radiology",
                        "Internal Medicine",
                        "Department of Pathology",
                        "Family Medicine",
                        "Hospitalist Service",
                    ]
                ),
            )
        )
    lines.append(
        Block(
            "letterhead",
            f"{f.street_address()}, {f.city()}, {f.state_abbr()} {f.zipcode()}",
            align="center",
        )
    )
    if c.sometimes(0.7):
        lines.append(
            Block(
                "letterhead",
                f"Tel {f.phone_number()}"
                + (f"    Fax {f.phone_number()}" if c.sometimes(0.5) else ""),
                align="center",
            )
        )
    if title:
        lines.append(Block("title", title, bold=True, align=_align(c)))
    return lines


def header(c: Ctx, show: dict[str, bool]) -> list[Block]:
    """Demographic header in one of several layouts."""
    r = c.rng
    style = r.randint(0, 7)
    name_fl = f"{c.given} {c.family}"
    name_lf = f"{c.family.upper()}, {c.given.upper()}"
    dob = c.d(c.birth)
    rows: list[str] = []
    mrn_label = c.pick(["MRN", "Medical Record #", "MR#", "Med Rec No", "Patient ID", "Chart #"])
    svc_label = c.pick(SERVICE_LABELS.get(c.doc_type, DEFAULT_SERVICE))
    author_label = c.pick(AUTHOR_LABELS.get(c.doc_type, DEFAULT_AUTHOR))
    if style == 0:
        rows.append(f"Patient Name: {name_lf}    Date of Birth: {dob}")
        rows.append(
            f"Sex: {sex_word(c)}    {mrn_label}: {c.mrn}" if show["mrn"] else f"Sex: {sex_word(c)}"
        )
    elif style == 1:
        rows.append(f"PATIENT: {name_fl.upper() if r.random() < 0.5 else name_fl}")
        if show["mrn"]:
            rows.append(f"{mrn_label}: {c.mrn}")
        rows.append(f"DOB: {dob}    Age: {c.age}    Sex: {sex_word(c)}")
    elif style == 2:
        cols = ["Name", "DOB", "Sex"] + (["MRN"] if show["mrn"] else [])
        vals = [name_lf, dob, c.sex] + ([c.mrn] if show["mrn"] else [])
        rows.append("    ".join(cols))
        rows.append("    ".join(vals))
    elif style == 3:
        acct = r.randint(10**7, 10**8)
        mid = f" {r.choice('ABCDEJKLMRS')}" if r.random() < 0.4 else ""
        rows.append(
            f"Patient: {c.family}, {c.given}{mid}    "
            + (f"{mrn_label}: {c.mrn}    " if show["mrn"] else "")
            + f"Acct #: {acct}"
        )
        rows.append(f"DOB: {dob} ({c.age} y)    Gender: {sex_word(c)}")
    elif style in (5, 6):
        first = [
            (
                "PATIENT NAME" if r.random() < 0.5 else "PATIENT",
                name_lf if r.random() < 0.5 else name_fl,
            ),
            ("DATE OF BIRTH" if r.random() < 0.5 else "DOB", dob),
            ("SEX", sex_word(c)),
        ]
        if show["mrn"]:
            first.append((r.choice(["MRN", "MEDICAL RECORD #"]), c.mrn))
        r.shuffle(first)
        rows.append("  ".join(k for k, _ in first))
        rows.append("  ".join(v for _, v in first))
        second = []
        if c.admission and c.doc_type in ("discharge_summary", "transfer_summary"):
            second.append((c.pick(["ADMIT DATE", "ADMISSION DATE"]), c.d(c.admission)))
            if c.discharge:
                second.append((c.pick(["DISCHARGE DATE", "DATE OF DISCHARGE"]), c.d(c.discharge)))
        elif show["service"]:
            second.append((svc_label.upper(), c.d(c.service)))
        if show["author"]:
            second.append((author_label.upper(), f"{c.author_given} {c.author_family}, {c.cred}"))
        second.append(
            (r.choice(["DATE SIGNED", "REPORT DATE", "DOCUMENT DATE"]), c.d(c.document_date))
        )
        rows.append("  ".join(k for k, _ in second))
        rows.append("  ".join(v for _, v in second))
        return [Block("table_row", row.replace("  ", "    ")) for row in rows]
    elif style == 7:
        rows.append(
            f"{name_lf}    DOB: {dob}    {c.sex}"
            + (f"    {mrn_label}: {c.mrn}" if show["mrn"] else "")
        )
    else:
        rows.append(f"Name: {c.family}, {c.given}")
        rows.append(f"Birth Date: {dob}" + (f"    {mrn_label}: {c.mrn}" if show["mrn"] else ""))
        rows.append(f"Sex: {sex_word(c)}")
    if c.admission and c.doc_type in ("discharge_summary", "transfer_summary"):
        rows.append(
            f"Admission Date: {c.d(c.admission)}    Discharge Date: {c.d(c.discharge)}"
            if c.discharge
            else f"Admission Date: {c.d(c.admission)}"
        )
    elif show["service"]:
        rows.append(f"{svc_label}: {c.d(c.service)}")
    if show["author"]:
        rows.append(f"{author_label}: {c.author_given} {c.author_family}, {c.cred}")
    if c.sometimes(0.3):
        rows.append(f"{c.pick(['Date Signed', 'Report Date', 'Dictated'])}: {c.d(c.document_date)}")
    return [Block("field_row", row) for row in rows]


def letter_header(c: Ctx, show: dict[str, bool]) -> list[Block]:
    """Date line, inside address and RE: line of a letter."""
    out = [Block("spacer"), Block("paragraph", c.d(c.document_date)), Block("spacer")]
    if c.sometimes(0.5):
        out += [
            Block("paragraph", f"Dr. {c.referrer}"),
            Block("paragraph", f"{c.fake.street_address()}, {c.fake.city()}"),
        ]
    style = c.rng.randint(0, 2)
    mrn = f"    MRN: {c.mrn}" if show["mrn"] else ""
    if style == 0:
        out.append(Block("field_row", f"RE: {c.given} {c.family}    DOB: {c.d(c.birth)}{mrn}"))
    elif style == 1:
        out.append(Block("field_row", f"RE: {c.given} {c.family}"))
        out.append(Block("field_row", f"DOB: {c.d(c.birth)}"))
        if show["mrn"]:
            out.append(Block("field_row", f"MRN: {c.mrn}"))
    else:
        out.append(
            Block(
                "field_row",
                f"Re: Patient {c.family}, {c.given}; date of birth "
                f"{c.d(c.birth)}" + (f"; {c.mrn}" if show["mrn"] else ""),
            )
        )
    return out


def signature(c: Ctx, letter: bool) -> list[Block]:
    """Signature block, dated; sometimes with the NPI and a transcription line."""
    r = c.rng
    lead = (
        c.pick(["Sincerely,", "Best regards,", "Yours truly,", "Sincerely yours,"])
        if letter
        else c.pick(
            [
                "Electronically signed by",
                "Dictated by",
                "Signed:",
                "Attending physician:",
                "Reviewed and signed by",
                "",
            ]
        )
    )
    lines = [x for x in [lead, c.author()] if x]
    if c.doc_type == "imaging_report" and not letter and c.sometimes(0.5):
        lines[-1] += ", Radiologist"
    if r.random() < 0.35:
        lines.append(f"NPI: {c.npi}")
    lines.append(
        f"{c.pick(['Signed', 'Date', 'Dictated', 'D', 'Signed on'])}: {c.d(c.document_date)}"
    )
    if r.random() < 0.35:
        lines.append(f"T: {c.d(c.document_date + timedelta(days=r.randint(0, 2)))}")
    if r.random() < 0.2:
        lines.append(f"cc: Dr. {c.referrer}")
    return [Block("spacer"), *[Block("signature", x) for x in lines]]
