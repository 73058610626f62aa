"""Numbers in free text that identify a person: identity numbers, phone numbers and bank accounts.

Part of de-identification (surveys.deidentify). People write the same number in many ways ("934-79-821",
"33.61.23.18", "010180 - 12371", "19940615 7223", "(070) 123 45 67", a line break in the middle), so the scan
does not look for fixed shapes. It finds *chunks*: runs of digit groups joined by the separators people use
(spaces, a line break, "-", ".", "/", " - ", parentheses, a leading "+"), then asks of each run of whole groups,
the whole chunk first, whether its digits are a valid identifier. Validation, not shape, decides:

- identity numbers: Norwegian fødselsnummer, D-, H-, synthetic and FH-numbers (both mod-11 control digits; a
  plausible date except for FH-numbers, which start with 8 or 9), Swedish personnummer and samordningsnummer
  (Luhn, date), Danish CPR (date and century digit), Finnish henkilötunnus (check character);
- phone numbers: what `phonenumbers` calls valid for Norway (8 digits) or Sweden (leading 0), or for the country
  code after "+" or "00";
- bank accounts: Norwegian kontonummer (11 digits, mod-11, written compact or 4.2.5) and IBAN (mod-97).

A finding always covers whole groups, so an identifier is removed whole or not at all ("26 [telefonnummer]" cannot
happen: the whole run is tried before any part of it). A chunk is split only where a space or line break
separates groups; "25121212-1212" is one token, valid or not as a whole. Dates, clock times and time ranges
("kl. 0800-1400"), years, amounts next to a currency, decimals and thousands groupings ("12 345 678") are never
taken for phone numbers; organisation numbers (9 digits) match no kind and stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.dk import cpr as stdnum_cpr
from stdnum.fi import hetu as stdnum_hetu
from stdnum.no import fodselsnummer as stdnum_fnr
from stdnum.no import kontonr as stdnum_kontonr

NATIONAL_ID = "national_id"
PHONE = "phone"
BANK_ACCOUNT = "bank_account"

_GROUP = r"\(?+\+?+[0-9]++\)?+"
_TIGHT = r"(?:[-./+\u2013]|(?<=\)))"
_LOOSE = r"(?:[ \u00a0]{1,3}+(?:[-\u2013/][ \u00a0]{1,2}+)?|[ \u00a0]*+\n[ \u00a0]*+)"
_TOKEN = rf"{_GROUP}(?:{_TIGHT}{_GROUP})*+"
_CHUNK = re.compile(rf"(?<![0-9]){_TOKEN}(?:{_LOOSE}{_TOKEN})*+")
_DIGITS = re.compile(r"[0-9]+")
MAX_GROUPS = 8  # no identifier is written in more groups than this
MAX_DIGITS = 15  # the longest phone number (E.164); longer runs are tried in parts

_CURRENCY_BEFORE = re.compile(
    r"(?:\b(?:kr|nok|sek|dkk|eur|usd|kroner|kronor|beløp|belopp)\.?|[€$£])[ \u00a0]*:?[ \u00a0]*$", re.I
)
_CURRENCY_AFTER = re.compile(r"^[ \u00a0]*(?:(?:kr|nok|sek|dkk|eur|usd|kroner|kronor|euro)\b|kr\.|,-|:-|[€$£])", re.I)
_CLOCK_BEFORE = re.compile(r"(?:\bkl|\bklokka|\bklockan|\bmellom|\bfrå|\bfra|\bfrån|\bat|\bfrom)\.?[ \u00a0]*$", re.I)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


# --- validators ---------------------------------------------------------------------------------------------


def _plausible_date(year: int, month: int, day: int) -> bool:
    """A calendar date; for a two-digit year (century unknown) 29 February is allowed when it divides by four."""
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and (year < 100 or year % 100 != 0 or year % 400 == 0)
    return True


def is_norwegian_id(digits: str) -> bool:
    """Fødselsnummer, D-nummer (day + 40), H-nummer (month + 40), synthetic (month + 80) or FH-nummer (8/9...).

    python-stdnum computes the two mod-11 control digits; it knows only fødsels- and D-numbers, so the date rule
    for the others (used in the health sector and in test data) is ours.
    """
    if len(digits) != 11:
        return False
    if stdnum_fnr.calc_check_digit1(digits) != digits[9] or stdnum_fnr.calc_check_digit2(digits) != digits[10]:
        return False
    if digits[0] in "89":
        return True  # felles hjelpenummer: random after the first digit, no date
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if day > 40:
        day -= 40
    if month > 80:
        month -= 80
    elif month > 40:
        month -= 40
    return _plausible_date(year, month, day)


def is_swedish_id(digits: str) -> bool:
    """Personnummer or samordningsnummer (day + 60), 10 or 12 digits: Luhn over the last ten, plausible date."""
    if len(digits) == 12:
        century = int(digits[:2])
        if century not in (18, 19, 20):
            return False
    elif len(digits) != 10:
        return False
    short = digits[-10:]
    year, month, day = int(short[0:2]), int(short[2:4]), int(short[4:6])
    if day > 60:
        day -= 60
    full_year = int(digits[:2]) * 100 + year if len(digits) == 12 else year
    return _plausible_date(full_year, month, day) and luhn.is_valid(short)


def is_danish_cpr(digits: str) -> bool:
    """Danish CPR: a real birth date with the century its seventh digit implies (no mod-11 since 2007)."""
    return len(digits) == 10 and bool(stdnum_cpr.is_valid(digits))


def _phone_valid(number: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False


@lru_cache(maxsize=4096)
def is_phone(digits: str, international: bool) -> bool:
    """A valid number: "+"/"00" and a country code, a Norwegian 8-digit number, or a Swedish one with its 0."""
    if international:
        if not 8 <= len(digits) <= 15:
            return False
        if _phone_valid("+" + digits, None):
            return True
        # "+46 (0)70-123 45 67", "+47 0934...": the national trunk 0 written after the country code.
        return any(
            digits[size] == "0" and _phone_valid("+" + digits[:size] + digits[size + 1 :], None) for size in (1, 2, 3)
        )
    if len(digits) == 8 and digits[0] in "23456789":
        return _phone_valid(digits, "NO")
    if 8 <= len(digits) <= 10 and digits[0] == "0" and digits[1] != "0":
        return _phone_valid(digits, "SE")
    return False


# --- guards against look-alikes -------------------------------------------------------------------------------


def _is_time(hours: str, minutes: str) -> bool:
    return int(hours) <= 24 and int(minutes) <= 59


def _time_range(text: str, start: int, digits: str, sizes: tuple[int, ...], separators: list[str]) -> bool:
    """ "0800-1400", "08.00 - 14.00", "kl. 0800 1400": two clock times, not a phone number."""
    if len(digits) != 8 or not (_is_time(digits[0:2], digits[2:4]) and _is_time(digits[4:6], digits[6:8])):
        return False
    if sizes == (4, 4):
        between = separators[0]
    elif sizes == (2, 2, 2, 2) and separators[0] == separators[2] and separators[0].strip() in (".", ""):
        between = separators[1]
    else:
        return False
    dashed = "-" in between or "\u2013" in between
    return dashed or bool(_CLOCK_BEFORE.search(text[max(0, start - 12) : start]))


def _is_date(sizes: tuple[int, ...], digits: str) -> bool:
    """ "23.05.1948", "2026-06-06", "12/05/1948": a date written with separators."""
    if sizes == (2, 2, 4) or sizes == (1, 2, 4) or sizes == (2, 1, 4):
        day, month, year = int(digits[: sizes[0]]), int(digits[sizes[0] : sizes[0] + sizes[1]]), int(digits[-4:])
        return _plausible_date(year, month, day)
    if sizes == (4, 2, 2):
        return _plausible_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return False


def _is_years(sizes: tuple[int, ...], digits: str) -> bool:
    return sizes == (4, 4) and all(part[:2] in ("19", "20") for part in (digits[:4], digits[4:]))


def _is_thousands(sizes: tuple[int, ...], separators: list[str]) -> bool:
    """ "12 345 678", "12.345.678": an amount grouped in thousands (never how an 8-digit phone number is written)."""
    return (
        len(sizes) >= 3
        and sizes[0] <= 3
        and all(size == 3 for size in sizes[1:])
        and len(set(separators)) == 1
        and separators[0] in (" ", "\u00a0", ".")
    )


def _is_amount(text: str, start: int, end: int) -> bool:
    """A currency next to the number ("kr 42345678", "42345678 kr", "42345678,-") makes it an amount."""
    return bool(
        _CURRENCY_BEFORE.search(text[max(0, start - 12) : start]) or _CURRENCY_AFTER.match(text[end : end + 10])
    )


def _is_decimal(text: str, start: int, end: int) -> bool:
    """Part of a decimal number ("0,91234567", "91234567,50")."""
    before = text[max(0, start - 2) : start]
    after = text[end : end + 2]
    return (len(before) == 2 and before[1] == "," and before[0].isdigit()) or (
        len(after) == 2 and after[0] == "," and after[1].isdigit()
    )


# --- chunks and candidates ------------------------------------------------------------------------------------


def _kind(
    text: str, start: int, end: int, digits: str, sizes: tuple[int, ...], separators: list[str], plus: bool
) -> str | None:
    """What the digits of whole groups text[start:end] are, if anything we remove."""
    count = len(digits)
    if plus and is_phone(digits, True):
        return PHONE
    if digits.startswith("00") and count > 9 and sizes[0] >= 3 and not is_swedish_id(digits):
        return PHONE if is_phone(digits[2:], True) else None  # "0044 20 7946 0958"; "000985-5784" is a pnr
    if count == 11:
        if is_norwegian_id(digits):
            return NATIONAL_ID
        if sizes in ((11,), (4, 2, 5)) and stdnum_kontonr.is_valid(digits):
            return BANK_ACCOUNT
        return None
    if count == 12:
        return NATIONAL_ID if sizes in ((12,), (8, 4)) and is_swedish_id(digits) else None
    if count == 10 and sizes in ((10,), (6, 4)):
        if digits.startswith("07") and is_phone(digits, False):
            return PHONE  # a Swedish mobile number that happens to look like a date
        if is_swedish_id(digits) or is_danish_cpr(digits):
            return NATIONAL_ID
    if not 8 <= count <= 10 or digits[0] == "1":
        return None
    if any("/" in sep for sep in separators) and digits[0] != "0":
        return None  # "2024/1234", "26/23719-4": case and reference numbers; only "070/123 45 67" has a slash
    if (
        _is_date(sizes, digits)
        or _is_years(sizes, digits)
        or _is_thousands(sizes, separators)
        or _time_range(text, start, digits, sizes, separators)
        or _is_amount(text, start, end)
        or _is_decimal(text, start, end)
    ):
        return None
    return PHONE if is_phone(digits, False) else None


def numbers(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every identity number, phone number and bank account number in `text`."""
    for chunk in _CHUNK.finditer(text):
        if chunk.end() - chunk.start() >= 8:  # shorter chunks hold fewer than the 8 digits of the shortest kind
            yield from _chunk_findings(text, chunk.start(), chunk.end())


