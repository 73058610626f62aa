"""Steps 3–5: tokens, stop words with negation kept, and lemmas/stems/compound parts per language.

NLTK's RegexpTokenizer needs no downloaded data (unlike `word_tokenize`); stop words come from the `stop-words`
package (unlike `nltk.corpus.stopwords`); lemmas come from simplemma and stems from NLTK's Snowball stemmers,
both of which ship their data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from stop_words import get_stop_words

from analysis import lemmas

NEGATIONS: dict[str, frozenset[str]] = {
    "nb": frozenset({"ikke", "ikkje", "aldri", "ingen", "uten", "slippe", "unngå", "ei"}),
    "nn": frozenset({"ikkje", "ikke", "aldri", "ingen", "inkje", "utan", "sleppe", "sleppa", "slippe"}),
    "sv": frozenset({"inte", "icke", "aldrig", "ingen", "inga", "utan", "slippa", "undvika"}),
    "da": frozenset({"ikke", "aldrig", "ingen", "uden", "slippe", "undgå"}),
    "en": frozenset({"not", "no", "never", "without", "don't", "dont", "won't", "can't", "avoid", "free"}),
}
NEGATION_PREFIX = "NOT_"

_STOPWORD_SOURCES = {"nb": "norwegian", "nn": "norwegian", "sv": "swedish", "da": "danish", "en": "english"}
# Words the lists lack but that never carry a theme in answers to "what matters to you?".
EXTRA_STOPWORDS: dict[str, set[str]] = {
    "nb": {
        "viktig",
        "viktigst",
        "viktigste",
        "synes",
        "syns",
        "liker",
        "like",
        "veldig",
        "litt",
        "få",
        "får",
        "fikk",
        "kan",
        "kunne",
        "ha",
        "har",
        "mest",
        "mulig",
        "lenge",
        "gjerne",
        "fortsatt",
        "igjen",
        "godt",
        "bra",
        "særlig",
        "spesielt",
        "hele",
        "dag",
        "dagen",
        "mitt",
        "meg",
        "æ",
        "mæ",
        "ka",
        "sjø",
    },
    "nn": {
        "viktig",
        "viktigast",
        "tykkjer",
        "likar",
        "veldig",
        "litt",
        "få",
        "fær",
        "fekk",
        "kan",
        "ha",
        "har",
        "mest",
        "mogleg",
        "gjerne",
        "framleis",
        "godt",
        "bra",
        "kvar",
        "dag",
        "dagen",
        "meg",
        "mykje",
    },
    "sv": {
        "viktigt",
        "viktig",
        "viktigast",
        "tycker",
        "gillar",
        "väldigt",
        "lite",
        "få",
        "får",
        "fick",
        "kan",
        "kunna",
        "ha",
        "har",
        "mest",
        "gärna",
        "fortfarande",
        "bra",
        "dag",
        "dagen",
        "mig",
        "ibland",
    },
    "da": {"vigtig", "vigtigt", "synes", "kan", "have", "har", "få", "får", "meget", "gerne", "godt", "dag", "mig"},
    "en": {
        "important",
        "matters",
        "matter",
        "like",
        "really",
        "very",
        "bit",
        "lot",
        "get",
        "getting",
        "day",
        "days",
        "every",
        "things",
        "thing",
        "want",
    },
}
_TOKEN_PATTERN = r"[^\W\d_]+(?:[-'][^\W\d_]+)*"


@dataclass(frozen=True, slots=True)
class Token:
    """One word of an answer: its surface form, lemma, stem and compound parts, and whether it is negated."""

    surface: str
    lemma: str
    stem: str
    head: str | None  # last part of a compound ("alarm" in "trygghetsalarm"), when it splits into known words
    modifier: str | None  # first part of a compound ("trygghet")
    negation: str | None  # the negation word that applies to this word ("ikke"), if any
    stop: bool

    @property
    def negated(self) -> bool:
        return self.negation is not None

    @property
    def feature(self) -> str:
        return (NEGATION_PREFIX if self.negated else "") + self.lemma


class Tokenizer:
    """Word tokens with NLTK's RegexpTokenizer; hyphenated words ("tt-kort") stay one token."""

    def __init__(self, pattern: str = _TOKEN_PATTERN) -> None:
        self._tokenizer = RegexpTokenizer(pattern)

    def fit(self, texts: Iterable[str] | None = None) -> Tokenizer:
        return self

    def transform_one(self, text: str) -> list[str]:
        return list(self._tokenizer.tokenize(text))


