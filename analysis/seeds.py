"""Seed-term evidence: which taxonomy themes an answer clearly talks about, through whole words, listed inflections
and compound heads, never through arbitrary word parts ("kultur" does not contain the seed "tur")."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.taxonomy import Taxonomy
from analysis.tokens import NEGATIONS, Token, TokenAnalyser

FULL, HEAD, MODIFIER, PHRASE = 1.0, 0.8, 0.4, 1.5
MIN_PART = 3  # letters; shorter seeds and keys match whole words only
OTHER_EVIDENCE = 0.5  # further seeds of a theme add half their weight: many weak hints never make one strong one
# Inflectional endings a seed may carry ("barn" -> "barna", "barnets"; "friend" -> "friends"), longest first.
INFLECTIONS: dict[str, tuple[str, ...]] = {
    "scand": tuple(
        sorted(
            {
                "a",
                "e",
                "n",
                "r",
                "s",
                "t",
                "en",
                "et",
                "er",
                "ar",
                "or",
                "na",
                "ne",
                "ns",
                "ts",
                "rs",
                "ene",
                "ane",
                "ere",
                "are",
                "ets",
                "ens",
                "ers",
                "ernes",
                "erne",
                "arna",
                "orna",
                "erna",
                "ena",
                "ande",
                "ende",
            },
            key=lambda ending: (-len(ending), ending),
        )
    ),
    "en": ("ies", "ing", "es", "ed", "'s", "s"),
}


def language_group(language: str) -> str:
    """Scandinavian seeds match each other's answers (shared words, and nb/nn/da are easily mistaken)."""
    return "en" if language == "en" else "scand"


@dataclass(frozen=True, slots=True)
class Seed:
    theme: str
    term: str
    group: str
    negated: bool
    words: tuple[frozenset[str], ...]  # per word: surface, lemma and stem keys


def _keys(token: Token) -> frozenset[str]:
    """Surface and lemma. Not the stem: Snowball cuts "tidlig" to "tid" and "turen" to "tur" alike."""
    keys = {token.surface}
    if len(token.lemma) >= MIN_PART:
        keys.add(token.lemma)
    return frozenset(keys)


@functools.lru_cache(maxsize=200_000)
def base_forms(word: str, group: str) -> tuple[str, ...]:
    """`word` without one listed inflectional ending, for bases of at least MIN_PART letters. Cached: answers share
    most of their words, and this scan of every ending was a sixth of the 100 000-answer run's seed step."""
    return tuple(
        word[: -len(ending)]
        for ending in INFLECTIONS.get(group, ())
        if word.endswith(ending) and len(word) - len(ending) >= MIN_PART
    )


def seed_vocabulary(taxonomy: Taxonomy) -> frozenset[str]:
    """Seed words are content words by definition, so stop-word lists must not remove them."""
    words = set()
    for theme in taxonomy.themes:
        for language, terms in theme.seeds.items():
            negations = NEGATIONS.get(language, frozenset()) | NEGATIONS["en"]
            for term in terms:
                parts = term.split()
                if len(parts) == 1:
                    words.add(term)
                elif parts[0] in negations:
                    words.update(parts[1:])  # "ikke alene": "alene" must survive to carry the negation
    return frozenset(words)


