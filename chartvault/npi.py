"""The National Provider Identifier's check digit, shared by the generator and the extractor.

Kept apart from both so that writing a synthetic NPI does not load the extraction
pipeline (spaCy), and validating one does not load the generator.
"""

from __future__ import annotations


def npi_check_digit(first_nine: str) -> int:
    """The NPI's tenth digit: Luhn over the card-issuer prefix '80840' + the first nine."""
    digits = [int(c) for c in "80840" + first_nine]
    total = 0
    for i, dgt in enumerate(reversed(digits)):
        if i % 2 == 0:
            dgt *= 2
            dgt = dgt - 9 if dgt > 9 else dgt
        total += dgt
    return (10 - total % 10) % 10
