"""Step 2: which of nb, nn, sv, da, en an answer is written in, also for answers of two or three words.

Short answers give a dictionary-based detector (simplemma's) too little to go on, and bokmål, nynorsk and Danish
share most of their words, so function words and spelling markers that only one language uses weigh most;
simplemma's per-language dictionaries ("is this word known in sv?") and letters such as ä/ö break the remaining ties.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from analysis import lemmas

LANGUAGES = ("nb", "nn", "sv", "da", "en")

MARKERS: dict[str, frozenset[str]] = {
    "nn": frozenset(
        [
            "eg",
            "ikkje",
            "kva",
            "kven",
            "korleis",
            "kvifor",
            "heime",
            "heim",
            "heimen",
            "vere",
            "noko",
            "nokon",
            "nokre",
            "meir",
            "mykje",
            "berre",
            "eit",
            "ein",
            "ho",
            "dei",
            "frå",
            "sjølv",
            "eigen",
            "eige",
            "eige",
            "kome",
            "kjem",
            "kjeme",
            "ungane",
            "borna",
            "born",
            "høyrt",
            "høyre",
            "tykkjer",
            "veit",
            "kvar",
            "saman",
            "vener",
            "einsam",
            "einsemd",
            "leilegheit",
            "tryggleik",
            "frukost",
            "gjere",
            "utan",
            "dottera",
            "syster",
            "sjukeheim",
            "ete",
            "òg",
            "au",
            "bu",
            "budd",
            "dykk",
            "nokså",
            "mogeleg",
            "mogleg",
            "berre",
            "kyrkja",
            "kyrkje",
            "ringjer",
            "tek",
            "fell",
            "vitjing",
            "lyttar",
            "pleiarar",
            "tilsette",
            "kjende",
            "same",
            "folka",
            "turar",
            "vanleg",
            "smakar",
            "heimelaga",
            "endringar",
            "sjuk",
            "greie",
        ]
    ),
    "nb": frozenset(
        [
            "jeg",
            "ikke",
            "hva",
            "hvem",
            "hvordan",
            "hvorfor",
            "hjemme",
            "hjem",
            "være",
            "noe",
            "noen",
            "mer",
            "mye",
            "bare",
            "ett",
            "hun",
            "fra",
            "sjøl",
            "egen",
            "eget",
            "komme",
            "kommer",
            "ungene",
            "barna",
            "hørt",
            "synes",
            "hver",
            "sammen",
            "venner",
            "ensom",
            "leilighet",
            "trygghet",
            "frokost",
            "gjøre",
            "uten",
            "datteren",
            "søster",
            "sykehjem",
            "spise",
            "også",
            "meg",
            "deg",
            "seg",
            "mine",
            "blir",
            "bli",
            "ble",
            "dem",
            "dere",
            "får",
            "fortsatt",
            "hjemmesykepleien",
            "pleierne",
            "folka",
            "turer",
            "vanlig",
            "smaker",
            "hjemmelaget",
            "endringer",
            "syk",
        ]
    ),
    "da": frozenset(
        [
            "hvad",
            "meget",
            "gerne",
            "nogen",
            "noget",
            "mig",
            "dig",
            "sig",
            "af",
            "efter",
            "børn",
            "børnebørn",
            "lidt",
            "vores",
            "blive",
            "ud",
            "ude",
            "mad",
            "tryghed",
            "hjælp",
            "hjælpe",
            "selskab",
            "helbred",
            "sundhed",
            "vide",
            "bange",
            "rigtig",
            "hjælpere",
            "vigtig",
            "vigtigt",
        ]
    ),
    "sv": frozenset(
        [
            "jag",
            "inte",
            "vad",
            "vem",
            "hur",
            "hemma",
            "hem",
            "vara",
            "något",
            "några",
            "mycket",
            "bara",
            "hon",
            "från",
            "själv",
            "och",
            "att",
            "är",
            "för",
            "mina",
            "kunna",
            "också",
            "känna",
            "träffa",
            "promenad",
            "hemtjänsten",
            "personalen",
            "barnbarn",
            "inget",
            "någon",
            "kommer",
            "komma",
            "vill",
            "viktigt",
        ]
    ),
    "en": frozenset(
        [
            "a",
            "the",
            "and",
            "to",
            "my",
            "is",
            "be",
            "not",
            "with",
            "of",
            "an",
            "that",
            "it",
            "me",
            "being",
            "getting",
            "what",
            "who",
            "how",
            "home",
            "family",
            "my",
            "own",
            "have",
            "having",
            "someone",
            "some",
            "no",
            "nothing",
            "don't",
            "dont",
            "know",
            "really",
        ]
    ),
}
# Shared words count for every language that lists them; words listed once are the decisive ones.
_MARKER_COUNT: dict[str, int] = {}
for _words in MARKERS.values():
    for _word in _words:
        _MARKER_COUNT[_word] = _MARKER_COUNT.get(_word, 0) + 1

SUFFIX_MARKERS: dict[str, tuple[str, ...]] = {
    "da": ("hed", "skab", "lse"),
    "nn": ("leik", "heit", "ane", "ar"),
    "sv": ("het", "tion", "ning", "arna", "orna"),
    "en": ("ing", "tion", "ness"),
}


@lru_cache(maxsize=200_000)
def _known(word: str, language: str) -> bool:
    return lemmas.is_known(word, language)


@lru_cache(maxsize=200_000)
def _word_evidence(word: str, languages: tuple[str, ...]) -> tuple[tuple[float, bool, bool], ...]:
    """Per language: the word's marker weight, whether it ends in a suffix marker, whether the dictionary knows it.
    Cached per word (answers share most of their words): at 100 000 answers these lookups were most of the
    language step. The scores add them in the same order as before, so they are the same to the last bit."""
    return tuple(
        (
            2.0 / _MARKER_COUNT[word] if word in MARKERS[code] else 0.0,
            len(word) > 4 and any(word.endswith(suffix) for suffix in SUFFIX_MARKERS.get(code, ())),
            _known(word, code),
        )
        for code in languages
    )


class LanguageDetector:
    """Scores each candidate language from markers, letters and dictionary coverage; ties go to the default."""

    def __init__(self, languages: Sequence[str] = LANGUAGES, *, default: str = "nb") -> None:
        self.languages = tuple(code for code in languages if code in LANGUAGES) or LANGUAGES
        self.default = default if default in self.languages else self.languages[0]

    def fit(self, texts: Iterable[str] | None = None) -> LanguageDetector:
        return self

    def scores(self, text: str) -> dict[str, float]:
        words = [word.strip("'-") for word in text.lower().split()]
        words = [word for word in words if word]
        scores = {code: 0.0 for code in self.languages}
        if not words:
            return scores
        letters = set(text)
        evidence = [_word_evidence(word, self.languages) for word in words]
        for position, code in enumerate(scores):
            for per_language in evidence:
                marker, suffix, _ = per_language[position]
                if marker:
                    scores[code] += marker
                if suffix:
                    scores[code] += 0.3
            scores[code] += 0.6 * sum(per_language[position][2] for per_language in evidence) / len(words)
        if letters & {"ä", "ö"}:
            self._add(scores, ("sv",), 2.0)
        if letters & {"æ", "ø"}:
            self._add(scores, ("nb", "nn", "da"), 1.5)
        if "å" in letters:
            self._add(scores, ("nb", "nn", "sv", "da"), 0.5)
        return scores

    @staticmethod
    def _add(scores: dict[str, float], codes: tuple[str, ...], amount: float) -> None:
        for code in codes:
            if code in scores:
                scores[code] += amount

    def predict_one(self, text: str) -> str:
        scores = self.scores(text)
        order = [self.default] + [code for code in self.languages if code != self.default]
        best = max(order, key=lambda code: (scores[code], -order.index(code)))
        return best if scores[best] > 0 else self.default

    def predict(self, texts: Iterable[str]) -> list[str]:
        return [self.predict_one(text) for text in texts]
