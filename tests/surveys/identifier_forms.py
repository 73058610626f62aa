"""Our own generator of identifiers in the written forms people use, and of look-alikes that must stay.

Frozen on purpose: it was written before the de-identification it measures was changed, from the forms named in
issue 12 (a review's findings) and from how Norwegians, Swedes, Danes and Finns write these numbers. Every number
is built with check-digit code written here (not imported from surveys.deidentify or python-stdnum), and phone
numbers use the numbering plans' ranges; `self_check()` confirms each one with the independent validators
(python-stdnum, phonenumbers), so a mistake in this generator shows as a failed self-check, not as a wrong score.

`identifier_samples()` gives (text, kind, form, identifier) with the identifier inside an ordinary sentence that has
no other digits; `lookalike_samples()` gives (text, form) sentences with dates, times, amounts, organisation numbers
and other numbers that de-identification must leave exactly as they are.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SEED = 20260606
PER_FORM = 40

FNR_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
FNR_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
KONTO_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
HETU_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


@dataclass(frozen=True)
class Sample:
    text: str
    kind: str  # "national_id", "phone", "email", "bank_account", "street_address"
    form: str  # a short name of the written form, for the per-form report
    identifier: str  # the identifier exactly as written inside `text`


@dataclass(frozen=True)
class LookAlike:
    text: str
    form: str


# --- check digits (our own) ----------------------------------------------------------------------------------


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def _luhn_check(payload: str) -> str:
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _random_date(rng: random.Random, first: int = 1925, last: int = 2023) -> dt.date:
    start = dt.date(first, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(last, 12, 31).toordinal()))


def norwegian_id(rng: random.Random, variant: str = "fnr") -> str:
    """fnr, D-nummer (day + 40), H-nummer (month + 40) or FH-nummer (first digit 8/9, random, two checks)."""
    while True:
        if variant == "fh":
            nine = str(rng.choice((8, 9))) + "".join(rng.choice(string.digits) for _ in range(8))
        else:
            date = _random_date(rng)
            day = date.day + (40 if variant == "dnr" else 0)
            month = date.month + (40 if variant == "hnr" else 0)
            individual = rng.randint(0, 499) if date.year < 2000 else rng.randint(500, 999)
            nine = f"{day:02d}{month:02d}{date.year % 100:02d}{individual:03d}"
        k1 = _mod11(nine, FNR_WEIGHTS_1)
        if k1 is None:
            continue
        k2 = _mod11(nine + str(k1), FNR_WEIGHTS_2)
        if k2 is None:
            continue
        return f"{nine}{k1}{k2}"


def swedish_id(rng: random.Random, coordination: bool = False) -> tuple[str, str]:
    """(century "19"/"20", ten digits YYMMDDNNNC) of a personnummer or samordningsnummer (day + 60)."""
    date = _random_date(rng, 1930, 2015)
    day = date.day + (60 if coordination else 0)
    nine = f"{date.year % 100:02d}{date.month:02d}{day:02d}{rng.randint(1, 999):03d}"
    return str(date.year // 100), nine + _luhn_check(nine)


def danish_cpr(rng: random.Random) -> str:
    """DDMMYYSSSS; the first serial digit agrees with the century (0-3 for 1900-1999, 4 for 2000-2036)."""
    date = _random_date(rng, 1930, 2015)
    first = str(rng.randint(0, 3)) if date.year < 2000 else "4"
    return f"{date.day:02d}{date.month:02d}{date.year % 100:02d}{first}{rng.randint(0, 999):03d}"


def finnish_hetu(rng: random.Random) -> str:
    """DDMMYY, century sign, individual number 002-899, check character (number mod 31)."""
    date = _random_date(rng, 1930, 2015)
    sign = "-" if date.year < 2000 else "A"
    individual = f"{rng.randint(2, 899):03d}"
    body = f"{date.day:02d}{date.month:02d}{date.year % 100:02d}"
    return f"{body}{sign}{individual}{HETU_CHARS[int(body + individual) % 31]}"


def kontonummer(rng: random.Random) -> str:
    """A Norwegian bank account number: four-digit bank code, six more digits, mod-11 check digit."""
    while True:
        ten = str(rng.randint(1000, 9999)) + "".join(rng.choice(string.digits) for _ in range(6))
        check = _mod11(ten, KONTO_WEIGHTS)
        if check is not None:
            return ten + str(check)


def orgnr(rng: random.Random) -> str:
    """A Norwegian organisation number: 9 digits starting 8 or 9, mod-11 check digit."""
    while True:
        eight = str(rng.choice((8, 9))) + "".join(rng.choice(string.digits) for _ in range(7))
        check = _mod11(eight, ORGNR_WEIGHTS)
        if check is not None:
            return eight + str(check)


def iban(rng: random.Random, country: str) -> str:
    """An IBAN with correct mod-97 check digits for a random BBAN of the country's length."""
    lengths = {"NO": 11, "SE": 20, "DK": 14, "FI": 14, "DE": 18}
    if country == "NO":  # noqa: SIM108 - the generator is frozen
        bban = kontonummer(rng)
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(lengths[country]))
    rearranged = bban + "".join(str(ord(c) - 55) for c in country) + "00"
    check = 98 - int(rearranged) % 97
    return f"{country}{check:02d}{bban}"


