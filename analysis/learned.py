"""Themes a unit's managers accepted from earlier suggestions, as anchors for the unit's next analyses.

A learned theme joins the run's taxonomy (its terms are seed words in every language, its label is the manager's
name) and the stored vectors of its example answers become extra anchored answers, so answers that say the same
thing in other words find it by meaning too. It is built from `surveys.models.UnitTheme` by analysis.service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.taxonomy import LABEL_LANGUAGES, SEED_LANGUAGES, Taxonomy, TaxonomyTheme

MAX_TERMS = 3  # the most distinctive words; more would pull in answers that merely share a common word ("hjelp")


@dataclass(frozen=True)
class LearnedTheme:
    key: str  # "unit_<id>": the same in every campaign of the unit
    label: str
    terms: tuple[str, ...]
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32), repr=False)


def with_learned(taxonomy: Taxonomy, learned: Sequence[LearnedTheme]) -> Taxonomy:
    """The taxonomy plus the unit's learned themes; a term that is already a seed of a file theme is left out
    (it is that theme's evidence), and a learned theme keeps its anchor vectors even without terms."""
    if not learned:
        return taxonomy
    known = {term for theme in taxonomy.themes for terms in theme.seeds.values() for term in terms}
    own = {theme.key for theme in taxonomy.themes}
    extra = []
    for theme in learned:
        if theme.key in own:
            continue
        terms = tuple(dict.fromkeys(t.strip().lower() for t in theme.terms if t.strip() and t.lower() not in known))
        terms = terms[:MAX_TERMS]
        seeds = {language: terms for language in SEED_LANGUAGES} if terms else {}  # no terms: anchored by meaning
        extra.append(TaxonomyTheme(key=theme.key, labels=dict.fromkeys(LABEL_LANGUAGES, theme.label), seeds=seeds))
        own.add(theme.key)
    return Taxonomy(themes=(*taxonomy.themes, *extra), other_labels=taxonomy.other_labels, source=taxonomy.source)


def anchor_rows(learned: Sequence[LearnedTheme], dim: int) -> tuple[np.ndarray, list[str]]:
    """Every learned theme's example vectors of the right size, stacked, with the theme key of each row."""
    blocks: list[np.ndarray] = []
    keys: list[str] = []
    for theme in learned:
        vectors = np.asarray(theme.vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != dim or not len(vectors):
            continue
        blocks.append(vectors)
        keys.extend([theme.key] * len(vectors))
    if not blocks:
        return np.zeros((0, dim), dtype=np.float32), []
    return np.vstack(blocks), keys


def join_learned(
    keys: list[str],
    vectors: np.ndarray,
    weights: np.ndarray,
    examples: np.ndarray,
    example_keys: list[str],
    distance: float,
) -> list[str]:
    """A discovered group ("new:<n>") that the run's own tree cut would have joined with a learned theme's examples
    (average similarity to them at least 1 - the discovery distance, as average linkage decides) is that theme
    found again; the closest learned theme wins. `vectors` and `examples` are centred alike."""
    if not len(examples):
        return keys
    names = np.array(example_keys)
    learned = sorted(set(example_keys))
    groups: dict[str, list[int]] = {}
    for row, key in enumerate(keys):
        if key.startswith("new:"):
            groups.setdefault(key, []).append(row)
    found: dict[str, str] = {}
    for key, rows in groups.items():
        similarities = vectors[rows] @ examples.T
        best, best_value = None, 1.0 - distance
        for theme in learned:
            value = float(np.average(similarities[:, names == theme].mean(axis=1), weights=weights[rows]))
            if value >= best_value:
                best, best_value = theme, value
        if best is not None:
            found[key] = best
    return [found.get(key, key) for key in keys]
