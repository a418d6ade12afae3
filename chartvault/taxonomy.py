"""Document types: LOINC-based keys shared by the classifier, the catalog and the scorer."""

from __future__ import annotations

from typing import Final

# key -> (LOINC document code or None, human label)
DOC_TYPES: Final[dict[str, tuple[str | None, str]]] = {
    "summary_of_care": ("34133-9", "Summary of care / CCD"),
    "discharge_summary": ("18842-5", "Discharge summary"),
    "history_and_physical": ("34117-2", "History and physical"),
    "progress_note": ("11506-3", "Progress note"),
    "consultation_note": ("11488-4", "Consultation note"),
    "operative_note": ("11504-8", "Operative note"),
    "procedure_note": ("28570-0", "Procedure note"),
    "imaging_report": ("18748-4", "Diagnostic imaging report"),
    "referral_note": ("57133-1", "Referral note"),
    "transfer_summary": ("18761-7", "Transfer summary"),
    "care_plan": ("18776-5", "Plan of care"),
    "lab_report": ("11502-2", "Laboratory report"),
    "pathology_report": ("11526-1", "Pathology report"),
    "emergency_department_note": ("34111-1", "Emergency department note"),
    "correspondence": (None, "Correspondence / letter"),
    "other": (None, "Other"),
}

DOC_TYPE_KEYS: Final[tuple[str, ...]] = tuple(DOC_TYPES)


def loinc_for(doc_type: str) -> str | None:
    """LOINC code of a document type key (None for letters and ``other``)."""
    return DOC_TYPES[doc_type][0]
