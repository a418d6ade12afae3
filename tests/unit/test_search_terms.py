"""What people type: phonetic keys that survive misspellings and OCR, dates in common
formats (never echoed back), document types by key, label or near-miss."""

from __future__ import annotations

from datetime import date

import pytest

from chartvault.catalog.names import NameQuery, fold, key_variants, name_columns, soundex
from chartvault.errors import UserError
from chartvault.search_terms import parse_day, parse_dob, resolve_type


@pytest.mark.parametrize(("word", "key"), [
    ("robert", "R163"), ("rupert", "R163"), ("ashcraft", "A261"), ("tymczak", "T522"),
    ("pfister", "P236"), ("honeyman", "H555"), ("garcia", "G620"), ("garsia", "G620"),
    ("lee", "L000")])
def test_soundex_follows_the_american_rules(word: str, key: str) -> None:
    assert soundex(word) == key


def test_folding_reads_ocr_confusions_as_letters() -> None:
    assert fold("Garc1a") == "garcia" and fold("Mi11er") == "miiier"
    assert fold("Hornby") == fold("Homby") == "homby"  # "rn" misread as "m", both ways
    assert fold("Núñez-O'Neil") == "nunez oneil"
    assert name_columns("Garcia", "Laura") == {"name_key": "garcia laura", "family_key": "G620",
                                               "given_key": "L600"}


def test_a_misread_first_letter_keeps_its_soundex_group() -> None:
    assert {"G620", "K620", "C620"} <= key_variants("karcia")
    assert "G620" not in key_variants("barcia")


@pytest.mark.parametrize(("typed", "ok"), [
    ("Garsia, Laura", True), ("Laura Garcia", True), ("garcia", True), ("Garc", True),
    ("Gracia Laura", True), ("Garcia Linda", False), ("Smith, Laura", False), ("Lee", False)])
def test_name_scores_accept_near_misses_only(typed: str, ok: bool) -> None:
    assert (NameQuery.parse(typed).score("garcia laura", "Garcia") > 0) is ok


@pytest.mark.parametrize("typed", ["04/30/1964", "4/30/64", "30.04.1964", "1964-04-30",
                                   "Apr 30 1964", "April 30th, 1964", "30 Apr 1964",
                                   "30/04/1964"])
def test_birth_dates_in_common_formats(typed: str) -> None:
    assert parse_dob(typed) == date(1964, 4, 30)


@pytest.mark.parametrize("typed", ["30.04.19x4", "yesterday", "April", "1964-13-45"])
def test_unreadable_dates_name_the_formats_not_the_value(typed: str) -> None:
    with pytest.raises(UserError) as err:
        parse_dob(typed)
    assert typed not in str(err.value) and "Apr 30 1964" in str(err.value)


def test_empty_dates_are_no_criterion() -> None:
    assert parse_dob("") is None and parse_day(None) is None and parse_day("  ") is None


def test_types_by_key_label_or_suggestion() -> None:
    assert resolve_type("lab_report") == ("lab_report", None)
    assert resolve_type("Discharge summary") == ("discharge_summary", None)
    assert resolve_type(None) == (None, None)
    kept, warning = resolve_type("dischrage sumary")
    assert kept == "dischrage sumary" and warning and "'discharge_summary'" in warning
    _, unknown = resolve_type("qqqqzzzz")
    assert unknown and "progress_note" in unknown
