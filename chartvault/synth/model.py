"""What the content generator hands the renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal[
    "letterhead",  # facility name / address lines at the top of page 1
    "title",  # document title, e.g. "DISCHARGE SUMMARY"
    "field_row",  # a form row of label/value pairs, e.g. "Patient: DOE, JANE   MRN: 123"
    "heading",  # section heading, e.g. "HISTORY OF PRESENT ILLNESS:"
    "paragraph",  # prose; the renderer wraps it to the page width
    "table_row",  # cells separated by two or more spaces; not wrapped
    "list_item",  # bullet or numbered line; wrapped with hanging indent
    "signature",  # signature block lines
    "spacer",  # vertical gap
]


@dataclass(frozen=True)
class Block:
    """One logical block of a document, in reading order."""

    kind: BlockKind
    text: str = ""
    bold: bool = False
    align: Literal["left", "center", "right"] = "left"


@dataclass
class SynthDoc:
    """A generated document before rendering.

    ``truth`` has the schema of ``../shared/eval/README.md`` minus ``text``, ``pages``,
    ``format`` and ``file``, which the renderer fills; ``truth_extra`` carries the fields
    the eval schema lacks (admission/discharge dates, author NPI, ICD-10/CPT codes).
    ``running_header`` is repeated at the top of continuation pages (e.g. patient name
    and MRN), as charts print it.
    """

    doc_id: str
    truth: dict[str, Any]
    truth_extra: dict[str, Any]
    blocks: list[Block]
    running_header: str | None = None
    footer_template: str = "Page {page} of {pages}"
    style: dict[str, Any] = field(default_factory=dict)  # fonts, margins, layout variant

    def plain_text(self) -> str:
        """Unpaginated text, for classifier training without rendering."""
        return "\n".join(b.text for b in self.blocks if b.kind != "spacer")
