"""De-identification: identity numbers, phone numbers, e-mails and addresses become placeholders; look-alikes stay.

The valid numbers are built here with our own checksum helpers (independent of surveys.deidentify), and a few are
fixed values worked out by hand (see the comments), so a shared mistake in both implementations would still show.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from surveys.deidentify import Finding, find_identifiers, placeholders, redact

WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control(digits: list[int], weights: tuple[int, ...]) -> int:
    return (11 - sum(w * d for w, d in zip(weights, digits, strict=True)) % 11) % 11


def fodselsnummer(date: dt.date, individual: int, d_number: bool = False) -> str | None:
    """A Norwegian fødselsnummer (D-nummer: first digit + 4) or None when this individual number has no valid check."""
    day = date.day + (40 if d_number else 0)
    digits = [int(c) for c in f"{day:02d}{date.month:02d}{date.year % 100:02d}{individual:03d}"]
    k1 = _control(digits, WEIGHTS_1)
    k2 = _control([*digits, k1], WEIGHTS_2)
    if k1 == 10 or k2 == 10:
        return None
    return "".join(map(str, [*digits, k1, k2]))


def valid_fnr(birth: str, individual: int, d_number: bool = False) -> str:
    """The first valid number from `individual` on, for a DDMMYYYY birth date."""
    date = dt.datetime.strptime(birth, "%d%m%Y").date()
    while (number := fodselsnummer(date, individual, d_number)) is None:
        individual += 1
    return number


def broken(number: str) -> str:
    """The same number with its last control digit wrong."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def luhn_digit(nine: str) -> str:
    total = 0
    for index, char in enumerate(nine):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def personnummer(date: dt.date, serial: int, coordination: bool = False, long: bool = False, sep: str = "-") -> str:
    """A Swedish personnummer (samordningsnummer: day + 60), 10 or 12 digits."""
    day = date.day + (60 if coordination else 0)
    nine = f"{date.year % 100:02d}{date.month:02d}{day:02d}{serial:03d}"
    ten = nine + luhn_digit(nine)
    head = f"{date.year // 100}{ten[:6]}" if long else ten[:6]
    return f"{head}{sep}{ten[6:]}"


# Worked out by hand: 0·3+1·7+0·6+1·1+8·8+0·9+1·4+2·5+3·2 = 92, 92 mod 11 = 4, k1 = 7;
# 0·5+1·4+0·3+1·2+8·7+0·6+1·5+2·4+3·3+7·2 = 98, 98 mod 11 = 10, k2 = 1.
HAND_FNR = "01018012371"
# D-nummer for the same date (4 added to the first digit): sums 104 → k1 = 6 and 116 → k2 = 5.
HAND_DNR = "41018012365"
# Skatteverket's textbook example and its test person "Tolvan Tolvansson" (Luhn sums 50 and 20).
SE_TEXTBOOK = "811218-9876"
SE_TOLVAN = "19121212-1212"
# Samordningsnummer for 18 Dec 1981 (day 78): Luhn sum of 811278987 is 47, control 3.
SE_COORDINATION = "811278-9873"

FNR_1 = valid_fnr("15031985", 123)
FNR_2 = valid_fnr("29021948", 400)  # a leap day
FNR_3 = valid_fnr("31122005", 567)
DNR_1 = valid_fnr("05071990", 200, d_number=True)
PNR_1 = personnummer(dt.date(1945, 6, 30), 123)
PNR_PLUS = personnummer(dt.date(1921, 3, 4), 456, sep="+")
PNR_LONG = personnummer(dt.date(2003, 11, 9), 789, long=True)
PNR_COMPACT = personnummer(dt.date(1970, 1, 31), 22, sep="")
SAMORD = personnummer(dt.date(1988, 2, 14), 345, coordination=True)
SAMORD_LONG = personnummer(dt.date(1999, 12, 1), 101, coordination=True, long=True, sep="")


