"""Normalisers and validators: dates, names, MRNs, NPI, ICD-10-CM and CPT codes.

Robust to OCR noise where the context is numeric: O->0, l/I/|->1, S->5, B->8, Z->2. The
fixes apply only where a token is meant to be a number (a date part, a mostly numeric
record number), never to names or to identifiers that really hold letters.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from chartvault.npi import npi_check_digit

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1",
                            "|": "1", "i": "1", "!": "1", "S": "5", "s": "5", "B": "8",
                            "Z": "2", "z": "2"})
_CONFUSABLE = "OoDQlI|i!SsBZz"
CREDENTIALS = {"md", "do", "np", "pa", "pa-c", "pac", "rn", "phd", "facp", "facs", "mph",
               "dpm", "dds", "dmd", "od", "aprn", "fnp", "fnp-c", "cnm", "crna", "mbbs", "dr",
               "m.d.", "d.o.", "facc", "faap", "facog", "m.d", "jr", "sr", "ii", "iii", "iv",
               "esq", "cnp", "pharmd", "dnp", "crnp", "arnp", "lpn", "msn", "bsn", "frcs",
               "frcp", "frcpc", "mrcp", "lcsw", "psyd", "rpa", "dc"}
TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof", "prof.",
          "doctor", "/s/", "patient"}
# Words that end up in a name slot by layout accident, never names of people.
NOT_NAMES = {"patient", "name", "unknown", "none", "n/a", "na", "date", "dob", "sex", "male",
             "female", "mrn", "of", "the", "and", "report", "summary", "note",
             # column and section headings that a "Name" column label runs into
             # ("Name : Reaction Notes" over an allergy table): never a person
             "notes", "reaction", "reactions", "comments", "comment", "status", "description",
             "allergies", "allergy", "medications", "medication", "problems", "problem",
             "results", "result", "value", "values", "type", "code", "codes", "dose",
             "route", "frequency", "instructions", "start", "end", "onset", "severity",
             "history", "plan", "reason", "diagnosis", "diagnoses", "findings", "impression",
             "procedure", "procedures", "vitals", "signs", "test", "tests", "units", "range",
             "reference", "flag", "sig", "quantity", "refills", "manufacturer", "lot",
             "provider", "physician", "facility", "location", "address", "phone"}


def fix_digits(s: str) -> str:
    """OCR letter/digit confusions in a token that should be numeric."""
    return s.translate(_DIGIT_FIX)


def _year(y: int, digits: int, birth: bool, today: date) -> int:
    """Century of a two-digit year: the latest one not in the future.

    A birth year may be a century back ("DOB 03/04/28" is 1928); other dates in charts are
    recent, so "19" means 2019 and only years after next year fall back to the 1900s.
    """
    if digits > 2:
        return y
    pivot = today.year % 100 + (0 if birth else 1)
    return y + (2000 if y <= pivot else 1900)


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        value = date(y, m, d)
    except ValueError:
        return None
    return value if 1880 <= value.year <= 2100 else None


_N = r"[0-9OolIS|BZDi!]"
_NUMERIC = re.compile(rf"(?<![0-9A-Za-z/])(?<!\d[.,])({_N}{{1,4}})\s?([/.-])\s?"
                      rf"({_N}{{1,2}})\s?\2\s?({_N}{{4}}|{_N}{{2}})(?![0-9/])")
_DATE_SPECKS = re.compile(r"[‘’'`´\"]")
# A speck inside a four-digit year (after a separator, so "08.19.20" keeps its dots), in
# a two-digit month or day ("0,2/18/2019"), next to a '/' or '-' ("9/,22/1999") or inside
# a month's name.
_YEAR_SPECK = re.compile(r"(?<=[\s,/-][12])[.,](?=\d{3}\b)|(?<=[\s,/-](?:19|20))[.,](?=\d{2}\b)|"
                         r"(?<=\b[12])[.,](?=\d{3}-\d)|(?<=\b[12]\d)[.,](?=\d{2}-\d)|"
                         r"(?<=\b[12]\d{2})[.,](?=\d-\d)|(?<=\b\d)[.,](?=\d[/-]\d)|"
                         r"(?<=[\s,/-](?:19|20)\d)[.,](?=\d\b)|(?<=\d[/-])[.,](?=\d)|"
                         r"(?<=\d)[.,](?=[/-]\d)|"
                         r"(?<=[a-z])[.,](?=[a-z]+\.?\s+\d)")
_MONTH_FIRST = re.compile(r"\b([A-Za-z]{3,9})[.:]?(?:\s*|[-/])([0-9OlIS]{1,2})(?:st|nd|rd|th)?"
                          r"\s?[,.]?(?:\s*|[-/])([0-9OlIS]{4})\b")
_DAY_FIRST = re.compile(r"(?<!\d[.,])\b([0-9OlIS]{1,2})(?:st|nd|rd|th)?(?:[\s-]*|/)"
                        r"([A-Za-z]{3,9})\.?(?:[\s,-]*|/)([0-9OlIS]{4}|[0-9]{2})\b")
_YEAR_FIRST_MONTH = re.compile(r"\b((?:19|20)\d{2})[\s/-]([A-Za-z]{3,9})\.?[\s/-](\d{1,2})\b")
_COMPACT = re.compile(r"\b((?:19|20)\d{2})(\d{2})(\d{2})\b")


DateOrder = Literal["mdy", "dmy"]


def parse_date(text: str, *, birth: bool = False, today: date | None = None,
               order: DateOrder | None = None) -> date | None:
    """First date in ``text``; ISO when the year leads.

    Numeric day and month are read in the document's ``order`` (see ``date_order``);
    without one, US order, except that dotted dates ("12.03.1960") are read day first,
    as they are printed where that is the custom. A part over 12 can only be the day.
    """
    today = today or date.today()
    text = _DATE_SPECKS.sub("", text)  # "Dec 14, '2020": a speck, not part of the date
    text = _YEAR_SPECK.sub("", text)  # "1.938", "19.40", "Septembe,r": specks inside
    best: tuple[int, date] | None = None

    def offer(pos: int, value: date | None) -> None:
        nonlocal best
        if value and (best is None or pos < best[0]):
            best = (pos, value)

    for m in _NUMERIC.finditer(text):
        g1, g3, g4 = (fix_digits(m.group(i)) for i in (1, 3, 4))
        a, b, c = int(g1), int(g3), int(g4)
        if len(g1) == 4:
            offer(m.start(), _mk(a, b, c))
        elif len(g1) <= 2:
            y = _year(c, len(g4), birth, today)
            day_first = (order or ("dmy" if m.group(2) == "." else "mdy")) == "dmy"
            offer(m.start(), (_mk(y, b, a) or _mk(y, a, b)) if day_first
                  else (_mk(y, a, b) or _mk(y, b, a)))
    for m in _MONTH_FIRST.finditer(text):
        mon = MONTHS.get(m.group(1)[:3].lower())
        if mon:
            offer(m.start(), _mk(int(fix_digits(m.group(3))), mon, int(fix_digits(m.group(2)))))
    text = _COMPACT_DMY.sub(_month_letters, text)  # "220CT1962", "223UL1970"
    for m in _DAY_FIRST.finditer(text):
        mon = MONTHS.get(m.group(2)[:3].lower())
        if mon:
            ys = fix_digits(m.group(3))
            offer(m.start(), _mk(_year(int(ys), len(ys), birth, today), mon,
                                 int(fix_digits(m.group(1)))))
    for m in _YEAR_FIRST_MONTH.finditer(text):
        mon = MONTHS.get(m.group(2)[:3].lower())
        if mon:
            offer(m.start(), _mk(int(m.group(1)), mon, int(m.group(3))))
    if best is None:
        m2 = _COMPACT.search(text)
        if m2:
            offer(m2.start(), _mk(int(m2.group(1)), int(m2.group(2)), int(m2.group(3))))
    return best[1] if best else None


# "22OCT1962" as OCR reads it: digits for the month's letters ("0CT", "3UL", "N0V").
_COMPACT_DMY = re.compile(r"\b([0-9OlIS]{1,2})([A-Z0-9]{3})([0-9OlIS]{4})\b")
_MONTH_FIX = str.maketrans({"0": "O", "3": "J", "1": "I", "5": "S", "8": "B", "6": "G"})


def _month_letters(m: re.Match[str]) -> str:
    mon = m.group(2).translate(_MONTH_FIX)
    if mon == m.group(2) or mon[:3].lower() not in MONTHS:
        return m.group(0)
    return f"{m.group(1)}{mon}{m.group(3)}"


# Digit-first (the look-behind after the first digit): the regex engine then skips to digits
# instead of trying the look-behind at every character (4x faster over a chart's head).
_NUMERIC_PLAIN = re.compile(r"(\d(?<![\d/.-]\d)\d?)([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/])")


def date_order(text: str) -> DateOrder | None:
    """The order a document prints numeric dates in, from its unambiguous ones.

    A first part over 12 ("23/04/1960") can only be a day, a second part over 12 only a
    day in US order. The document's evidence decides; none, or both kinds, decide nothing
    (the caller falls back on the default reading).
    """
    dmy = mdy = 0
    for m in _NUMERIC_PLAIN.finditer(text, 0, 12000):
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b >= 1:
            dmy += 1
        elif b > 12 >= a >= 1 and b <= 31:
            mdy += 1
    if dmy and not mdy:
        return "dmy"
    if mdy and not dmy:
        return "mdy"
    return None


def canonical_name_part(s: str) -> str:
    """'DOE' -> 'Doe', "O'BRIEN" -> "O'Brien", 'MCDONALD' -> 'Mcdonald'; mixed case kept."""
    s = s.strip(" .,;:")
    if s.isupper() or s.islower():
        return "-".join("'".join(p[:1].upper() + p[1:].lower() for p in part.split("'"))
                        for part in s.split("-"))
    return s


_GLUED_SUFFIX = re.compile(r"(?<=[a-z]{2})(?:II|III|IV|Jr\.?|Sr\.?)$")
_NAME_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\-.]*")


def _clean_tokens(text: str) -> list[str]:
    out = []
    for w in re.split(r"\s+", text.strip()):
        w = w.strip(",;:").lstrip("`'‘’.,")  # "KIM,' DAVID", "Lopez,. John": OCR specks
        w = _GLUED_SUFFIX.sub("", w)  # "GarciaII", "SmithJr.": a lost blank before a suffix
        lw = w.lower()
        if not w or lw in TITLES:
            continue
        if lw.strip(".") in CREDENTIALS or lw in CREDENTIALS or lw.replace(".", "") in \
                CREDENTIALS:
            break  # credentials end the name
        if _NAME_TOKEN.fullmatch(w):
            out.append(w)
        else:
            break
    return out


def _plausible(*parts: str) -> bool:
    return all(p and p.lower().strip(".") not in NOT_NAMES and len(p.strip(".")) >= 1
               for p in parts)


# OCR specks inside a name: "Rey,es", "Vi.cki", "JEFF`REY`", "WAL.KER", "T'hornton" (not
# "O'Brien" or "D'Arcy": a capital after the apostrophe), and a comma that
# splits off a family name's last letter or two ("ROLLIN,S, MICHAEL").
_SPECK_IN_WORD = re.compile(r"(?<=[A-Za-z])[.,`](?=[a-z])|`|(?<=[A-Z]{2})\.(?=[A-Z]{2})|"
                            r"(?<=[a-z])'(?=[a-z]{2})|"
                            r"(?<=[A-Za-z]{2}),(?!(?i:md|do|np|pa|rn|od|dc|jr|sr|ii|iv),)"
                            r"(?=[A-Za-z]{1,2},\s)")


# A comma with no blank after it, followed by two words the second of which is a full
# word: "DOE,JANE MARIE" and OCR's "JEF,FREY BURNETT" look alike, so neither is read.
_SPECK_OR_COMMA = re.compile(r"[A-Za-z]+\s+[A-Za-z]{3,}\s*$")


# "A,B, C": a comma with no blank after it and a second comma later; unless C is a
# credential ("Smith,John, MD") the first comma is a speck inside the family name, and
# where the family name ends cannot be told.
_SECOND_COMMA = re.compile(r"[A-Za-z'\-]+,\s*([A-Za-z.]+)")


def _speck_comma(text: str) -> bool:
    """A comma between two letters that cannot be the name's own separator.

    With a ", " separator already there ("WILSON, TAYLO,R") or two words before it
    ("ROGER POWE,LL"), a blank-less comma is a speck: the name is not read rather than
    guessed. Credentials after the comma ("Smith,John, MD") do not count.
    """
    parts = text.split(",")
    while len(parts) > 1 and parts[-1].strip().split(" ")[0].lower().strip(".") in CREDENTIALS:
        parts.pop()  # "..., MD", ", PhD": credentials, not name parts
    core = ",".join(parts)
    for m in _TIGHT_COMMA.finditer(core):
        if ", " in core or len(core[:m.start()].split()) >= 2:
            return True
    return False


_TIGHT_COMMA = re.compile(r"(?<=[A-Za-z]),(?=[A-Za-z])")


def _family_first(tokens: list[str]) -> int:
    """How many leading tokens are an upper-case family name before a mixed-case given one.

    Registration systems print "DOE Jane" (and "DOE SMITH Jane"): the upper-case part is
    the family name. 0 when the name is not printed that way.
    """
    k = 0
    while k < len(tokens) and len(tokens[k].strip(".")) > 1 and tokens[k].isupper():
        k += 1
    if 0 < k < len(tokens) and not tokens[k].isupper() and tokens[k][:1].isupper():
        return k
    return 0


def parse_person(text: str) -> tuple[str | None, str | None]:
    """(given, family) from 'DOE, JANE A', 'Jane A. Doe', 'Doe, Jane, MD' ..."""
    text = _SPECK_IN_WORD.sub("", text.strip())  # "Rey,es" / "Vi.cki": OCR specks
    text = re.split(r"\s{2,}|\t|\s[|/]\s", text)[0]
    text = re.sub(r"\([^)]*\)", " ", text).strip()
    if not text:
        return None, None
    if "," in text:
        family, _, rest = text.partition(",")
        if _SPECK_OR_COMMA.match(rest):
            return None, None  # "JEF,FREY BURNETT": "DOE,JANE" or a speck? Not a guess.
        second = _SECOND_COMMA.match(rest)
        if second and second.group(1).lower().strip(".") not in CREDENTIALS:
            return None, None  # "SHA,FFER, JOSHUA": a speck splits the family name
        if _speck_comma(text):
            return None, None  # "WILSON, TAYLO,R", "ROGER POWE,LL": where does a part end?
        fam_tokens = _clean_tokens(family)
        giv_tokens = [t for t in _clean_tokens(rest.replace(",", " ")) if len(t.strip(".")) > 1]
        first_rest = rest.strip().split()[0].lower().strip(".,") if rest.strip() else ""
        if fam_tokens and giv_tokens and first_rest.replace(".", "") not in CREDENTIALS:
            g, f = canonical_name_part(giv_tokens[0]), canonical_name_part(" ".join(fam_tokens))
            return (g, f) if _plausible(g, f) else (None, None)
        text = family  # "John Smith, MD": the comma separated the credentials
    tokens = [t for i, t in enumerate(_clean_tokens(text)) if len(t.strip(".")) > 1 or i == 0]
    if len(tokens) < 2 or len(tokens) > 4:
        return None, None
    if not (tokens[0][:1].isupper() and tokens[-1][:1].isupper()):
        return None, None  # "Transesophageal echocardiogram": names are capitalised
    lead = _family_first(tokens)
    if lead:
        g, f = canonical_name_part(tokens[lead]), canonical_name_part(" ".join(tokens[:lead]))
        return (g, f) if _plausible(g, f) and len(g.strip(".")) > 1 else (None, None)
    g, f = canonical_name_part(tokens[0]), canonical_name_part(tokens[-1])
    return (g, f) if _plausible(g, f) and len(g.strip(".")) > 1 else (None, None)


_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_LOOKS_LIKE_DATE = re.compile(r"\d{1,2}[/.-](?:\d{1,2}|[A-Za-z]{3})[/.-](?:\d{2}|\d{4})|"
                              r"\d{4}-\d{2}-\d{2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}")


def clean_mrn(value: str, *, labelled: bool = True) -> str | None:
    """MRN as printed without separators; None when it does not look like one.

    Mostly numeric tokens get the OCR digit fixes; identifiers that really hold letters
    (GUID-like) are kept as printed. A value in SSN layout is never taken as an MRN.
    """
    first = re.split(r"\s{2,}|\t", value.strip())[0].strip(" :#.;,|")
    token = first.split()[0] if first.split() else ""
    if _SSN.fullmatch(token) or _LOOKS_LIKE_DATE.fullmatch(first):
        return None
    if len(first.split()) > 1 and re.fullmatch(r"[0-9OolIS\- ]+", first):
        token = first  # "123 456 789" split by OCR
    token = re.sub(r"[-/. ]|(?<=\w)[,'`‘’](?=\w)", "", token)  # "MR3,11564": a speck
    if not token or not re.fullmatch(r"[A-Za-z0-9|!]+", token):
        return None
    head = re.match(r"[A-Za-z]{0,3}", token)
    prefix = head.group(0) if head else ""
    rest = token[len(prefix):]
    if rest and all(ch.isdigit() or ch in _CONFUSABLE for ch in rest[:-1]) and \
            sum(ch.isdigit() for ch in rest) * 2 >= len(rest):
        tail = rest[-1]  # a trailing letter is a check letter unless it looks like a digit
        keep = tail.isalpha() and tail not in "OlIS"
        fixed = fix_digits(rest[:-1]) + (tail if keep else fix_digits(tail))
        token = prefix.upper() + fixed
    digits = sum(ch.isdigit() for ch in token)
    if digits < (2 if labelled else 4) or len(token) > 40 or (not prefix and digits < 2):
        return None
    if digits * 3 < len(token) and len(token) < 12:
        return None  # mostly letters: a word, not a record number
    return token


_ORG_SPECK = re.compile(r"(?<=[a-z])[.,`](?=[a-z])|(?<=[a-z])'(?=[a-z]{2})|`")
_DIGIT_IN_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[0158])[A-Za-z0158]+\b")
_WORD_DIGITS = {"0": "o", "1": "l", "5": "s", "8": "b"}


_AMBIGUOUS_MRN = re.compile(r"[A-Z]{0,3}\d{5,}[BZ]|[BSZO]\d{5,}")


def mrn_ambiguous(mrn: str) -> bool:
    """A record number OCR may have misread either way: a lone digit-like letter at an end.

    "22823979B" is a check letter or a misread 8 ("228239798"); "S25777740" a prefix or a
    misread 5. Both readings are plausible, so the number cannot identify a patient on
    its own word and the document goes to review.
    """
    return bool(_AMBIGUOUS_MRN.fullmatch(mrn))


def clean_org(value: str) -> str | None:
    """An organisation's name without OCR specks and look-alike digits, or None.

    "H0spital", "5t. Mary", "Surgica1", "Hea,lth": a word of letters with a 0/1/5/8 in it
    is a word misread, not a number (names of organisations that hold real digits keep
    them: only words that mix letters with look-alike digits alone are changed).
    """
    def letters(m: re.Match[str]) -> str:
        w = m.group(0)
        out = []
        for i, ch in enumerate(w):
            low = _WORD_DIGITS.get(ch)
            if low is None:
                out.append(ch)
                continue
            nxt = w[i + 1:i + 2]
            upper = (i == 0 and not w[1:].isupper()) or (w.replace(ch, "").isupper()) \
                or (nxt.isupper() and i == 0)
            out.append(low.upper() if upper else low)
        return "".join(out)

    # a rule or a run of specks parts the name from whatever OCR joined to its line
    head = _SYMBOL_WORD.split(value)[0]
    if head != value and _ORG_NOUN.search(head):
        value = head
    name = _DIGIT_IN_WORD.sub(letters, _ORG_SPECK.sub("", value)).strip(" .,:;'")
    name = _EDGE_SPECKS.sub("", name)
    return name or None


_ORG_NOUN = re.compile(r"\b(hospitals?|clinic|cent(?:er|re)|medical|health|associates|practice|"
                       r"group|partners|institute|infirmary|radiology|laboratory|care)\b", re.I)
_SYMBOL_WORD = re.compile(r"(?<=[\w)])\s+[_|~]+\s+(?=\S)")


# Marks a scan leaves at the ends of a letterhead line ("~Mercy Hospital", "Clinic _ °"):
# no name of an organisation begins or ends in them.
_EDGE_SPECKS = re.compile(r"^[~‘’\"“”`^°_|*•·»«]+\s*|(?:\s+[~‘’\"“”`^°_|*•·»«\-]+)+$")


def npi_valid(npi: str) -> bool:
    """10 digits whose Luhn check over '80840' + the first nine digits holds."""
    return bool(re.fullmatch(r"\d{10}", npi)) and npi_check_digit(npi[:9]) == int(npi[9])


ICD10 = re.compile(r"\b([A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?)\b")
CPT = re.compile(r"\b(?:CPT[\s:#-]*)?([0-9]{4}[0-9FT])\b")
ICD10_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
CPT_SHAPE = re.compile(r"[0-9]{5}|[0-9]{4}[FT]")


def icd10_valid(code: str) -> bool:
    """ICD-10-CM shape: letter, digit, alphanumeric, optional '.' and 1-4 alphanumerics."""
    return bool(ICD10_SHAPE.fullmatch(code)) and code[0] != "U"


def cpt_valid(code: str) -> bool:
    """CPT shape: five digits (Category I) or four digits and F/T (Categories II/III)."""
    return bool(CPT_SHAPE.fullmatch(code))


_SEX_WORDS = {"female": "F", "male": "M", "woman": "F", "man": "M", "unknown": "U"}


def _one_slip(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by at most one substituted, inserted or deleted letter."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def sex_from(value: str) -> Literal["F", "M", "U"] | None:
    """'Female' / 'F' / 'M' / 'male' / 'Woman' -> F/M/U, despite OCR specks and slips.

    Specks around the value are dropped ("'M", ".Female"); a word one letter away from
    exactly one of female / male / unknown counts as that word ("l'emale", "Maie").
    """
    v = value.strip().lower()
    first = v.split()[0] if v.split() else ""
    letters = "".join(ch for ch in first if ch.isalpha())
    if not letters:
        return None
    if len(letters) >= 4:
        close = {s for w, s in _SEX_WORDS.items() if w == letters}
        if not close:
            close = {s for w, s in _SEX_WORDS.items() if len(w) >= 4 and _one_slip(w, letters)}
        if len(close) == 1:
            return close.pop()  # type: ignore[return-value]
    if letters.startswith(("f", "w", "girl")):
        return "F"
    if letters.startswith(("m", "boy")):
        return "M"
    if letters.startswith(("u", "o", "x")):
        return "U"
    return None
