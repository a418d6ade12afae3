"""Score predictions against ground truth: what records staff need to trust the archive.

``chartvault evaluate --truth T --pred P`` reads ground truth in the schema of the shared
evaluation set (or a generated batch's truth, which also carries admission/discharge
dates, NPI and codes under ``extra``) and predictions as ``chartvault analyze --jsonl``
writes them. Beyond what ``score.py`` reports it gives the two rates a records department
asks about first: how many documents go to review, and how many were filed automatically
under a wrong patient (the misfile rate, whose goal is zero). Names and dates are compared
after the same kind of normalisation the shared scorer describes (case, accents,
punctuation, titles and credentials ignored; dates as ISO).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

PATIENT_FIELDS = ("family", "given", "birth_date", "sex", "mrn")
DOC_FIELDS = ("service_date", "document_date", "author", "facility")
EXTRA_FIELDS = ("admission_date", "discharge_date")
CODE_FIELDS = ("author_npi", "icd10_codes", "cpt_codes")
_TITLES = {"dr", "mr", "mrs", "ms", "miss", "prof", "md", "do", "phd", "rn", "np", "pa", "c",
           "facs", "facp", "mph", "mba", "dds", "dpm", "od", "crna", "aprn", "fnp", "bc", "jr",
           "sr", "ii", "iii", "mbbs", "frcs", "dnp", "lpn", "pac"}


def _plain(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()


def norm_name(v: Any) -> str:
    """Letters only, case and accents ignored."""
    return re.sub(r"[^a-z]", "", _plain(str(v))) if v else ""


def norm_author(v: Any) -> str:
    """Given + family, without titles, credentials, middle initials or comma order."""
    if not v:
        return ""
    s = _plain(str(v))
    if s.count(",") >= 1:
        head, _, tail = s.partition(",")
        tail_words = [w for w in re.findall(r"[a-z]+", tail) if w not in _TITLES]
        if tail_words:  # "Family, Given [M]" rather than "Given Family, MD"
            s = f"{tail} {head}"
    words = [w for w in re.findall(r"[a-z]+", s) if w not in _TITLES and len(w) > 1]
    return " ".join(words)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%b %d, %Y", "%B %d, %Y",
                 "%d %b %Y", "%d %B %Y", "%Y%m%d")


def norm_date(v: Any) -> str:
    """ISO date, or the raw text when it cannot be read (then it never matches)."""
    if not v:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    s = str(v).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    return "?" + s


def norm_mrn(v: Any) -> str:
    """Letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(v).casefold()) if v else ""


def norm_sex(v: Any) -> str:
    """One upper-case letter."""
    return str(v).strip()[:1].upper() if v else ""


NORMALISERS: dict[str, Callable[[Any], str]] = {
    "family": norm_name, "given": norm_name, "birth_date": norm_date, "sex": norm_sex,
    "mrn": norm_mrn, "service_date": norm_date, "document_date": norm_date,
    "author": norm_author, "facility": norm_name, "admission_date": norm_date,
    "discharge_date": norm_date, "author_npi": norm_mrn,
}


def _get(row: dict[str, Any], name: str, extras: str = "chartvault") -> Any:
    """A field of a prediction (extras under "chartvault") or a truth row ("extra")."""
    if name in PATIENT_FIELDS:
        return (row.get("patient") or {}).get(name)
    if name in DOC_FIELDS:
        return row.get(name)
    return (row.get(extras) or {}).get(name)


@dataclass
class Report:
    """Every figure the evaluation gives."""

    docs: int = 0
    accuracy: float = 0.0
    macro_f1: float = 0.0
    per_class_f1: dict[str, float] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    fields: dict[str, float] = field(default_factory=dict)
    field_support: dict[str, int] = field(default_factory=dict)
    codes: dict[str, dict[str, float]] = field(default_factory=dict)
    needs_review_rate: float = 0.0
    misfile_rate: float = 0.0
    misfiled: int = 0
    missing_predictions: int = 0

    @property
    def fields_exact(self) -> float:
        core = [self.fields[f] for f in (*PATIENT_FIELDS, *DOC_FIELDS) if f in self.fields]
        return sum(core) / len(core) if core else 0.0


def _match(truth: Sequence[dict[str, Any]], preds: Iterable[dict[str, Any]]
           ) -> list[dict[str, Any] | None]:
    by_path: dict[str, dict[str, Any]] = {}
    by_base: dict[str, list[dict[str, Any]]] = {}
    for p in preds:
        by_path[str(p.get("file"))] = p
        by_base.setdefault(Path(str(p.get("file"))).name, []).append(p)
    out: list[dict[str, Any] | None] = []
    for t in truth:
        hit = by_path.get(str(t["file"]))
        if hit is None:
            same = by_base.get(Path(str(t["file"])).name, [])
            hit = same[0] if len(same) == 1 else None
        out.append(hit)
    return out