def _chunk_findings(text: str, chunk_start: int, chunk_end: int) -> Iterator[tuple[str, int, int]]:
    groups = [(m.start(), m.end()) for m in _DIGITS.finditer(text, chunk_start, chunk_end)]
    separators = [""] + [text[groups[i - 1][1] : groups[i][0]] for i in range(1, len(groups))]
    # A token starts where a space or line break separates groups (or at the chunk's start).
    token_start = [i == 0 or any(c in " \u00a0\n" for c in separators[i]) for i in range(len(groups))]
    token_end = [i == len(groups) - 1 or token_start[i + 1] for i in range(len(groups))]
    index = 0
    while index < len(groups):
        found = _longest_from(text, groups, separators, token_end, index) if token_start[index] else None
        if found is None:
            found = _identity_number_inside_token(text, groups, index)
        if found is None:
            index += 1
            continue
        kind, last = found
        yield kind, *_span(text, groups[index][0], groups[last][1])
        index = last + 1


def _identity_number_inside_token(text: str, groups: list[tuple[int, int]], first: int) -> tuple[str, int] | None:
    """A Norwegian or Swedish identity number glued to more digits by "-", "/" or "." ("01010000110/0").

    Only these kinds, whose two control digits (or Luhn and a date) make a chance match unlikely, may be cut out of
    a longer token; a phone number or an account number must be the whole token.
    """
    digits = ""
    for last in range(first, min(len(groups), first + 4)):
        digits += text[groups[last][0] : groups[last][1]]
        if len(digits) > 12:
            return None
        if (len(digits) == 11 and is_norwegian_id(digits)) or (len(digits) in (10, 12) and is_swedish_id(digits)):
            return NATIONAL_ID, last
    return None


