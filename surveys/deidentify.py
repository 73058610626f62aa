"""Replace identifiers in free-text answers with readable placeholders before anything is stored.

Answers to "what matters to you?" are special-category data; a respondent who types an identity number, a phone
number, an account number, an e-mail address or a street address must not have it written to the database, an
export or a log. Every channel and the importer pass answer text through `redact` first.

What is recognised (`Finding.kind`), validated rather than guessed from its shape (python-stdnum and phonenumbers
do the check digits and numbering plans):

- ``national_id``: Norwegian fødselsnummer, D-, H- and FH-numbers (felles hjelpenummer) and the synthetic test
  numbers, both mod-11 control digits; Swedish personnummer and samordningsnummer (Luhn, date, 10 or 12 digits);
  Danish CPR (date, century digit); Finnish henkilötunnus (check character). Written compact or in any grouping
  with spaces, a line break, "-", " - ", "/" or "." ("010180 123 71", "01.01.80 12371", "19940615 7223").
- ``phone``: numbers `phonenumbers` calls valid: Norwegian 8-digit numbers, Swedish numbers with their leading 0,
  and any country's after "+" or "00"; with spaces, hyphens, dots, a slash or parentheses after the area code,
  a line break or double spaces inside ("934-79-821", "33.61.23.18", "(070) 123 45 67", "0044 20 7946 0958").
- ``bank_account``: Norwegian kontonummer (11 digits, mod-11; compact or "1234.56.78903") and IBAN (mod-97).
- ``email``: local@domain.tld, and the usual disguises ("kari at example dot no", "kari(at)example.no",
  "kari(a)example.no", "kari [at] example [dot] no", "kari @ example.no", "kari krøllalfa example punktum no").
- ``street_address``: a street name, house number and optionally postcode and place (surveys.deidentify_addresses).

What stays, on purpose: organisation numbers (9 digits), dates ("12.05.1948", "2026-06-06"), clock times and time
ranges ("kl. 0800-1400"), years ("2024 2025", "1948-1952"), amounts next to a currency or grouped in thousands,
decimals, postcodes on their own, numbers failing their check digits, and names: a person's name is not
removed (see docs/privacy.md; staff screens flag answers that seem to contain one, surveys.names).

An identifier is removed whole or not at all; overlapping findings merge into one span, named after the longest
(then the most specific) member.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from surveys.deidentify_addresses import STREET_ADDRESS, street_addresses
from surveys.deidentify_numbers import BANK_ACCOUNT, NATIONAL_ID, PHONE, finnish_ids, ibans, numbers

__all__ = ["Finding", "find_identifiers", "redact", "placeholders", "all_placeholders", "KINDS"]

EMAIL = "email"
KINDS = (NATIONAL_ID, BANK_ACCOUNT, EMAIL, PHONE, STREET_ADDRESS)  # most specific first: breaks ties
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


@cache
def all_placeholders() -> frozenset[str]:
    """Every placeholder in every language: what a stored answer holds where something was removed."""
    return frozenset(text for table in _catalogue().values() for text in table.values())


def placeholders(language: str) -> dict[str, str]:
    """The placeholder per kind in the respondent's language ("nb-NO" counts as nb); unknown languages get bokmål."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    catalogue = _catalogue()
    return catalogue.get(code) or catalogue[DEFAULT_LANGUAGE]


# --- e-mail addresses ----------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")


_TLDS = "no|se|dk|fi|is|ax|eu|de|uk|nl|fr|es|it|pl|com|net|org|info|biz|nu|online|email|io|me|app|gov|edu|kommune\\.no"
_OBFUSCATED_AT = (
    r"(?:[ \u00a0]*+(?:\((?:at|a|@)\)|\[(?:at|a|@)\]|\{at\})[ \u00a0]*+"
    r"|[ \u00a0]++(?:at|snabel-?a|krøllalfa|alfakrøll|@)[ \u00a0]++|@[ \u00a0]++|[ \u00a0]++@)"
)
_OBFUSCATED_DOT = (
    r"(?:[ \u00a0]*+(?:\(dot\)|\[dot\]|\{dot\}|\(punktum\))[ \u00a0]*+"
    r"|[ \u00a0]++(?:dot|punktum|punkt|prikk)[ \u00a0]++|\.)"
)
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.%+-])[\w.%+-]++{_OBFUSCATED_AT}(?:[\w-]++{_OBFUSCATED_DOT})+(?:{_TLDS})(?![\w-])", re.I
)
# Cheap tests that skip the full pattern for almost every answer: a disguised "@" and a disguised or real dot
# before a top-level domain must both be there.
_AT_WORDS = (" at ", "(a", "[a", "{at", "krøllalfa", "alfakrøll", "snabel", "@")
_DOT_WORDS = (" dot ", "punkt", "prikk", "(dot", "[dot", "{dot")
_DOT_TLD = re.compile(rf"\.(?:{_TLDS})\b", re.I)


def _may_hold_disguised_email(text: str) -> bool:
    lower = text.lower()
    if not any(word in lower for word in _AT_WORDS):
        return False
    return any(word in lower for word in _DOT_WORDS) or _DOT_TLD.search(lower) is not None


def _emails(text: str) -> Iterator[Finding]:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            yield Finding(EMAIL, match.start(), match.end())
    if _may_hold_disguised_email(text):
        for match in _OBFUSCATED_EMAIL.finditer(text):
            yield Finding(EMAIL, match.start(), match.end())


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
        # The common case, a plain-language answer: only a disguised e-mail address could be in it.
        if not _may_hold_disguised_email(text):
            return []
        return _merge([Finding(EMAIL, m.start(), m.end()) for m in _OBFUSCATED_EMAIL.finditer(text)])
    findings = [Finding(kind, start, end) for kind, start, end in (*numbers(text), *ibans(text), *finnish_ids(text))]
    findings += _emails(text)
    findings += [Finding(STREET_ADDRESS, start, end) for start, end in street_addresses(text)]
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
    alone once its neighbour is replaced. Each round shortens the text or removes digits, '@' or an e-mail's words,
    so it ends, and the result is a fixed point: redact(redact(x)) == redact(x).
    """
    while True:
        redacted = _replace_once(text, language)
        if redacted == text:
            return text
        text = redacted
