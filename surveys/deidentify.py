"""Replace identifiers in free-text answers with readable placeholders before anything is stored.

Answers to "what matters to you?" are special-category data; a respondent who types a national identity number,
a phone number, an e-mail address or a street address must not have it written to the database, an export or a
log. Every channel and the importer pass answer text through `redact` first.

Pure and dependency-free (standard library only), so the engine, the importer and the log filter can all use it.

What is recognised (`Finding.kind`):

- ``national_id``: Norwegian fødselsnummer / D-nummer (11 digits, both mod-11 control digits, a plausible date;
  D-nummer adds 4 to the first digit; H-nummer and the synthetic test numbers from Tenor/NAV, which add 4 or 8 to
  the month's first digit, are accepted too, because the health sector uses them), optionally with one space, dot
  or hyphen between the six date digits and the five personal digits. Swedish personnummer and samordningsnummer
  (day + 60): 10 or 12 digits, ``-``/``+`` or nothing before the last four, Luhn over the 10-digit form,
  plausible date.
- ``phone``: Norwegian 8-digit numbers starting with 2-9, compact or grouped 3-2-3, 2-2-2-2 or 4-4, with or
  without +47/0047 (with the prefix any grouping of exactly 8 digits counts); Swedish numbers with a leading 0 and
  an area code ("070-123 45 67", "08-123 456 78", "0701234567") or +46/0046 ("+46 70 123 45 67"); other
  international numbers written with "+" and a country code (8 to 15 digits).
- ``email``: the usual local@domain.tld shape, letters such as æøå included.
- ``street_address``: a street name ending in -veien/-vegen/-vei/-veg/-gata/-gate/-gaten/-gatan/-vägen/-stien/
  -plassen/-bakken/-allé/-torget ... (or "gate"/"vei"/"allé"/... as a separate word after a name such as
  "Karl Johans gate"), then a house number with an optional letter, then optionally a postcode and place
  ("0150 Oslo", "114 55 Stockholm").

Deliberate decisions about look-alikes:

- Only ASCII digits are digits here; a number glued to other digits is never an identifier.
- Dates with separators ("12.05.1948", "2026-06-06"), clock times, years, postcodes on their own, 11 digits failing
  a control digit and numbers of other lengths stay.
- A bare 8-digit number starting with 2-9 is a phone number: that is how Norwegians write one, and hiding an order
  number by mistake costs far less than storing a phone number. It is an amount, and stays, when a currency sits
  next to it ("kr 42345678", "42345678 kr", "NOK", ",-", ":-", "€") or decimals follow ("42345678,50"). The
  thousands grouping 2-3-3 ("12 345 678") is never taken for a phone number without a country prefix, and 4-4
  where both halves are years ("2024 2025") is two years. An 8-digit date without separators that starts with
  2 or 3 ("23051948") is taken for a phone number: the privacy error is the one we prefer.
- A street name followed by a number and a unit of time or count ("bodde i Strandveien 40 år") is not an address.

Overlapping findings are merged into one span (never leaving a piece of a number behind); the merged finding
takes the kind of its longest member, ties going to the most specific kind (national_id, email, phone, address).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Finding", "find_identifiers", "redact", "placeholders"]

NATIONAL_ID = "national_id"
PHONE = "phone"
EMAIL = "email"
STREET_ADDRESS = "street_address"
KINDS = (NATIONAL_ID, EMAIL, PHONE, STREET_ADDRESS)  # most specific first: breaks ties between overlapping findings
_SPECIFICITY = {kind: rank for rank, kind in enumerate(KINDS)}

DEFAULT_LANGUAGE = "nb"
CATALOGUE = Path(__file__).parent / "locales" / "deidentify.toml"


@dataclass(frozen=True)
class Finding:
    """One identifier in a text: what kind it is and where it sits (text[start:end])."""

    kind: str
    start: int
    end: int


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open("rb") as handle:
        return tomllib.load(handle)


def placeholders(language: str) -> dict[str, str]:
    """The placeholder per kind in the respondent's language ("nb-NO" counts as nb); unknown languages get bokmål."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    catalogue = _catalogue()
    return catalogue.get(code) or catalogue[DEFAULT_LANGUAGE]


# --- national identity numbers -------------------------------------------------------------------------------

_NO_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_NO_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_NO_ID = re.compile(r"(?<![0-9])[0-9]{6}[ .\u00a0-]?[0-9]{5}(?![0-9])")
_SE_ID = re.compile(r"(?<![0-9])(?:(?:18|19|20)[0-9]{6}|[0-9]{6})[-+]?[0-9]{4}(?![0-9])")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _plausible_date(year: int, month: int, day: int) -> bool:
    """A calendar date; for a two-digit year (century unknown) 29 February is allowed when it divides by four."""
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and (year < 100 or year % 100 != 0 or year % 400 == 0)
    return True


