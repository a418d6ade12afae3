"""The fast scans of the extractor agree with the plain searches they stand for.

Each shortcut (a filter before the two-slip label search, letter-first scans for pronouns
and signature cues) is checked against the straightforward definition on seeded random
inputs built to hit the edge cases: a shortcut that dropped a match would fail here.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_right

from extractors.metadata import fields as F
from extractors.metadata import labels as L


def _fuzzy_plain(key: str) -> str | None:
    """``labels._fuzzy_field`` without the filter: every variant looked up."""
    if not L._FUZZY_MIN - 1 <= len(key) <= 30:
        return None
    found = {L._FUZZY_1.get(v, "") for v in L._deletions(key, 1)}
    if len(key) >= L._FUZZY_TWO - 1:
        found |= {L._FUZZY_2.get(v, "") for v in L._deletions(key, 2)}
    found.discard("")
    return found.pop() if len(found) == 1 else None


def test_two_slip_filter_keeps_every_label_within_two_slips() -> None:
    rnd = random.Random(14)
    labels = [k for k in L.LABELS if len(k) >= L._FUZZY_TWO - 1]
    hits = 0
    for _ in range(3000):
        key = list(rnd.choice(labels))
        for _ in range(rnd.randint(0, 3)):  # deletions, insertions, substitutions
            op, i = rnd.randint(0, 2), rnd.randrange(len(key))
            if op == 0:
                del key[i]
            elif op == 1:
                key.insert(i, rnd.choice("abcdefghijklmnopqrstuvwxyz"))
            else:
                key[i] = rnd.choice("abcdefghijklmnopqrstuvwxyz")
        word = "".join(key)
        expected = _fuzzy_plain(word)
        assert L._fuzzy_field.__wrapped__(word) == expected, word
        hits += expected is not None
    assert hits > 1000  # the sample does reach labels through slips


def _pronouns_plain(low: str) -> tuple[int, int]:
    words = [m.group(0) for m in re.finditer(r"(?:s?he|h(?:ers?|erself|is|im|imself))\b", low)
             if F._free(low, m.start())]
    fem = sum(w.startswith(("she", "her")) for w in words)
    return fem, len(words) - fem


def test_pronoun_scan_counts_what_the_word_pattern_counts() -> None:
    rnd = random.Random(15)
    bits = ["she", "he", "her", "hers", "herself", "his", "him", "himself", "the", "shed", "ash",
            "she's", "_he", "2he", "he_", "ßhe", "²he", "others", " ", "  ", "\n", ".", "-", "s"]
    for _ in range(5000):
        low = "".join(rnd.choice(bits) + rnd.choice(["", " ", "-"]) for _ in range(12))
        assert F._pronouns(low) == _pronouns_plain(low), low


def test_signature_cue_lines_are_those_of_every_match() -> None:
    rnd = random.Random(16)
    bits = ["electronically signed by", "signed", "signed:", "signed  by", "dictated by",
            "authenticated by", "sincerely,", "respectfully", "signature", "regards", "/s/",
            "attending physician:", "reviewed and signed", "interpreted by: ", "by", "x", " ",
            "\t", "\n", "\n", "jane doe, md"]
    for _ in range(3000):
        low = "".join(rnd.choice(bits) for _ in range(rnd.randint(1, 15)))
        lines = F.lines_of(low)
        offsets = [off for off, _ in lines]
        for rx, heads in ((F._SIGN_CUE, F._SIGN_CUE_HEADS), (F._SIGNED_BY, F._SIGNER_HEADS)):
            plain = {bisect_right(offsets, m.start()) - 1 for m in rx.finditer(low)}
            assert F._line_index(lines, low, rx, heads) == plain, low
