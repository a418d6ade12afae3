"""Layout families of the generator: deterministic, truthful, and really different."""

from __future__ import annotations

import re

import pytest

from chartvault.synth.content import make_document
from chartvault.synth.layouts import FAMILIES, VOCAB
from chartvault.taxonomy import DOC_TYPE_KEYS


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_documents_are_deterministic_and_truthful(family: str) -> None:
    for i in range(4):
        seed, doc_type = 3100 + i, DOC_TYPE_KEYS[i % len(DOC_TYPE_KEYS)]
        d = make_document(seed, doc_type, family=family)
        again = make_document(seed, doc_type, family=family)
        assert d.plain_text() == again.plain_text() and d.truth == again.truth
        assert d.style["family"] == family
        text, p = d.plain_text().lower(), d.truth["patient"]
        assert p["family"].lower() in text and p["given"].lower() in text
        if p["mrn"]:
            assert p["mrn"].lower() in text
        assert d.truth["facility"].lower() in text


def test_no_family_keeps_the_original_layouts() -> None:
    for seed in range(5):
        plain = make_document(seed)
        assert "family" not in plain.style
        assert plain.plain_text() == make_document(seed, family=None).plain_text()
        assert plain.plain_text() != make_document(seed, family="bare_labels").plain_text()


def _head(family: str, n: int = 12) -> str:
    return "\n".join("\n".join(make_document(5000 + i, family=family).plain_text()
                               .split("\n")[:14]) for i in range(n))


def test_families_differ_in_how_they_print_labels() -> None:
    colon = _head("colon_rows")
    bare = _head("bare_labels")
    assert colon.count(": ") > 3 * max(1, bare.count(": "))  # one prints colons, one not
    above = _head("label_above")
    dob_labels = [w for w in VOCAB["dob"] if w.upper() in above.upper()]
    assert dob_labels  # labels printed, above their values


def test_families_use_different_label_wordings() -> None:
    seen = {f: {w for w in VOCAB["mrn"] if re.search(rf"(?i)(?<!\w){re.escape(w)}(?!\w)",
                                                    _head(f))} for f in FAMILIES}
    assert len({frozenset(v) for v in seen.values()}) > len(FAMILIES) // 2
    assert set().union(*seen.values()) > seen["colon_rows"]  # no family shows them all