def _valid_phone(number: str, region: str | None = None) -> bool:
    import phonenumbers

    return phonenumbers.is_valid_number(phonenumbers.parse(number, region))


def norwegian_phone(rng: random.Random) -> str:
    """Eight digits from the Norwegian numbering plan's ranges, kept only when phonenumbers calls them valid."""
    while not _valid_phone(number := _norwegian_phone_candidate(rng), "NO"):
        pass
    return number


def _norwegian_phone_candidate(rng: random.Random) -> str:
    first = rng.choice(["4", "9", "9", "4", "2", "3", "5", "6", "7"])
    second = {
        "4": "01234567 8",
        "9": "0123456789",
        "2": "123",
        "3": "1235678",
        "5": "123567",
        "6": "12345679",
        "7": "0123457",
    }[first].replace(" ", "")
    return first + rng.choice(second) + "".join(rng.choice(string.digits) for _ in range(6))


def swedish_phone(rng: random.Random, kind: str) -> tuple[str, str]:
    """(area code with its 0, subscriber number) for a mobile (07x) or a landline (08, 031, 040, 018...)."""
    while True:
        area, subscriber = _swedish_phone_candidate(rng, kind)
        if _valid_phone(area + subscriber, "SE"):
            return area, subscriber


def _swedish_phone_candidate(rng: random.Random, kind: str) -> tuple[str, str]:
    if kind == "mobile":
        return "07" + rng.choice("02369"), "".join(rng.choice(string.digits) for _ in range(7))
    area = rng.choice(["08", "031", "040", "018", "013", "019"])
    length = 8 if area == "08" else 7 if len(area) == 3 else 6
    return area, str(rng.randint(2, 8)) + "".join(rng.choice(string.digits) for _ in range(length - 1))


FOREIGN = [  # country code, a national number shape (x = random digit) known to be valid
    ("44", "20 7946 xxxx"),
    ("44", "7700 9xx xxx"),
    ("49", "30 1234xxxx"),
    ("358", "40 123 xxxx"),
    ("45", "32 12 xx xx"),
    ("33", "6 12 34 xx xx"),
    ("1", "415 555 xxxx"),
    ("48", "512 345 xxx"),
]


# --- written forms ---------------------------------------------------------------------------------------------


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, position = [], 0
    for size in sizes:
        parts.append(digits[position : position + size])
        position += size
    return sep.join(parts)


TEMPLATES = [
    "Ring meg på {x} hvis noe skjer",
    "Fødselsnummeret mitt er {x}.",
    "nummeret er {x} og jeg bor alene",
    "{x}",
    "Mitt nr: {x}, takk for at dere spør",
    "Du kan skrive det ned: {x}\nHilsen Kari",
    "Att få vara hemma. Mitt nummer är {x}",
    "Please call {x} when you come",
    "(se {x})",
    "Datteren min har {x} hvis dere lurer",
]


def _sentences(rng: random.Random, identifier: str) -> str:
    return rng.choice(TEMPLATES).format(x=identifier)


