"""Typed words the engine understands instead of a button press, in the four languages."""

from __future__ import annotations

from datetime import datetime

from surveys.models import as_utc

YES = frozenset({"ja", "jo", "yes", "ok", "okay", "gjerne", "ja takk", "ja tack", "javisst", "ja gjerne", "y"})
NO = frozenset({"nei", "nej", "no", "nei takk", "nej tack", "no thanks", "n"})
NO_MORE = frozenset(
    {
        "nei",
        "nej",
        "no",
        "nei takk",
        "nej tack",
        "det var alt",
        "det var allt",
        "that was all",
        "nothing",
        "ingenting",
        "inget",
        "nope",
        "nei det var alt",
        "nej det var allt",
    }
)
LANGUAGE_WORDS = {
    "nb": frozenset({"nb", "bokmål", "bokmal", "norsk", "norwegian"}),
    "nn": frozenset({"nn", "nynorsk"}),
    "sv": frozenset({"sv", "svenska", "svensk", "swedish"}),
    "en": frozenset({"en", "english", "engelsk", "engelska"}),
}


def norm(text: str) -> str:
    """Lower case, punctuation as spaces, single spaces: "Ja, takk!" and "ja takk" are the same words."""
    return " ".join(text.lower().replace(",", " ").replace(".", " ").replace("!", " ").split())


def language_from_words(words: str) -> str | None:
    for language, names in LANGUAGE_WORDS.items():
        if words in names:
            return language
    return None


def date_text(moment: datetime) -> str:
    return as_utc(moment).strftime("%d.%m.%Y")
