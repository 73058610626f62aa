"""Step 1: make answer text comparable (Unicode form, case, emoji, punctuation, stretched letters)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# A few emoji carry the theme on their own ("☕" alone means coffee and company); the rest are dropped.
EMOJI_WORDS = {
    "☕": " kaffe ",
    "🐶": " hund ",
    "🐕": " hund ",
    "🐱": " katt ",
    "🐈": " katt ",
    "🌸": " blomst ",
    "🌷": " blomst ",
    "🌻": " blomst ",
    "🎵": " musikk ",
    "🎶": " musikk ",
    "⛪": " kirke ",
    "🐟": " fisk ",
    "🍰": " kake ",
    "🚶": " tur ",
    "🌲": " skog ",
    "🌳": " skog ",
    "🏠": " hjem ",
    "🏡": " hjem ",
    "💊": " medisin ",
}
# Whole answers that say nothing about what matters ("vet ikke", "ok"): they belong in "other", never in a theme.
NON_ANSWERS = frozenset(
    {
        "vet ikke",
        "veit ikke",
        "vet ikkje",
        "veit ikkje",
        "vet inte",
        "ved ikke",
        "aner ikke",
        "don't know",
        "dont know",
        "i don't know",
        "i dont know",
        "no idea",
        "not sure",
        "usikker",
        "ingen anelse",
        "ingenting",
        "inget",
        "nothing",
        "intet",
        "ingen",
        "nei",
        "nej",
        "no",
        "ja",
        "yes",
        "ok",
        "okay",
        "okei",
        "hmm",
        "hm",
        "test",
        "ingen kommentar",
        "ingen kommentarer",
        "no comment",
        "ikke noe",
        "ikkje noko",
        "inget särskilt",
        "ikke noe spesielt",
        "ikkje noko spesielt",
        "nothing in particular",
        "alt",
        "allt",
        "everything",
        "alt mulig",
        "vet ikke helt",
        "vet ikke hva jeg skal si",
        "vet ikkje kva eg skal seie",
        "vet inte vad jag ska säga",
        "har ikke noe å si",
        "ingenting spesielt",
        "inte vet",
        "-",
        "",
    }
)


def is_non_answer(normalised: str) -> bool:
    return normalised in NON_ANSWERS


_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w\s'’-]+")
_LOOSE_JOINERS = re.compile(r"(?<!\w)['-]+|['-]+(?!\w)")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = re.compile(r"[’`´]")


class Normaliser:
    """NFC + lower case; thematic emoji become words, other symbols and punctuation become spaces.

    Letters repeated three or more times ("sååå", "kaffeeee") are shortened to one, which is right far more often
    than not for Nordic and English words.
    """

    def __init__(self, *, emoji_words: dict[str, str] | None = None) -> None:
        self.emoji_words = EMOJI_WORDS if emoji_words is None else emoji_words

    def fit(self, texts: Iterable[str] | None = None) -> Normaliser:
        return self

    def transform_one(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text or "").lower()
        for emoji, word in self.emoji_words.items():
            if emoji in text:
                text = text.replace(emoji, word)
        text = _APOSTROPHES.sub("'", text)
        text = _REPEATS.sub(r"\1", text)
        text = _NON_WORD.sub(" ", text)
        text = _LOOSE_JOINERS.sub(" ", text)
        return _SPACES.sub(" ", text).strip()

    def transform(self, texts: Iterable[str]) -> list[str]:
        return [self.transform_one(text) for text in texts]