def _forms() -> dict[str, tuple[str, Callable[[random.Random], str]]]:
    """form name -> (kind, a function writing one identifier in that form)."""
    nid, phone, email, bank = "national_id", "phone", "email", "bank_account"

    def fnr(variant: str, sizes: tuple[int, ...], sep: str) -> Callable[[random.Random], str]:
        return lambda rng: _group(norwegian_id(rng, variant), sizes, sep)

    def dotted_date(rng: random.Random) -> str:
        number = norwegian_id(rng)
        return f"{number[0:2]}.{number[2:4]}.{number[4:6]} {number[6:]}"

    def se(long: bool, sep: str, coordination: bool = False) -> Callable[[random.Random], str]:
        def write(rng: random.Random) -> str:
            century, ten = swedish_id(rng, coordination)
            head = (century if long else "") + ten[:6]
            return f"{head}{sep}{ten[6:]}"

        return write

    def no_phone(sizes: tuple[int, ...], sep: str, prefix: str = "") -> Callable[[random.Random], str]:
        return lambda rng: prefix + _group(norwegian_phone(rng), sizes, sep)

    def se_phone(kind: str, style: str) -> Callable[[random.Random], str]:
        def write(rng: random.Random) -> str:
            area, subscriber = swedish_phone(rng, kind)
            tail = _group(
                subscriber, (3, 2, 2) if len(subscriber) == 7 else (3, 3, 2) if len(subscriber) == 8 else (2, 2, 2), " "
            )
            if style == "dash":
                return f"{area}-{tail}"
            if style == "slash":
                return f"{area}/{tail}"
            if style == "paren":
                return f"({area}) {tail}"
            if style == "compact":
                return area + subscriber
            if style == "plus":
                return f"+46 {area[1:]} {tail}"
            if style == "0046":
                return f"0046 {area[1:]}-{tail}"
            return f"{area} {tail}"

        return write

    def foreign(prefix: str) -> Callable[[random.Random], str]:
        def write(rng: random.Random) -> str:
            while True:
                country, shape = rng.choice(FOREIGN)
                national = "".join(rng.choice(string.digits) if c == "x" else c for c in shape)
                if _valid_phone(f"+{country}{national.replace(' ', '')}"):
                    break
            return f"{prefix}{country} {national}"

        return write

    def mail(style: str) -> Callable[[random.Random], str]:
        def write(rng: random.Random) -> str:
            user = rng.choice(["kari", "ola.nordmann", "anne-lise", "per_olsen", "bjørg", "sven.svensson", "m.hansen"])
            host = rng.choice(["example", "epost", "kommune", "online", "gmail"])
            tld = rng.choice(["no", "se", "com", "net", "dk"])
            return {
                "plain": f"{user}@{host}.{tld}",
                "at-dot": f"{user} at {host} dot {tld}",
                "paren-at": f"{user}(at){host}.{tld}",
                "paren-a": f"{user}(a){host}.{tld}",
                "bracket": f"{user} [at] {host} [dot] {tld}",
                "spaced": f"{user} @ {host}.{tld}",
                "krollalfa": f"{user} krøllalfa {host} punktum {tld}",
            }[style]

        return write

    def konto(sizes: tuple[int, ...], sep: str) -> Callable[[random.Random], str]:
        return lambda rng: _group(kontonummer(rng), sizes, sep)

    def iban_form(country: str, spaced: bool) -> Callable[[random.Random], str]:
        def write(rng: random.Random) -> str:
            value = iban(rng, country)
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if spaced else value

        return write

    def cpr(sep: str) -> Callable[[random.Random], str]:
        return lambda rng: _group(danish_cpr(rng), (6, 4), sep)

    forms: dict[str, tuple[str, Callable[[random.Random], str]]] = {
        "fnr compact": (nid, fnr("fnr", (11,), "")),
        "fnr 6 5": (nid, fnr("fnr", (6, 5), " ")),
        "fnr 6-5": (nid, fnr("fnr", (6, 5), "-")),
        "fnr 6.5": (nid, fnr("fnr", (6, 5), ".")),
        "fnr slash": (nid, fnr("fnr", (6, 5), "/")),
        "fnr double space": (nid, fnr("fnr", (6, 5), "  ")),
        "fnr line break": (nid, fnr("fnr", (6, 5), "\n")),
        "fnr spaced dash": (nid, fnr("fnr", (6, 5), " - ")),
        "fnr 2-2-2-3-2": (nid, fnr("fnr", (2, 2, 2, 3, 2), " ")),
        "fnr 3-3-3-2": (nid, fnr("fnr", (3, 3, 3, 2), " ")),
        "fnr 6-3-2": (nid, fnr("fnr", (6, 3, 2), " ")),
        "fnr dd.mm.yy nnnnn": (nid, dotted_date),
        "d-nummer compact": (nid, fnr("dnr", (11,), "")),
        "d-nummer 6 5": (nid, fnr("dnr", (6, 5), " ")),
        "h-nummer compact": (nid, fnr("hnr", (11,), "")),
        "fh-nummer compact": (nid, fnr("fh", (11,), "")),
        "fh-nummer 6 5": (nid, fnr("fh", (6, 5), " ")),
        "fh-nummer 3-3-3-2": (nid, fnr("fh", (3, 3, 3, 2), " ")),
        "se 6-4": (nid, se(False, "-")),
        "se 10": (nid, se(False, "")),
        "se 8-4": (nid, se(True, "-")),
        "se 12": (nid, se(True, "")),
        "se 8 4 space": (nid, se(True, " ")),
        "se 6 4 space": (nid, se(False, " ")),
        "se 8 - 4": (nid, se(True, " - ")),
        "se samordning": (nid, se(False, "-", coordination=True)),
        "dk cpr 6-4": (nid, cpr("-")),
        "dk cpr 10": (nid, cpr("")),
        "dk cpr 6 4": (nid, cpr(" ")),
        "fi hetu": (nid, finnish_hetu),
        "no phone compact": (phone, no_phone((8,), "")),
        "no phone 3-2-3": (phone, no_phone((3, 2, 3), " ")),
        "no phone 2-2-2-2": (phone, no_phone((2, 2, 2, 2), " ")),
        "no phone 4-4": (phone, no_phone((4, 4), " ")),
        "no phone 3-3-2": (phone, no_phone((3, 3, 2), " ")),
        "no phone hyphens 3-2-3": (phone, no_phone((3, 2, 3), "-")),
        "no phone hyphens 2-2-2-2": (phone, no_phone((2, 2, 2, 2), "-")),
        "no phone dots 2-2-2-2": (phone, no_phone((2, 2, 2, 2), ".")),
        "no phone dots 3-2-3": (phone, no_phone((3, 2, 3), ".")),
        "no phone double space": (phone, no_phone((3, 2, 3), "  ")),
        "no phone line break": (phone, no_phone((3, 5), "\n")),
        "no phone +47": (phone, no_phone((3, 2, 3), " ", "+47 ")),
        "no phone +47 compact": (phone, no_phone((8,), "", "+47")),
        "no phone 0047": (phone, no_phone((2, 2, 2, 2), " ", "0047 ")),
        "no phone (+47)": (phone, no_phone((3, 2, 3), " ", "(+47) ")),
        "se mobile dash": (phone, se_phone("mobile", "dash")),
        "se mobile slash": (phone, se_phone("mobile", "slash")),
        "se mobile paren": (phone, se_phone("mobile", "paren")),
        "se mobile compact": (phone, se_phone("mobile", "compact")),
        "se mobile spaces": (phone, se_phone("mobile", "spaces")),
        "se mobile +46": (phone, se_phone("mobile", "plus")),
        "se mobile 0046": (phone, se_phone("mobile", "0046")),
        "se landline dash": (phone, se_phone("landline", "dash")),
        "se landline compact": (phone, se_phone("landline", "compact")),
        "se landline paren": (phone, se_phone("landline", "paren")),
        "foreign +": (phone, foreign("+")),
        "foreign 00": (phone, foreign("00")),
        "email plain": (email, mail("plain")),
        "email at dot": (email, mail("at-dot")),
        "email (at)": (email, mail("paren-at")),
        "email (a)": (email, mail("paren-a")),
        "email [at] [dot]": (email, mail("bracket")),
        "email spaced @": (email, mail("spaced")),
        "email krøllalfa": (email, mail("krollalfa")),
        "kontonummer compact": (bank, konto((11,), "")),
        "kontonummer dotted": (bank, konto((4, 2, 5), ".")),
        "kontonummer spaced": (bank, konto((4, 2, 5), " ")),
        "iban no spaced": (bank, iban_form("NO", True)),
        "iban no compact": (bank, iban_form("NO", False)),
        "iban se spaced": (bank, iban_form("SE", True)),
        "iban dk spaced": (bank, iban_form("DK", True)),
        "iban fi compact": (bank, iban_form("FI", False)),
        "iban de spaced": (bank, iban_form("DE", True)),
    }
    return forms