def test_hand_computed_examples_agree_with_the_helpers() -> None:
    assert valid_fnr("01011980", 123) == HAND_FNR
    assert valid_fnr("01011980", 123, d_number=True) == HAND_DNR
    assert personnummer(dt.date(1981, 12, 18), 987) == SE_TEXTBOOK
    assert personnummer(dt.date(1912, 12, 12), 121, long=True) == SE_TOLVAN
    assert personnummer(dt.date(1981, 12, 18), 987, coordination=True) == SE_COORDINATION


CASES: list[tuple[str, str, str]] = [
    # Norwegian national identity numbers
    ("fnr hand-computed", f"Fødselsnummer: {HAND_FNR}.", "Fødselsnummer: [fødselsnummer]."),
    ("fnr generated", f"mitt fnr er {FNR_1}", "mitt fnr er [fødselsnummer]"),
    ("fnr leap day", f"{FNR_2}", "[fødselsnummer]"),
    ("fnr 2005", f"barnet: {FNR_3}!", "barnet: [fødselsnummer]!"),
    ("fnr with space", f"pnr {FNR_1[:6]} {FNR_1[6:]} takk", "pnr [fødselsnummer] takk"),
    ("fnr with dot", f"({FNR_3[:6]}.{FNR_3[6:]})", "([fødselsnummer])"),
    ("fnr glued to words", f"nr{FNR_1}ok", "nr[fødselsnummer]ok"),
    ("d-nummer hand-computed", f"D-nummer {HAND_DNR}", "D-nummer [fødselsnummer]"),
    ("d-nummer generated", f"{DNR_1} er mitt d-nummer", "[fødselsnummer] er mitt d-nummer"),
    ("fnr first control digit wrong", f"{HAND_FNR[:9]}8{HAND_FNR[10]}", f"{HAND_FNR[:9]}8{HAND_FNR[10]}"),
    ("fnr second control digit wrong", f"nummer {broken(FNR_1)}", f"nummer {broken(FNR_1)}"),
    ("11 digits impossible date", "32138012345", "32138012345"),
    ("12 digits", f"{HAND_FNR}9", f"{HAND_FNR}9"),
    ("fnr in any grouping", f"{HAND_FNR[:4]} {HAND_FNR[4:]}", "[fødselsnummer]"),
    ("fnr in nynorsk", f"Eg har fødselsnummer {FNR_2}", "Eg har fødselsnummer [fødselsnummer]"),
    # Swedish personnummer and samordningsnummer
    ("pnr textbook", f"Personnummer {SE_TEXTBOOK}", "Personnummer [fødselsnummer]"),
    ("pnr Tolvan 12 digits", f"{SE_TOLVAN}", "[fødselsnummer]"),
    ("pnr Tolvan 10 digits", "121212-1212", "[fødselsnummer]"),
    ("pnr generated", f"pnr {PNR_1}", "pnr [fødselsnummer]"),
    ("pnr plus (100 years or older)", f"mormor {PNR_PLUS}", "mormor [fødselsnummer]"),
    ("pnr 12 digits generated", f"{PNR_LONG}.", "[fødselsnummer]."),
    ("pnr compact", f"{PNR_COMPACT}", "[fødselsnummer]"),
    ("samordningsnummer hand", f"samordningsnummer {SE_COORDINATION}", "samordningsnummer [fødselsnummer]"),
    ("samordningsnummer generated", SAMORD, "[fødselsnummer]"),
    ("samordningsnummer 12 compact", SAMORD_LONG, "[fødselsnummer]"),
    ("pnr Luhn wrong", "811218-9875", "811218-9875"),
    ("pnr 12 digits Luhn wrong", "19121212-1213", "19121212-1213"),
    ("pnr impossible month", "811318-9876", "811318-9876"),
    ("pnr wrong century", "25121212-1212", "25121212-1212"),
    # Norwegian phone numbers
    ("phone compact", "Ring 91234567", "Ring [telefonnummer]"),
    ("phone 3-2-3", "tlf 912 34 567.", "tlf [telefonnummer]."),
    ("phone 2-2-2-2", "mobil: 91 23 45 67", "mobil: [telefonnummer]"),
    ("phone 4-4", "9123 4567", "[telefonnummer]"),
    ("phone landline", "Oslo 22 33 44 55", "Oslo [telefonnummer]"),
    ("phone +47 compact", "+4791234567", "[telefonnummer]"),
    ("phone +47 space", "+47 91234567", "[telefonnummer]"),
    ("phone +47 grouped", "ring +47 912 34 567 i dag", "ring [telefonnummer] i dag"),
    ("phone 0047", "0047 48 12 34 56", "[telefonnummer]"),
    ("phone then count", "+47 912 34 567 2 ganger", "[telefonnummer] 2 ganger"),
    ("phone starting with 1", "12345678", "12345678"),
    ("phone glued to a word", "tlf:91234567", "tlf:[telefonnummer]"),
    # Swedish phone numbers
    ("se mobile", "070-123 45 67", "[telefonnummer]"),
    ("se mobile +46", "+46 70 123 45 67", "[telefonnummer]"),
    ("se Stockholm", "ring 08-123 456 78", "ring [telefonnummer]"),
    ("se Gothenburg", "031-12 34 56", "[telefonnummer]"),
    ("se compact mobile", "0701234567", "[telefonnummer]"),
    ("se +46 (0)", "+46 (0)70-123 45 67", "[telefonnummer]"),
    ("se 0046", "0046 8 123 456 78", "[telefonnummer]"),
    ("se then age", "070-123 45 67 92 år", "[telefonnummer] 92 år"),
    # e-mail
    ("email", "skriv til kari.nordmann@example.no.", "skriv til [e-post]."),
    ("email hyphen and subdomain", "anne-lise@epost.example.no", "[e-post]"),
    ("email with æøå", "bjørn.ærlig@kommune.no", "[e-post]"),
    ("email plus tag", "<ola+viktig@example.com>", "<[e-post]>"),
    ("email holding a phone", "91234567@sms.example.no", "[e-post]"),
    ("at without domain", "møtes @ kafeen", "møtes @ kafeen"),
    # street addresses
    ("address compound", "Jeg bor i Storgata 5", "Jeg bor i [adresse]"),
    ("address letter", "Bogstadveien 12B", "[adresse]"),
    ("address postcode", "Storgata 5, 0150 Oslo", "[adresse]"),
    ("address separate word", "Karl Johans gate 1", "[adresse]"),
    ("address allé", "Bygdøy allé 23 er fin", "[adresse] er fin"),
    ("address lower case", "kongens gate 2", "[adresse]"),
    ("address Øvre", "Øvre Slottsgate 12 A", "[adresse]"),
    ("address vegen", "Eg bur i Fjordvegen 3", "Eg bur i [adresse]"),
    ("address Swedish", "Drottninggatan 12, 111 51 Stockholm", "[adresse]"),
    ("address vägen", "Sveavägen 44", "[adresse]"),
    ("address bakken", "Solbakken 7", "[adresse]"),
    ("address stien", "Granstien 4a", "[adresse]"),
    ("address plassen", "Torvplassen 1, 7030 Trondheim", "[adresse]"),
    ("address sentence start", "På Karl Johans gate 3 bor jeg", "På [adresse] bor jeg"),
    ("no address: duration", "Jeg har bodd i Strandveien 40 år", "Jeg har bodd i Strandveien 40 år"),
    ("no address: on the way", "på vei 3 ganger", "på vei 3 ganger"),
    ("no address: falling", "jeg falt på bakken 2 ganger", "jeg falt på bakken 2 ganger"),
    ("no address: English verb", "We investigate 3 cases", "We investigate 3 cases"),
    ("no address: street without number", "Jeg liker Karl Johans gate", "Jeg liker Karl Johans gate"),
    # look-alikes that stay
    ("date dots", "født 12.05.1948", "født 12.05.1948"),
    ("date 2026", "06.06.2026 er dagen", "06.06.2026 er dagen"),
    ("date ISO", "2026-06-06", "2026-06-06"),
    ("date slashes", "12/05/1948", "12/05/1948"),
    ("amount kr before", "kr 12 345 678", "kr 12 345 678"),
    ("amount kr after", "12 345 678 kr", "12 345 678 kr"),
    ("amount thousands", "det kostet 42 345 678", "det kostet 42 345 678"),
    ("amount compact kr", "kr 42345678", "kr 42345678"),
    ("amount compact NOK", "42345678 NOK", "42345678 NOK"),
    ("amount dash", "42345678,-", "42345678,-"),
    ("amount decimals", "12 345,50", "12 345,50"),
    ("amount 8 digits with decimals", "42345678,50", "42345678,50"),
    ("years", "fra 1948 til 2026", "fra 1948 til 2026"),
    ("two years", "i 2024 2025 og 2026", "i 2024 2025 og 2026"),
    ("clock", "kl 12:30 og 08.15", "kl 12:30 og 08.15"),
    ("postcode alone", "0150 Oslo", "0150 Oslo"),
    ("Swedish postcode alone", "114 55 Stockholm", "114 55 Stockholm"),
    ("order number 7", "ordre 9123456", "ordre 9123456"),
    ("order number 9", "ordre 912345678", "ordre 912345678"),
    ("ten digits", "1234567890", "1234567890"),
    ("percent", "90 % av tida", "90 % av tida"),
    ("plain text", "Å være sammen med barnebarna 💛", "Å være sammen med barnebarna 💛"),
    # several at once
    (
        "mixed",
        f"Tlf 91234567, e-post ola@example.no, fnr {HAND_FNR}, adresse Storgata 5",
        "Tlf [telefonnummer], e-post [e-post], fnr [fødselsnummer], adresse [adresse]",
    ),
    ("adjacent identifiers", f"{HAND_FNR},91234567", "[fødselsnummer],[telefonnummer]"),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_redact_table(text: str, expected: str) -> None:
    assert redact(text, "nb") == expected


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "[fødselsnummer] [telefonnummer] [e-post] [adresse]"),
        ("nn", "[fødselsnummer] [telefonnummer] [e-post] [adresse]"),
        ("sv", "[personnummer] [telefonnummer] [e-post] [adress]"),
        ("en", "[ID number] [phone number] [email] [address]"),
        ("sv-SE", "[personnummer] [telefonnummer] [e-post] [adress]"),
        ("de", "[fødselsnummer] [telefonnummer] [e-post] [adresse]"),
        ("", "[fødselsnummer] [telefonnummer] [e-post] [adresse]"),
    ],
)
def test_placeholders_speak_the_respondents_language(language: str, expected: str) -> None:
    assert redact(f"{HAND_FNR} 91234567 a@b.no Storgata 5", language) == expected