def _longest_from(
    text: str, groups: list[tuple[int, int]], separators: list[str], token_end: list[bool], first: int
) -> tuple[str, int] | None:
    """The longest run of whole tokens from group `first` whose digits are an identifier: (kind, last group)."""
    start = groups[first][0]
    plus = text[start - 1 : start] == "+"
    lengths, total = [], 0
    for last in range(first, min(len(groups), first + MAX_GROUPS)):
        total += groups[last][1] - groups[last][0]
        if total > MAX_DIGITS:
            break
        lengths.append(total)
    for last in range(first + len(lengths) - 1, first - 1, -1):
        if not token_end[last] or lengths[last - first] < 8:
            continue
        sizes = tuple(groups[i][1] - groups[i][0] for i in range(first, last + 1))
        digits = "".join(text[a:b] for a, b in groups[first : last + 1])
        kind = _kind(text, start, groups[last][1], digits, sizes, separators[first + 1 : last + 1], plus)
        if kind is not None:
            return kind, last
    return None


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a finding over a leading "+" or "(+" and over parentheses that open and close inside it."""
    if text[start - 1 : start] == "+":
        start -= 1
    if text[start - 1 : start] == "(" and ")" in text[start:end]:
        start -= 1
    if text[end : end + 1] == ")" and text.count("(", start, end) > text.count(")", start, end):
        end += 1
    return start, end


# --- identifiers with letters: IBAN and Finnish henkilötunnus ---------------------------------------------------

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ \u00a0]?+[A-Z0-9]{1,4}+){3,8}+")
_HETU = re.compile(r"(?<![0-9A-Za-z])[0-3][0-9][01][0-9]{3}[-+A-FU-Y][0-9]{3}[0-9A-Y](?![0-9A-Za-z])")
_HETU_SIGNS = str.maketrans({**dict.fromkeys("UVWXY", "-"), **dict.fromkeys("BCDEF", "A")})


def ibans(text: str) -> Iterator[tuple[str, int, int]]:
    """IBANs with valid mod-97 check digits, spaced in fours or compact; the longest valid prefix of the match."""
    for match in _IBAN.finditer(text):
        written = match.group()
        ends = [len(written)] + [i for i in range(len(written) - 1, 14, -1) if written[i] in " \u00a0"]
        for end in ends:
            if stdnum_iban.is_valid(written[:end].replace("\u00a0", " ")):
                yield BANK_ACCOUNT, match.start(), match.start() + end
                break


def finnish_ids(text: str) -> Iterator[tuple[str, int, int]]:
    """Henkilötunnus DDMMYYCZZZQ; the 2023 century signs (U-Y, B-F) are checked like "-" and "A"."""
    for match in _HETU.finditer(text):
        written = match.group()
        if stdnum_hetu.is_valid(written[:6] + written[6].translate(_HETU_SIGNS) + written[7:]):
            yield NATIONAL_ID, match.start(), match.end()