def identifier_samples(per_form: int = PER_FORM, seed: int = SEED) -> list[Sample]:
    rng = random.Random(seed)
    samples = []
    for form, (kind, write) in _forms().items():
        for _ in range(per_form):
            identifier = write(rng)
            samples.append(Sample(_sentences(rng, identifier), kind, form, identifier))
    return samples


# --- look-alikes -----------------------------------------------------------------------------------------------


def _lookalike_writers() -> dict[str, Callable[[random.Random], str]]:
    def date(rng: random.Random) -> str:
        day = _random_date(rng, 1920, 2030)
        return rng.choice(
            [
                day.strftime("%d.%m.%Y"),
                day.strftime("%d.%m.%y"),
                day.strftime("%Y-%m-%d"),
                day.strftime("%d/%m/%Y"),
                f"{day.day}.{day.month}.{day.year}",
            ]
        )

    def time_range(rng: random.Random) -> str:
        start, end = rng.randint(6, 12), rng.randint(13, 22)
        minutes = rng.choice(["00", "15", "30", "45"])
        return rng.choice(
            [
                f"kl. {start:02d}{minutes}-{end:02d}00",
                f"kl {start:02d}.{minutes}-{end:02d}.00",
                f"{start:02d}:{minutes}–{end:02d}:00",
                f"mellom {start:02d}{minutes} og {end:02d}00",
                f"kl. {start:02d}{minutes} - {end:02d}00",
                f"fra kl. {start:02d}.{minutes} til {end:02d}.{minutes}",
            ]
        )

    def amount(rng: random.Random) -> str:
        value = rng.randint(10, 99_999_999)
        grouped = f"{value:,}".replace(",", " ")
        return rng.choice(
            [
                f"kr {grouped}",
                f"{grouped} kr",
                f"{value},-",
                f"NOK {value}",
                f"{grouped} kroner",
                f"kr {value},50",
                f"€ {grouped}",
            ]
        )

    def organisation(rng: random.Random) -> str:
        number = orgnr(rng)
        spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
        return rng.choice(
            [f"org.nr. {spaced}", f"orgnr {number}", f"Org.nr: {spaced} MVA", f"organisasjonsnummer {number}"]
        )

    def years(rng: random.Random) -> str:
        first = rng.randint(1930, 2020)
        return rng.choice([f"{first}", f"fra {first} til {first + 4}", f"{first}-{first + 3}", f"{first} {first + 1}"])

    def measure(rng: random.Random) -> str:
        return rng.choice(
            [
                f"{rng.randint(2, 9)} ganger i uka",
                f"{rng.randint(40, 120)} kg",
                f"1,{rng.randint(50, 95)} m",
                f"{rng.randint(60, 100)} år",
                f"{rng.randint(1, 100)} %",
                f"2 x {rng.choice([250, 500, 1000])} mg",
                f"rom {rng.randint(100, 450)}",
                f"buss {rng.randint(1, 150)}",
            ]
        )

    def case_number(rng: random.Random) -> str:
        return rng.choice(
            [
                f"saksnummer {rng.randint(2015, 2026)}/{rng.randint(1, 9999)}",
                f"sak {rng.randint(15, 26)}/{rng.randint(1, 99999):05d}-{rng.randint(1, 9)}",
                f"ref. {rng.randint(2015, 2026)}/{rng.randint(1000, 9999)}",
            ]
        )

    def broken_11(rng: random.Random) -> str:
        """11 digits that pass none of the checks (fødselsnummer, FH, kontonummer)."""
        while True:
            number = "".join(rng.choice(string.digits) for _ in range(11))
            k1 = _mod11(number[:9], FNR_WEIGHTS_1)
            k2 = _mod11(number[:10], FNR_WEIGHTS_2)
            konto = _mod11(number[:10], KONTO_WEIGHTS)
            if (k1, k2) != (int(number[9]), int(number[10])) and konto != int(number[10]):
                return number

    def short_phone_like(rng: random.Random) -> str:
        """Eight digits that cannot be a Norwegian number (first digit 0 or 1) or a postcode with its place."""
        return rng.choice(
            [
                f"1{rng.randint(0, 9_999_999):07d}",
                f"{rng.randint(1000, 9999)} {rng.choice(['Oslo', 'Bergen', 'Tromsø', 'Sandnes'])}",
                f"postnummer {rng.randint(1000, 9999)}",
            ]
        )

    def decimal(rng: random.Random) -> str:
        return rng.choice(
            [
                f"{rng.randint(1, 99)},{rng.randint(1, 99)}",
                f"versjon {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
            ]
        )

    return {
        "date": date,
        "time range": time_range,
        "amount": amount,
        "organisation number": organisation,
        "year": years,
        "measure": measure,
        "case number": case_number,
        "11 digits failing checks": broken_11,
        "not a phone": short_phone_like,
        "decimal or version": decimal,
    }