def test_placeholders_come_from_the_catalogue() -> None:
    assert set(placeholders("nb")) == {"national_id", "bank_account", "phone", "email", "street_address"}
    for language in ("nn", "sv", "en"):
        assert set(placeholders(language)) == set(placeholders("nb"))


def test_findings_name_kind_and_position() -> None:
    text = f"fnr {HAND_FNR}, tlf +47 912 34 567, kari@example.no, Storgata 5B"
    findings = find_identifiers(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [
        ("national_id", HAND_FNR),
        ("phone", "+47 912 34 567"),
        ("email", "kari@example.no"),
        ("street_address", "Storgata 5B"),
    ]
    with pytest.raises(AttributeError):
        findings[0].kind = "phone"  # type: ignore[misc]  # the point: a frozen dataclass refuses it
    assert findings[0] == Finding("national_id", 4, 15)


def test_overlapping_findings_merge_without_leaving_pieces() -> None:
    text = "kari.91234567@example.no"
    assert find_identifiers(text) == [Finding("email", 0, len(text))]
    assert find_identifiers("") == []


# --- properties ---------------------------------------------------------------------------------------------

FILLER = st.lists(
    st.one_of(
        st.characters(categories=("L", "P", "Zs", "So", "Sm", "Mn")),
        st.sampled_from(list("\n\t æøåÆØÅäö-.,:;!?()+@/0123456789")),
        st.sampled_from(["💛", "👍🏽", "🧓", "fnr", "Mitt fødselsnummer er ", "nr:", "tlf", "Storgata", " kr "]),
    ),
    max_size=20,
).map("".join)


def _no_digit_at(text: str, end: bool) -> bool:
    """True when the text does not end (or begin) with a digit: a number glued to more digits is another number."""
    return not text or (text[-1] if end else text[0]) not in "0123456789"


@st.composite
def fnr_texts(draw: st.DrawFn) -> tuple[str, str]:
    date = draw(st.dates(dt.date(1854, 1, 1), dt.date(2039, 12, 31)))
    individual = draw(st.integers(0, 999))
    d_number = draw(st.booleans())
    while (number := fodselsnummer(date, individual, d_number)) is None:
        individual = (individual + 1) % 1000
    written = number[:6] + draw(st.sampled_from(["", " ", "."])) + number[6:]
    before = draw(FILLER.filter(lambda s: _no_digit_at(s, end=True)))
    after = draw(FILLER.filter(lambda s: _no_digit_at(s, end=False)))
    return number, before + written + after


@given(fnr_texts())
@example((HAND_FNR, f"🧓{HAND_FNR}\n"))
@example((HAND_FNR, f"abc{HAND_FNR[:6]}.{HAND_FNR[6:]}def"))
@example((HAND_FNR, f"+47 {HAND_FNR}"))
# deadline=None: phonenumbers loads a country's metadata on first use, so one example may be slow on a busy machine.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_any_valid_fodselsnummer_in_any_text_is_removed(case: tuple[str, str]) -> None:
    number, text = case
    out = redact(text, "nb")
    assert number not in re.sub(r"[ .]", "", out)
    assert number[:6] not in out or number[6:] not in out


@st.composite
def personnummer_texts(draw: st.DrawFn) -> tuple[str, str]:
    date = draw(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)))
    written = personnummer(
        date,
        draw(st.integers(0, 999)),
        coordination=draw(st.booleans()),
        long=draw(st.booleans()),
        sep=draw(st.sampled_from(["-", "+", ""])),
    )
    before = draw(FILLER.filter(lambda s: _no_digit_at(s, end=True)))
    after = draw(FILLER.filter(lambda s: _no_digit_at(s, end=False)))
    return written, before + written + after


