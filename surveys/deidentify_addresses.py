"""Street addresses in free text: a street name, a house number, optionally a postcode and place.

Part of de-identification (surveys.deidentify); see there for what is recognised and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

STREET_ADDRESS = "street_address"
_SP = r"[ \u00a0]"


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


def street_addresses(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each street address in `text`."""
    for match in _ADDRESS.finditer(text):
        start = _street_start(match)
        if start is None:
            continue
        if not match.group("letter") and not match.group("postal") and _UNITS_AFTER_NUMBER.match(text[match.end() :]):
            continue  # "bodde i Strandveien 40 år": a duration, not a house number
        yield start, match.end()
