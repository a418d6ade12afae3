"""Given names people are registered under, to tell an unlabelled name from a title.

"FINANCIAL AGREEMENT" and "DOE, JANE" have the same shape; only knowing that "Jane" is a
given name tells them apart. The lexicon is the first-name lists that ship with Faker
(an installed dependency; national name statistics of many locales), folded to ASCII.
It gates unlabelled names only: a labelled name needs no such check, and a rare given
name without a label is left for review rather than guessed.
"""

from __future__ import annotations

import importlib
import unicodedata
from functools import cache

LOCALES = ("en_US", "en_GB", "en_IE", "en_IN", "es_ES", "es_MX", "fr_FR", "de_DE", "it_IT",
           "pt_BR", "pl_PL", "nl_NL", "vi_VN", "zh_CN", "ko_KR", "ar_AA", "hi_IN", "ru_RU",
           "el_GR", "ja_JP")
_LISTS = ("first_names", "first_names_female", "first_names_male", "first_names_nonbinary")


def fold(name: str) -> str:
    """Lower case, accents dropped."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


@cache
def given_names() -> frozenset[str]:
    """Every first name of the locales' person providers."""
    out: set[str] = set()
    for loc in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except ImportError:  # a locale a Faker release dropped
            continue
        for attr in _LISTS:
            out.update(fold(n) for n in getattr(provider, attr, ()) or ())
    return frozenset(n for n in out if n.isalpha() and len(n) > 1)


def is_given_name(word: str) -> bool:
    """Whether ``word`` is a known given name (case and accents ignored)."""
    return fold(word.strip(".,'`")) in given_names()


def load() -> None:
    """Build the lexicon and its misread index now (with the models, not in a document)."""
    _substitution_index()


@cache
def _substitution_index() -> frozenset[str]:
    """Every known given name with one letter masked, by position ("ad?m" for Adam)."""
    return frozenset(f"{n[:i]}?{n[i + 1:]}" for n in given_names() if len(n) >= 4
                     for i in range(len(n)))


def misread_given_name(word: str) -> bool:
    """Whether ``word`` is a known given name with one letter misread ("Addm": Adam).

    That is OCR's usual slip, so such a name is not filed without a look.

    Only substitutions count: a name a letter longer or shorter than a known one
    ("Arlene" beside Darlene) is as often a real name the lexicon lacks.
    """
    w = fold(word.strip(".,'`"))
    if len(w) < 4 or not w.isalpha() or w in given_names():
        return False
    index = _substitution_index()
    return any(f"{w[:i]}?{w[i + 1:]}" in index for i in range(len(w)))