@given(personnummer_texts())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_any_valid_personnummer_in_any_text_is_removed(case: tuple[str, str]) -> None:
    written, text = case
    out = redact(text, "sv")
    digits = written.replace("-", "").replace("+", "")
    assert digits[-10:] not in re.sub(r"[-+]", "", out)


FRAGMENTS = st.sampled_from(
    [
        HAND_FNR,
        f"{HAND_FNR[:6]} {HAND_FNR[6:]}",
        SE_TEXTBOOK,
        "91234567",
        "912 34 567",
        "+47",
        "+46 70 123 45 67",
        "070-123 45 67",
        "kari@example.no",
        "@",
        "Storgata 5",
        "0150 Oslo",
        "kr",
        "12 345",
        ",50",
        ",",
        ".",
        "-",
        "+",
        " ",
        "\n",
        "1",
        "2",
        "0",
        "12.05.1948",
        "år",
        "gate",
        "Karl Johans",
        "💛",
    ]
)


@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=12).map("".join))
@settings(max_examples=500, deadline=None)
def test_redact_is_idempotent(text: str) -> None:
    once = redact(text, "nb")
    assert redact(once, "nb") == once


OBFUSCATION = re.compile(r"\b(?:at|krøllalfa|snabel-?a|alfakrøll)\b|\((?:at|a|@)\)|\[(?:at|a|@)\]|\{at\}", re.I)


@given(st.text().filter(lambda s: not any(c in s for c in "0123456789@") and not OBFUSCATION.search(s)))
@example("Å gå tur med hunden, gate og vei, kaffe ☕ og prat\n")
def test_text_without_digits_or_at_sign_is_unchanged(text: str) -> None:
    """Without digits, '@' or a disguised '@' ("at", "(a)", "krøllalfa"...), there is nothing to remove."""
    assert redact(text, "nb") == text
    assert find_identifiers(text) == []


@given(st.lists(FRAGMENTS, max_size=10).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_findings_are_ordered_and_never_overlap(text: str) -> None:
    findings = find_identifiers(text)
    for first, second in pairwise(findings):
        assert first.end <= second.start
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