class SeedMatcher:
    """Scores each answer's tokens against the taxonomy's seeds.

    Weights: whole word (surface, lemma, or the word less a listed inflection) 1.0; the head of a compound ("alarm"
    in "trygghetsalarmen") 0.8; the first part of a compound 0.4; a phrase seed ("gå tur", "bli sett") 1.5 on top of
    its words. Each seed counts once per answer; a theme's score is its best seed plus half the rest, so weak hints
    summed across related seeds do not add up to a match. A negated seed ("ikke alene") matches
    only a negated word; a plain seed matches a word whether negated or not, because "ikke ha smerter" is still
    about health.
    """

    def __init__(self, taxonomy: Taxonomy, analyser: TokenAnalyser, languages: Sequence[str] | None = None) -> None:
        """`languages`: the campaign's languages. Seeds in other languages match by surface form and inflection
        only, so their lemma dictionaries (tens of MB each) are never loaded for a campaign that does not use them."""
        self.taxonomy = taxonomy
        self.analyser = analyser
        self.languages = frozenset(languages) if languages is not None else None
        self.singles: dict[str, list[Seed]] = defaultdict(list)
        self.phrases: dict[str, list[Seed]] = defaultdict(list)

    def fit(self, texts: Sequence[str] | None = None) -> SeedMatcher:
        for theme in self.taxonomy.themes:
            for language, terms in theme.seeds.items():
                negations = NEGATIONS.get(language, frozenset()) | NEGATIONS["en"]
                for term in terms:
                    words = term.split()
                    negated = len(words) > 1 and words[0] in negations
                    if negated:
                        words = words[1:]
                    if self.languages is None or language in self.languages:
                        tokens = [self.analyser.transform_one(word, language) for word in words]
                        keys = tuple(
                            _keys(parts[0]) | {word} for parts, word in zip(tokens, words, strict=True) if parts
                        )
                    else:
                        keys = tuple(frozenset({word}) for word in words if word)
                    if not keys:
                        continue
                    seed = Seed(theme.key, term, language_group(language), negated, keys)
                    index = self.singles if len(keys) == 1 else self.phrases
                    for key in keys[0]:
                        index[key].append(seed)
        return self

    def transform_one(self, tokens: Sequence[Token], language: str) -> dict[str, tuple[float, int]]:
        """{theme key: (score, position of first evidence)} for one answer."""
        group = language_group(language)
        best: dict[tuple[str, str], tuple[float, int]] = {}

        def credit(seed: Seed, weight: float, position: int, negated: bool) -> None:
            if seed.group != group or (seed.negated and not negated):
                return
            key = (seed.theme, seed.term)
            if key not in best or best[key][0] < weight:
                best[key] = (weight, position)

        keys_per_token = [_keys(token) for token in tokens]
        for position, (token, keys) in enumerate(zip(tokens, keys_per_token, strict=True)):
            if token.stop:
                continue
            for key in keys | set(base_forms(token.surface, group)):
                for seed in self.singles.get(key, ()):
                    credit(seed, FULL, position, token.negated)
            for part, weight in ((token.head, HEAD), (token.modifier, MODIFIER)):
                if part and len(part) >= MIN_PART:
                    for seed in self.singles.get(part, ()):
                        credit(seed, weight, position, token.negated)
        for position, keys in enumerate(keys_per_token):
            for key in keys:
                for seed in self.phrases.get(key, ()):
                    if self._phrase_at(seed, keys_per_token, position):
                        credit(seed, PHRASE, position, tokens[position].negated)
        evidence: dict[str, list[tuple[float, int]]] = {}
        for (theme, _term), found in best.items():
            evidence.setdefault(theme, []).append(found)
        scores: dict[str, tuple[float, int]] = {}
        for theme, pieces in evidence.items():
            weights = sorted((weight for weight, _ in pieces), reverse=True)
            scores[theme] = (weights[0] + OTHER_EVIDENCE * sum(weights[1:]), min(position for _, position in pieces))
        return scores

    @staticmethod
    def _phrase_at(seed: Seed, keys_per_token: Sequence[frozenset[str]], start: int) -> bool:
        """The phrase's words in order from `start`, allowing one extra word between them ("gå en tur")."""
        position = start
        for word_keys in seed.words[1:]:
            for step in (1, 2):
                if position + step < len(keys_per_token) and keys_per_token[position + step] & word_keys:
                    position += step
                    break
            else:
                return False
        return True


def primary_theme(scores: dict[str, tuple[float, int]], minimum: float) -> tuple[str, float] | None:
    """The theme with most seed evidence; on a tie, the one mentioned first. None when evidence is too weak."""
    if not scores:
        return None
    theme, (score, _first) = min(scores.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    return (theme, score) if score >= minimum else None
