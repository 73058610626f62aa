"""Which answers seem to name a person, so staff can look before anything is exported.

De-identification keeps names on purpose: "Kari" may be the person themself, a nurse or the dog, and no rule
tells them apart well enough to change what a citizen wrote. Instead the staff answers page flags an answer
when it seems to hold a name, and a manager can replace the names with a placeholder before an export:

- a capitalised word right after a relation or an introduction ("datteren min Kari", "min mann, Ola",
  "my daughter Sarah", "hun heter Berit", "jag heter Anna");
- a capitalised word that is a common Nordic first name (surveys/data/nordic_first_names.txt, written for this
  project); a name that is also an ordinary word ("Per", "Liv", "Hans", "Finn") counts only inside a sentence.

A flag is a hint for a person to check, not a finding: it errs towards flagging.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

NAMES_FILE = Path(__file__).parent / "data" / "nordic_first_names.txt"
NAME_PLACEHOLDER = {"nb": "[navn]", "nn": "[namn]", "sv": "[namn]", "en": "[name]"}

# Names that are also ordinary words in Norwegian, Swedish or English: at a sentence start they are that word.
_ALSO_WORDS = frozenset(
    [
        "per",
        "liv",
        "hans",
        "finn",
        "kalle",
        "tone",
        "gro",
        "odd",
        "even",
        "else",
        "line",
        "iris",
        "stig",
        "tor",
        "rune",
        "kai",
        "bo",
        "vilja",
        "signe",
        "mari",
        "maja",
        "ella",
        "alma",
        "nora",
        "mona",
        "aud",
        "siri",
        "lene",
        "ida",
        "inge",
        "inger",
        "eva",
        "elsa",
        "lisa",
        "sara",
        "ruth",
    ]
)
_RELATIONS = (
    r"datter(?:en|a)?\s+mi[ntn]?|dotter(?:n)?\s+min|sønn(?:en)?\s+min|son(?:en)?\s+min|"
    r"mann(?:en)?\s+min|kon(?:a|en)\s+mi(?:n)?|sambo(?:en)?\s+min|barnebarn(?:et)?\s+mitt|barnbarn(?:et)?\s+mitt|"
    r"venn(?:en|inna|innen)?\s+mi[nt]?|nabo(?:en)?\s+min|bror(?:en)?\s+min|søster(?:en)?\s+mi[n]?|"
    r"syster\s+min|far\s+min|mor\s+mi[n]?|pappa\s+min|mamma\s+mi[n]?|"
    r"min\s+(?:datter|dotter|sønn|son|mann|man|kone|fru|sambo|venn|venninne|nabo|bror|søster|syster|"
    r"pleier|sykepleier|kontaktperson)|mitt\s+barnebarn|mitt\s+barnbarn|"
    r"my\s+(?:daughter|son|husband|wife|partner|friend|neighbour|neighbor|grandson|granddaughter|brother|sister|"
    r"nurse|carer)|"
    r"(?:jeg|eg|hun|han|ho|hon|jag|hen)\s+(?:heter|heiter)|my\s+name\s+is|(?:she|he)\s+is\s+called|"
    r"(?:pleieren|sykepleieren|hjemmesykepleieren|sykepleiaren|undersköterskan)"
)
_AFTER_RELATION = re.compile(
    rf"(?i:\b(?:{_RELATIONS}))[ \u00a0]*,?[ \u00a0]+(?P<name>[A-ZÆØÅÄÖÉ][a-zæøåäöéü]+(?:-[A-ZÆØÅÄÖ][a-zæøåäöéü]+)?)"
)
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÆØÅÄÖÉ][a-zæøåäöéü]+(?:-[A-ZÆØÅÄÖ][a-zæøåäöéü]+)?(?![\w-])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\n]\s*|[\"«(]\s*)$")


@cache
def first_names() -> frozenset[str]:
    """The shipped list, lower case."""
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def name_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of words that seem to be a person's name, in order, never overlapping."""
    spans = {(m.start("name"), m.end("name")) for m in _AFTER_RELATION.finditer(text)}
    names = first_names()
    for match in _CAPITALISED.finditer(text):
        word = match.group().lower()
        if word not in names:
            continue
        if word in _ALSO_WORDS and _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]):
            continue
        spans.add((match.start(), match.end()))
    return sorted(spans)


def mentions_a_name(text: str) -> bool:
    """Whether staff should look at this answer for a person's name before exporting it."""
    return bool(name_spans(text))


def redact_names(text: str, language: str = "nb") -> str:
    """`text` with each flagged name replaced by a placeholder in the answer's language ("[navn]")."""
    placeholder = NAME_PLACEHOLDER.get(language, NAME_PLACEHOLDER["nb"])
    parts: list[str] = []
    position = 0
    for start, end in name_spans(text):
        parts.extend((text[position:start], placeholder))
        position = end
    parts.append(text[position:])
    return "".join(parts)
