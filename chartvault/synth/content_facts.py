"""Facts of one generated document and the small helpers every section writer uses.

One ``Ctx`` per document holds the patient, dates, author and facility, the random
generator and the codes printed so far; section writers read it and append codes, so
that ``truth_extra`` lists exactly the codes the text prints.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from faker import Faker

from chartvault.npi import npi_check_digit
from chartvault.synth import content_bank as B
from chartvault.synth.model import Block

DATE_STYLES = ("us", "us", "us", "iso", "long", "short_month", "dmy", "us2")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


# Further printing styles, used by the layout families (``layouts``) only: day-first
# numeric dates (slash or dot), month abbreviations in every position, ordinals.
FAMILY_DATE_STYLES: dict[str, Callable[[date], str]] = {
    "dmy_slash": lambda v: v.strftime("%d/%m/%Y"),
    "dmy_dot": lambda v: v.strftime("%d.%m.%Y"),
    "d_mon_y": lambda v: f"{v.day} {v.strftime('%b')} {v.year}",
    "dd_mon_y_upper": lambda v: v.strftime("%d-%b-%Y").upper(),
    "mon_d_y_dash": lambda v: v.strftime("%b-%d-%Y"),
    "mon_dot": lambda v: f"{v.strftime('%b')}. {v.day}, {v.year}",
    "d_month_y": lambda v: f"{v.day} {v.strftime('%B')} {v.year}",
    "month_ordinal": lambda v: f"{v.strftime('%B')} {_ordinal(v.day)}, {v.year}",
    "ymd_slash": lambda v: v.strftime("%Y/%m/%d"),
    "d_mon_y_slash": lambda v: v.strftime("%d/%b/%Y"),
    "mon_d_y_upper": lambda v: v.strftime("%b %d %Y").upper(),
}


def npi(rng: random.Random) -> str:
    """A valid NPI: Luhn check digit over "80840" + the first nine digits."""
    base = "".join(map(str, [rng.randint(1, 2)] + [rng.randint(0, 9) for _ in range(8)]))
    return base + str(npi_check_digit(base))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class Ctx:
    """Facts of one document and helpers to write about them."""

    def __init__(
        self, rng: random.Random, fake: Faker, doc_type: str, overrides: Mapping[str, Any]
    ) -> None:
        self.rng, self.fake, self.doc_type = rng, fake, doc_type
        pat = dict(overrides.get("patient") or {})
        self.sex: str = pat.get("sex") or rng.choice(["F", "M"])
        self.given: str = pat.get("given") or (
            fake.first_name_female() if self.sex == "F" else fake.first_name_male()
        )
        self.family: str = pat.get("family") or fake.last_name()
        minor = rng.random() < 0.1
        self.service: date = _date(overrides.get("service_date")) or (
            date(2006, 1, 1) + timedelta(days=rng.randint(0, 6900))
        )
        age = rng.randint(0, 17) if minor else rng.randint(19, 94)
        self.birth: date = _date(pat.get("birth_date")) or (
            self.service - timedelta(days=age * 365 + rng.randint(0, 360))
        )
        years = (
            self.service.year
            - self.birth.year
            - ((self.service.month, self.service.day) < (self.birth.month, self.birth.day))
        )
        self.age = max(0, years)
        self.mrn: str = pat.get("mrn") or self._mrn()
        self.facility: str = overrides.get("facility") or self._facility()
        self.author_given: str = fake.first_name()
        self.author_family: str = fake.last_name()
        self.npi = npi(rng)
        self.cred = rng.choice(
            ["MD", "MD", "MD", "DO", "MD, FACP", "NP", "PA-C", "MD, PhD", "M.D.", "MD, FACS"]
        )
        self.document_date: date = _date(overrides.get("document_date")) or (
            self.service + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3, 7]))
        )
        self.admission: date | None = None
        self.discharge: date | None = None
        self.icd: list[str] = []
        self.cpt: list[str] = []
        self.conditions = rng.sample(B.CONDITIONS, 5)
        self.meds = rng.sample(B.MEDICATIONS, rng.randint(2, 8))
        self.date_style = rng.choice(DATE_STYLES)
        self.heading_case = rng.choice(["upper", "upper", "title", "mixed"])
        self.colon = rng.random() < 0.75
        self.inline_rate = rng.choice([0.1, 0.5, 0.8, 0.95])
        self.referrer = f"{fake.first_name()} {fake.last_name()}"

    def _mrn(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return str(self.rng.randint(10**5, 10**9 - 1))
        if r < 0.8:
            return f"{self.rng.choice('ABCDEMK')}{self.rng.randint(10**5, 10**7)}"
        if r < 0.9:
            return f"MR{self.rng.randint(10**5, 10**6)}"
        return f"{self.rng.randint(100, 999)}{self.rng.randint(1000, 9999)}"

    def _facility(self) -> str:
        f = self.fake
        base = self.rng.choice(
            [
                f.last_name(),
                f.city(),
                "St. " + f.first_name(),
                f.last_name() + " Valley",
                f.last_name() + " County",
            ]
        )
        return f"{base} {self.rng.choice(B.FACILITY_KINDS)}"

    def d(self, value: date) -> str:
        """A date in this document's printing style."""
        s = self.date_style
        if s == "iso":
            return value.isoformat()
        if s == "long":
            return value.strftime("%B %-d, %Y")
        if s == "short_month":
            return value.strftime("%b %d, %Y")
        if s == "dmy":
            return value.strftime("%d-%b-%Y")
        if s == "us2":
            return f"{value.month}/{value.day}/{value.year}"
        if s in FAMILY_DATE_STYLES:
            return FAMILY_DATE_STYLES[s](value)
        return value.strftime("%m/%d/%Y")

    @property
    def he(self) -> str:
        """Subject pronoun."""
        return "she" if self.sex == "F" else "he"

    @property
    def He(self) -> str:
        """Capitalised subject pronoun."""
        return self.he.capitalize()

    @property
    def His(self) -> str:
        """Capitalised possessive pronoun."""
        return self.his.capitalize()

    @property
    def his(self) -> str:
        """Possessive pronoun."""
        return "her" if self.sex == "F" else "his"

    @property
    def him(self) -> str:
        """Object pronoun."""
        return "her" if self.sex == "F" else "him"

    @property
    def person(self) -> str:
        """'woman' / 'man' / 'girl' / 'boy' / 'infant'."""
        if self.age < 2:
            return "infant " + ("girl" if self.sex == "F" else "boy")
        if self.age < 18:
            return "girl" if self.sex == "F" else "boy"
        return self.rng.choice(
            ["woman", "female"] if self.sex == "F" else ["man", "male", "gentleman"]
        )

    def age_phrase(self) -> str:
        """'54-year-old' (months for infants)."""
        if self.age < 2:
            months = max(1, (self.service - self.birth).days // 30)
            return f"{months}-month-old"
        return f"{self.age}-year-old"

    def author(self) -> str:
        """Signature name with credentials."""
        return f"{self.author_given} {self.author_family}, {self.cred}"

    def code(self, cond: tuple[str, str], show: float = 0.5) -> str:
        """A condition, sometimes with its ICD-10 code printed."""
        if self.rng.random() < show:
            self.icd.append(cond[1])
            return f"{cond[0]} ({cond[1]})"
        return cond[0]

    def cap(self, text: str) -> str:
        """Heading in this document's casing style."""
        if text.isupper():  # abbreviations (HPI, ROS, EBL) and upper-case titles stay
            return text
        style = self.heading_case
        if style == "mixed":
            style = self.rng.choice(["upper", "title"])
        return text.upper() if style == "upper" else text.title()

    def pick(self, options: list[str] | tuple[str, ...]) -> str:
        """One of the options."""
        return str(self.rng.choice(options))

    def sometimes(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p


def sec(c: Ctx, heading: str | list[str], *paras: str) -> list[Block]:
    """A heading and its paragraphs, inline ("HEADING: text") or on its own line."""
    h = heading if isinstance(heading, str) else c.pick(heading)
    if paras and c.rng.random() < c.inline_rate:
        return [
            Block("paragraph", f"{c.cap(h)}: {paras[0]}"),
            *[Block("paragraph", p) for p in paras[1:]],
        ]
    return [
        Block("heading", c.cap(h) + (":" if c.colon else ""), bold=True),
        *[Block("paragraph", p) for p in paras],
    ]


def items(c: Ctx, heading: str | list[str], lines: list[str]) -> list[Block]:
    """A heading followed by a numbered or bulleted list."""
    h = heading if isinstance(heading, str) else c.pick(heading)
    style = c.rng.choice(["num", "num", "dash", "plain"])
    out = [Block("heading", c.cap(h) + (":" if c.colon else ""), bold=True)]
    for i, line in enumerate(lines, 1):
        prefix = {"num": f"{i}. ", "dash": "- ", "plain": ""}[style]
        out.append(Block("list_item", prefix + line))
    return out