def _mod11(digits: list[int], weights: tuple[int, ...]) -> int | None:
    check = (11 - sum(w * d for w, d in zip(weights, digits, strict=True)) % 11) % 11
    return None if check == 10 else check


def is_norwegian_national_id(digits: str) -> bool:
    """Fødselsnummer, D-nummer (day + 40), H-nummer (month + 40) or synthetic (month + 80) with both control digits."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    numbers = [int(c) for c in digits]
    if _mod11(numbers[:9], _NO_WEIGHTS_1) != numbers[9] or _mod11(numbers[:10], _NO_WEIGHTS_2) != numbers[10]:
        return False
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if day > 40:
        day -= 40
    if month > 80:
        month -= 80
    elif month > 40:
        month -= 40
    return _plausible_date(year, month, day)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_swedish_national_id(number: str) -> bool:
    """Personnummer or samordningsnummer (day + 60): 10 or 12 digits, optional - or +, Luhn over the 10-digit form."""
    digits = number.replace("-", "").replace("+", "")
    if len(digits) not in (10, 12) or not digits.isascii() or not digits.isdigit():
        return False
    century = int(digits[:2]) if len(digits) == 12 else None
    if century is not None and century not in (18, 19, 20):
        return False
    short = digits[-10:]
    year, month, day = int(short[0:2]), int(short[2:4]), int(short[4:6])
    if day > 60:
        day -= 60
    full_year = century * 100 + year if century is not None else year
    return _plausible_date(full_year, month, day) and _luhn_ok(short)


def _national_ids(text: str) -> Iterator[Finding]:
    for match in _NO_ID.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group())
        if is_norwegian_national_id(digits):
            yield Finding(NATIONAL_ID, match.start(), match.end())
    for match in _SE_ID.finditer(text):
        if is_swedish_national_id(match.group()):
            yield Finding(NATIONAL_ID, match.start(), match.end())


# --- phone numbers -------------------------------------------------------------------------------------------

_SP = r"[ \u00a0]"
# Not glued to a longer number, not the decimals of one ("0,91234567"), not inside one ("91234567,50") and not
# part of a hyphenated reference ("25121212-1212").
_NUMBER_START = r"(?<![0-9])(?<![0-9][.,-])"
_NUMBER_END = r"(?![0-9])(?![.,-][0-9])"
_NO_PHONE = re.compile(
    _NUMBER_START
    + rf"(?:[2-9][0-9]{{7}}|[2-9][0-9]{{2}}{_SP}[0-9]{{2}}{_SP}[0-9]{{3}}"
    + rf"|[2-9][0-9](?:{_SP}[0-9]{{2}}){{3}}|[2-9][0-9]{{3}}{_SP}[0-9]{{4}})"
    + _NUMBER_END
)
_SE_PHONE = re.compile(
    _NUMBER_START + rf"0[1-9][0-9]{{0,2}}(?:{_SP}?-{_SP}?|{_SP})[0-9]{{2,8}}(?:{_SP}[0-9]{{2,4}}){{0,3}}" + _NUMBER_END
)
_SE_MOBILE = re.compile(_NUMBER_START + r"07[0-9]{8}" + _NUMBER_END)
_INTERNATIONAL = re.compile(
    r"(?<![0-9+])(?P<prefix>\+|00)(?P<country>47|46|[1-9][0-9]{0,2})"
    + rf"(?:{_SP}?\(0\))?(?:{_SP}|-)?(?P<body>[0-9]+(?:(?:{_SP}|-|{_SP}-{_SP})[0-9]+)*)"
    + _NUMBER_END
)
_DIGIT_GROUP = re.compile(r"[0-9]+")
_CURRENCY_BEFORE = re.compile(
    r"(?:\b(?:kr|nok|sek|eur|usd|kroner|kronor|beløp|belopp)\.?|[€$£])[ \u00a0]*:?[ \u00a0]*$", re.I
)
_CURRENCY_AFTER = re.compile(r"^[ \u00a0]*(?:(?:kr|nok|sek|eur|usd|kroner|kronor|euro)\b|kr\.|,-|:-|[€$£])", re.I)
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")


def _is_amount(text: str, start: int, end: int) -> bool:
    """A currency next to the number ("kr 42345678", "42345678 kr", "42345678,-") makes it an amount."""
    return bool(
        _CURRENCY_BEFORE.search(text[max(0, start - 12) : start]) or _CURRENCY_AFTER.match(text[end : end + 10])
    )


def _prefix_of_groups(body: str, offset: int, low: int, high: int) -> int | None:
    """End (in the text) of the longest run of leading digit groups with low..high digits in all, if any.

    A number written with a country prefix may be followed by more digits ("+47 912 34 567 2 ganger"); the phone
    number is the leading groups that add up to a plausible length.
    """
    count, best = 0, None
    for group in _DIGIT_GROUP.finditer(body):
        count += len(group.group())
        if count > high:
            break
        if count >= low:
            best = offset + group.end()
    return best


def _phones(text: str) -> Iterator[Finding]:
    for match in _NO_PHONE.finditer(text):
        groups = match.group().split()
        years = len(groups) == 2 and all(_YEAR.fullmatch(group) for group in groups)
        if not years and not _is_amount(text, match.start(), match.end()):
            yield Finding(PHONE, match.start(), match.end())
    for pattern in (_SE_PHONE, _SE_MOBILE):
        for match in pattern.finditer(text):
            end = _prefix_of_groups(match.group(), match.start(), 8, 10)
            if end is not None and not _is_amount(text, match.start(), end):
                yield Finding(PHONE, match.start(), end)
    for match in _INTERNATIONAL.finditer(text):
        country, body = match.group("country"), match.group("body")
        if match.group("prefix") == "00" and country not in ("46", "47"):
            continue  # "00" followed by digits is too often something else; only the Nordic codes are trusted
        if country == "47":
            low, high = 8, 8
        elif country == "46":
            low, high = 7, 9
        else:
            low, high = max(1, 8 - len(country)), 15 - len(country)
        if country == "47" and body[0] in "01":
            continue
        end = _prefix_of_groups(body, match.start("body"), low, high)
        if end is not None:
            yield Finding(PHONE, match.start(), end)


# --- e-mail addresses ----------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")


def _emails(text: str) -> Iterator[Finding]:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            yield Finding(EMAIL, match.start(), match.end())


# --- street addresses ----------------------------------------------------------------------------------------

_COMPOUND_SUFFIXES = (
    "veien",
    "vegen",
    "vei",
    "veg",
    "gata",
    "gate",
    "gaten",
    "gatan",
    "vägen",
    "väg",
    "stien",
    "stigen",
    "plassen",
    "plass",
    "platsen",
    "bakken",
    "backen",
    "allé",
    "alléen",
    "alle",
    "alleen",
    "torget",
    "torg",
    "torvet",
    "stredet",
    "gränd",
    "gränden",
    "brygga",
    "bryggen",
    "kaien",
    "ringen",
    "svingen",
    "tunet",
    "løkka",
)
_SEPARATE_STREET_WORDS = (
    "gate",
    "gata",
    "gaten",
    "gatan",
    "vei",
    "veg",
    "vegen",
    "veien",
    "vägen",
    "väg",
    "allé",
    "plass",
    "plassen",
    "torg",
    "torget",
    "gränd",
    "stig",
)
# Words that come before "vei"/"gata" in ordinary sentences ("på vei 3 ganger"), not in street names.
_NOT_STREET_NAMES = frozenset(
    [
        "på",
        "i",
        "en",
        "ei",
        "et",
        "ett",
        "den",
        "det",
        "min",
        "mi",
        "mitt",
        "din",
        "di",
        "sin",
        "si",
        "hans",
        "hennes",
        "vår",
        "våre",
        "deres",
        "hennar",
        "ute",
        "over",
        "under",
        "langs",
        "längs",
        "mot",
        "til",
        "fra",
        "av",
        "om",
        "og",
        "å",
        "denne",
        "dette",
        "hele",
        "samme",
        "ny",
        "nye",
        "annen",
        "andre",
        "hver",
        "rett",
        "lang",
        "kort",
        "halve",
        "ingen",
        "noen",
        "all",
        "alle",
        "mellom",
        "gjennom",
        "forbi",
        "opp",
        "ned",
        "hjem",
        "tilbake",
        "egen",
        "eigen",
        "the",
        "a",
        "an",
        "on",
        "my",
        "his",
        "her",
        "our",
        "their",
    ]
)
# English verbs ending in -gate are not Norwegian streets ("investigate 3 cases").
_ENGLISH_GATE_WORDS = frozenset(
    [
        "navigate",
        "investigate",
        "delegate",
        "aggregate",
        "irrigate",
        "mitigate",
        "obligate",
        "propagate",
        "instigate",
        "litigate",
        "castigate",
        "segregate",
        "congregate",
        "interrogate",
        "surrogate",
        "relegate",
        "abrogate",
        "subjugate",
        "conjugate",
        "fumigate",
        "promulgate",
        "tailgate",
        "floodgate",
        "tollgate",
    ]
)
_UNITS_AFTER_NUMBER = re.compile(
    r"^[ \u00a0]+(?:år|år\.|dager|dagar|døgn|dygn|uker|veker|veckor|måneder|månader|timer|timar|timmar|minutter|"
    r"minuter|ganger|gonger|gånger|km|kilometer|meter|mil|kg|kr|kroner|kronor|prosent|%|years?|days?|times|weeks?|"
    r"months?|hours?|minutes?)(?![\w])",
    re.I,
)
_HEAD_WORD = r"(?:[A-ZÆØÅÄÖÜÉ][\w'-]*+|St\.|Skt\.|Sct\.)"
_SEPARATE = "|".join(sorted(_SEPARATE_STREET_WORDS, key=len, reverse=True))
# A compound street name is one word ending in a suffix after at least three letters ("Storgata", not "gata").
# Possessive quantifiers and fixed-width look-behinds keep the scan linear on long tokens.
_COMPOUND_END = "|".join(rf"(?<=[^\W\d_]{{3}}(?i:{suffix}))" for suffix in _COMPOUND_SUFFIXES)
_ADDRESS = re.compile(
    rf"(?<![\w.'-])(?P<head>(?:{_HEAD_WORD}{_SP}){{0,2}})"
    rf"(?:(?P<name>[^\W\d_][\w.'-]*+){_SP}(?P<separate>(?i:{_SEPARATE}))|(?P<compound>[^\W\d_][\w'-]*+(?:{_COMPOUND_END})))"
    rf"{_SP}+(?P<number>[1-9][0-9]{{0,3}})(?![0-9])(?![.,][0-9])(?P<letter>[A-Za-z](?![\w])|{_SP}[A-Z](?![\w]))?"
    rf"(?P<postal>,?{_SP}+(?:(?:NO|SE|N|S)-)?(?:[0-9]{{4}}|[0-9]{{3}}{_SP}?[0-9]{{2}})(?![0-9]){_SP}+[^\W\d_][\w-]*)?"
)
_HEAD_WORDS = re.compile(rf"{_HEAD_WORD}{_SP}")


def _street_start(match: re.Match[str]) -> int | None:
    """Where the address begins (after leading ordinary words), or None if the street part is not a street name."""
    if match.group("compound"):
        if match.group("compound").lower() in _ENGLISH_GATE_WORDS:
            return None
        street_start = match.start("compound")
    else:
        name = match.group("name")
        if name.lower().rstrip(".") in _NOT_STREET_NAMES:
            return None
        if not (name[0].isupper() or name.lower().endswith("s")):  # "Bygdøy allé", "kongens gate"
            return None
        street_start = match.start("name")
    for head in _HEAD_WORDS.finditer(match.group("head")):  # "Øvre", "Karl", "St." belong to the name; "På" does not
        if head.group().strip().lower() not in _NOT_STREET_NAMES:
            return match.start("head") + head.start()
    return street_start


def _addresses(text: str) -> Iterator[Finding]:
    for match in _ADDRESS.finditer(text):
        start = _street_start(match)
        if start is None:
            continue
        if not match.group("letter") and not match.group("postal") and _UNITS_AFTER_NUMBER.match(text[match.end() :]):
            continue  # "bodde i Strandveien 40 år": a duration, not a house number
        yield Finding(STREET_ADDRESS, start, match.end())


# --- putting it together -------------------------------------------------------------------------------------


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per overlapping cluster, spanning all of it, named after its longest (then most specific) member."""
    merged: list[Finding] = []
    cluster: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if cluster and finding.start >= max(f.end for f in cluster):
            merged.append(_cluster_finding(cluster))
            cluster = []
        cluster.append(finding)
    if cluster:
        merged.append(_cluster_finding(cluster))
    return merged