def _f1(tp: int, fp: int, fn: int) -> float:
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def misfiled(truth: dict[str, Any], pred: dict[str, Any]) -> bool:
    """Filed automatically under an identity that contradicts the truth."""
    if (pred.get("chartvault") or {}).get("needs_review"):
        return False
    checks = [("family", norm_name), ("given", norm_name), ("mrn", norm_mrn),
              ("birth_date", norm_date)]
    for name, norm in checks:
        got, want = norm(_get(pred, name)), norm(_get(truth, name))
        if got and got != want:
            return True
    return False


def evaluate_rows(truth: Sequence[dict[str, Any]], preds: Iterable[dict[str, Any]]) -> Report:
    """All figures for one set of predictions."""
    matched = _match(truth, preds)
    rep = Report(docs=len(truth), missing_predictions=sum(p is None for p in matched))
    pairs = [(t, p or {}) for t, p in zip(truth, matched, strict=True)]
    gold = [str(t.get("doc_type")) for t, _ in pairs]
    got = [str(p.get("doc_type")) for _, p in pairs]
    rep.accuracy = sum(g == h for g, h in zip(gold, got, strict=True)) / max(1, len(gold))
    for k in sorted(set(gold)):
        tp = sum(g == h == k for g, h in zip(gold, got, strict=True))
        fp = sum(h == k != g for g, h in zip(gold, got, strict=True))
        fn = sum(g == k != h for g, h in zip(gold, got, strict=True))
        rep.per_class_f1[k] = _f1(tp, fp, fn)
    rep.macro_f1 = sum(rep.per_class_f1.values()) / max(1, len(rep.per_class_f1))
    conf = Counter((g, h) for g, h in zip(gold, got, strict=True) if g != h)
    rep.confusions = [(g, h, n) for (g, h), n in conf.most_common()]
    has_extra = any("extra" in t for t in truth)
    for name in (*PATIENT_FIELDS, *DOC_FIELDS, *(EXTRA_FIELDS if has_extra else ()),
                 *(("author_npi",) if has_extra else ())):
        norm = NORMALISERS[name]
        hits = [norm(_get(t, name, "extra")) == norm(_get(p, name)) for t, p in pairs]
        rep.fields[name] = sum(hits) / max(1, len(hits))
        rep.field_support[name] = sum(bool(_get(t, name, "extra")) for t, _ in pairs)
    if has_extra:
        for name in ("icd10_codes", "cpt_codes"):
            tp = fp = fn = 0
            for t, p in pairs:
                want = {c.upper() for c in _get(t, name, "extra") or ()}
                have = {c.upper() for c in _get(p, name) or ()}
                tp, fp, fn = tp + len(want & have), fp + len(have - want), fn + len(want - have)
            rep.codes[name] = {"precision": tp / (tp + fp) if tp + fp else 1.0,
                               "recall": tp / (tp + fn) if tp + fn else 1.0}
    review = [bool((p.get("chartvault") or {}).get("needs_review")) for _, p in pairs]
    rep.needs_review_rate = sum(review) / max(1, len(review))
    rep.misfiled = sum(misfiled(t, p) for t, p in pairs if p)
    rep.misfile_rate = rep.misfiled / max(1, len(pairs))
    return rep


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file."""
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def format_report(rep: Report) -> str:
    """Human-readable report; the last line is machine-readable."""
    lines = [f"documents: {rep.docs}   without a prediction: {rep.missing_predictions}",
             f"doc_type accuracy {rep.accuracy:.4f}   macro-F1 {rep.macro_f1:.4f}"]
    lines += [f"  {k:28s} F1 {v:.3f}" for k, v in rep.per_class_f1.items()]
    lines.append("  confusions (truth -> predicted):")
    lines += [f"    {n:3d}  {g} -> {h}" for g, h, n in rep.confusions[:15]]
    lines.append("field exact match (support: documents whose truth is not null)")
    lines += [f"  {k:20s} {v:.4f}   [{rep.field_support[k]}]" for k, v in rep.fields.items()]
    for name, pr in rep.codes.items():
        lines.append(f"  {name:20s} precision {pr['precision']:.4f} recall {pr['recall']:.4f}")
    lines.append(f"needs_review rate {rep.needs_review_rate:.4f}   misfile rate "
                 f"{rep.misfile_rate:.4f} ({rep.misfiled} documents filed automatically "
                 f"under a wrong identity)")
    lines.append(f"EVALUATE docs={rep.docs} macro_f1={rep.macro_f1:.4f} "
                 f"fields_exact={rep.fields_exact:.4f} needs_review_rate="
                 f"{rep.needs_review_rate:.4f} misfile_rate={rep.misfile_rate:.4f}")
    return "\n".join(lines)