@lru_cache(maxsize=8)
def stopwords_for(language: str, keep: frozenset[str] = frozenset()) -> frozenset[str]:
    """The package's list plus our additions, minus negation words and minus any word the caller keeps (seeds)."""
    base = set(get_stop_words(_STOPWORD_SOURCES.get(language, "norwegian")))
    base |= EXTRA_STOPWORDS.get(language, set())
    base -= NEGATIONS.get(language, frozenset())
    return frozenset(base - keep)


_STEMMERS = {code: SnowballStemmer(name) for code, name in _STOPWORD_SOURCES.items()}
_LINKING = ("s", "e")


@lru_cache(maxsize=500_000)
def analyse_word(word: str, language: str) -> tuple[str, str, str | None, str | None]:
    """(lemma, stem, compound head, compound modifier) for one word, cached because answers repeat words a lot."""
    lemma = lemmas.lemmatize(word, language)
    if lemma != word and len(lemma) < 3 <= len(word):
        lemma = word  # simplemma maps some short forms onto unrelated two-letter lemmas
    stem = _STEMMERS[language].stem(word)
    head, modifier = split_compound(lemma, language)
    return lemma, stem, head, modifier


MIN_MODIFIER = 4  # letters; "kul|tur" (kultur) and "all|tid" (alltid) are not compounds


@lru_cache(maxsize=500_000)
def split_compound(word: str, language: str) -> tuple[str | None, str | None]:
    """Split a compound into two known words ("trygghetsalarm" -> "alarm", "trygghet").

    Both parts must be known to the language's dictionary, the head of at least three letters and the first part of
    at least four, so short words hidden inside another word ("kultur" is not "kul" + "tur", "alltid" is not "all"
    + "tid") are not taken for compounds. A linking "s" or "e" after the first part is preferred over a head that
    starts with it ("søndag-s-tur", not "søndag" + "stur"). Hyphenated words split on the hyphen.
    """
    if "-" in word:
        first, _, last = word.rpartition("-")
        return (last or None), (first or None)
    if len(word) < 7 or language == "en":
        return None, None
    best: tuple[tuple[int, int], str, str] | None = None
    for cut in range(MIN_MODIFIER, len(word) - 2):
        left, right = word[:cut], word[cut:]
        if not _is_known(right, language):
            continue
        candidates = [(left, 0)] + [
            (left[:-1], 1) for suffix in _LINKING if left.endswith(suffix) and len(left) > MIN_MODIFIER
        ]
        for candidate, linked in candidates:
            if len(candidate) >= MIN_MODIFIER and _is_known(candidate, language):
                rank = (linked, len(right))
                if best is None or rank > best[0]:
                    best = (rank, right, candidate)
    return (best[1], best[2]) if best else (None, None)


@lru_cache(maxsize=500_000)
def _is_known(word: str, language: str) -> bool:
    return len(word) >= 3 and lemmas.is_known(word, language)


class TokenAnalyser:
    """Tokens -> `Token`s: lemma, stem, compound parts, stop-word flag, and negation carried to the next content word.

    Negation scope is the next content word: "ikke være alene" -> NOT_alene, so it is a different feature from
    "være alene"; the negation word itself is dropped once it has been attached.
    """

    def __init__(self, *, keep: frozenset[str] = frozenset()) -> None:
        self.keep = keep
        self.tokenizer = Tokenizer()

    def fit(self, texts: Iterable[str] | None = None) -> TokenAnalyser:
        return self

    def transform_one(self, text: str, language: str) -> list[Token]:
        stop = stopwords_for(language, self.keep)
        negations = NEGATIONS.get(language, frozenset()) | NEGATIONS["en"] if language != "en" else NEGATIONS["en"]
        tokens: list[Token] = []
        pending: str | None = None
        for word in self.tokenizer.transform_one(text):
            if word in negations and word not in self.keep:
                pending = word
                continue
            lemma, stem, head, modifier = analyse_word(word, language)
            is_stop = word in stop or lemma in stop
            tokens.append(Token(word, lemma, stem, head, modifier, None if is_stop else pending, is_stop))
            if not is_stop:
                pending = None
        return tokens