def _cluster_finding(cluster: list[Finding]) -> Finding:
    best = min(cluster, key=lambda f: (-(f.end - f.start), _SPECIFICITY[f.kind]))
    return Finding(best.kind, min(f.start for f in cluster), max(f.end for f in cluster))


def find_identifiers(text: str) -> list[Finding]:
    """Identifiers in `text`, in order, never overlapping."""
    if not any(c in text for c in "0123456789@"):
        return []  # the common case: a plain-language answer
    findings = [*_national_ids(text), *_phones(text), *_emails(text), *_addresses(text)]
    return _merge(findings)


def _replace_once(text: str, language: str) -> str:
    findings = find_identifiers(text)
    if not findings:
        return text
    names = placeholders(language)
    parts, position = [], 0
    for finding in findings:
        parts.append(text[position : finding.start])
        parts.append(names[finding.kind])
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


def redact(text: str, language: str = "nb") -> str:
    """`text` with every identifier replaced by a placeholder in `language` (unknown languages: bokmål).

    Repeats until nothing more is found: a number that looked like part of another one ("<id>,91234567") stands
    alone once its neighbour is replaced. Each round removes digits or '@', so it ends, and the result is a fixed
    point: redact(redact(x)) == redact(x).
    """
    while True:
        redacted = _replace_once(text, language)
        if redacted == text:
            return text
        text = redacted