LOOKALIKE_TEMPLATES = [
    "Jeg er født {x} og bor hjemme",
    "Hjemmetjenesten kommer {x}, det passer fint",
    "Det kostet {x} i fjor",
    "{x}",
    "Vi betalte til Omsorg AS, {x}, for tryggingsalarmen",
    "Att få komma ut {x}",
    "Visits {x} would be nice",
]


def lookalike_samples(per_form: int = PER_FORM * 3, seed: int = SEED + 1) -> list[LookAlike]:
    rng = random.Random(seed)
    samples = []
    for form, write in _lookalike_writers().items():
        for _ in range(per_form):
            samples.append(LookAlike(rng.choice(LOOKALIKE_TEMPLATES).format(x=write(rng)), form))
    return samples


# --- self-check with independent validators -----------------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def self_check(samples: list[Sample]) -> Iterator[str]:
    """Problems with generated identifiers, judged by python-stdnum and phonenumbers (empty when all is well)."""
    import phonenumbers
    from stdnum import iban as std_iban
    from stdnum.dk import cpr as std_cpr
    from stdnum.fi import hetu as std_hetu
    from stdnum.no import fodselsnummer as std_fnr
    from stdnum.no import kontonr as std_konto
    from stdnum.se import personnummer as std_pnr

    for sample in samples:
        value, form = sample.identifier, sample.form
        ok = True
        if form.startswith(("fnr", "d-nummer")):
            ok = std_fnr.is_valid(_digits(value))
        elif form.startswith(("h-nummer", "fh-nummer")):
            digits = _digits(value)
            ok = _mod11(digits[:9], FNR_WEIGHTS_1) == int(digits[9]) and _mod11(digits[:10], FNR_WEIGHTS_2) == int(
                digits[10]
            )
        elif form.startswith("se ") and sample.kind == "national_id":
            digits = _digits(value)
            ok = std_pnr.is_valid(digits[-10:-4] + "-" + digits[-4:]) if "samordning" not in form else True
        elif form.startswith("dk cpr"):
            ok = std_cpr.is_valid(_digits(value))
        elif form == "fi hetu":
            ok = std_hetu.is_valid(value)
        elif form.startswith("kontonummer"):
            ok = std_konto.is_valid(_digits(value))
        elif form.startswith("iban"):
            ok = std_iban.is_valid(value)
        elif sample.kind == "phone":
            if form.startswith("no phone"):
                number = phonenumbers.parse(_digits(value)[-8:], "NO")
            elif form.startswith("se "):
                digits = _digits(value)
                if value.startswith(("+46", "0046")):
                    number = phonenumbers.parse("+" + digits.removeprefix("00"))
                else:
                    number = phonenumbers.parse(digits, "SE")
            else:
                number = phonenumbers.parse("+" + _digits(value).removeprefix("00"))
            ok = phonenumbers.is_valid_number(number)
        if not ok:
            yield f"{form}: {value!r} is not valid by the independent validator"
