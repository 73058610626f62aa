"""Step 9–10: keywords and labels from class-based TF-IDF, and representative quotes near each theme's centre."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from analysis.features import PHRASE_JOIN
from analysis.tokens import NEGATION_PREFIX

CONJUNCTION = {"nb": "og", "nn": "og", "da": "og", "sv": "och", "en": "and"}
NEGATION_WORD = {"nb": "ikke", "nn": "ikkje", "da": "ikke", "sv": "inte", "en": "not"}


def class_tfidf(members: sp.csr_matrix, presence: sp.csr_matrix) -> np.ndarray:
    """c-TF-IDF (BERTopic's formula): term frequency per class × log(1 + average class size / term frequency)."""
    counts = np.asarray((members @ presence).todense(), dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    tf = counts / totals
    frequency = counts.sum(axis=0)
    frequency[frequency == 0] = 1.0
    average = counts.sum() / max(1, counts.shape[0])
    return np.asarray(tf * np.log(1.0 + average / frequency))


class SurfaceForms:
    """Shows a lemma the way people wrote it most often ("barnebarna" rather than "barnebarn" if that is usual)."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}

    def add(self, feature: str, surface: str, weight: int = 1) -> None:
        self._counts.setdefault(feature, Counter())[surface] += weight

    def show(self, feature: str, language: str) -> str:
        if PHRASE_JOIN in feature:
            return " ".join(self.show(part, language) for part in feature.split(PHRASE_JOIN))
        counts = self._counts.get(feature)
        if not counts:
            if feature.startswith(NEGATION_PREFIX):
                negation = NEGATION_WORD.get(language, "ikke")
                return f"{negation} {self.show(feature.removeprefix(NEGATION_PREFIX), language)}"
            return feature
        return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def keywords_for(
    scores: np.ndarray, vocabulary: Sequence[str], forms: SurfaceForms, language: str, n: int = 8
) -> list[str]:
    order = np.argsort(-scores, kind="stable")
    words: list[str] = []
    for index in order:
        if scores[index] <= 0 or len(words) >= n:
            break
        shown = forms.show(vocabulary[index], language)
        if shown not in words:
            words.append(shown)
    return words


def discovered_label(keywords: Sequence[str], language: str) -> str:
    """A short readable name from the two most distinctive terms, e.g. "Penger og pensjon"."""
    plain = [word for word in keywords if " " not in word] or list(keywords)
    if not plain:
        return "?"
    if len(plain) == 1:
        return plain[0].capitalize()
    return f"{plain[0].capitalize()} {CONJUNCTION.get(language, 'og')} {plain[1]}"


def discovered_key(keywords: Sequence[str]) -> str:
    """A stable key from the top terms ("new-penger-pensjon"), so the same cluster keeps its key across runs."""
    parts = [re.sub(r"[^\w]+", "-", word.lower()).strip("-_") for word in keywords[:2]]
    return "new-" + "-".join(part for part in parts if part)


def pick_quotes(
    candidates: Sequence[int],
    similarity: np.ndarray,
    word_counts: Sequence[int],
    token_sets: Sequence[frozenset[str]],
    n: int = 3,
) -> list[int]:
    """Answers close to the centre, of a readable length (3–30 words preferred), and not near-copies of each other."""

    def rank(index: int) -> tuple[float, int]:
        words = word_counts[index]
        penalty = 0.0 if 3 <= words <= 30 else (0.15 if words < 3 else 0.3)
        return (-(similarity[index] - penalty), index)

    chosen: list[int] = []
    for index in sorted(candidates, key=rank):
        if any(_overlap(token_sets[index], token_sets[other]) > 0.6 for other in chosen):
            continue
        chosen.append(index)
        if len(chosen) == n:
            return chosen
    for index in sorted(candidates, key=rank):  # fewer varied answers than n: fill with the best remaining
        if index not in chosen:
            chosen.append(index)
            if len(chosen) == n:
                break
    return chosen


def _overlap(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 1.0 if first == second else 0.0
    return len(first & second) / len(first | second)
