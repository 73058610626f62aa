"""The whole analysis: answers in, themes out (labels, sizes, shares, keywords, quotes, per-answer assignments).

Pure Python and deterministic (fixed random_state, stable orderings): the same answers give the same themes.
Identical answers (after normalising) are analysed once and weighted by how often they occur.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from analysis.clustering import OTHER, GuidedClusterer, centroids, membership_matrix, similarity_to_own_centre
from analysis.describe import SurfaceForms, class_tfidf, discovered_key, discovered_label, keywords_for, pick_quotes
from analysis.features import AnswerVectoriser, content_features
from analysis.language import LANGUAGES, LanguageDetector
from analysis.normalise import Normaliser
from analysis.seeds import SeedMatcher, primary_theme, seed_vocabulary
from analysis.taxonomy import Taxonomy, load_taxonomy
from analysis.tokens import Token, TokenAnalyser

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class AnswerText:
    id: Hashable
    text: str


@dataclass
class ThemeResult:
    key: str
    label: str
    taxonomy_key: str | None
    is_other: bool
    size: int
    share: float
    keywords: list[str]
    quotes: list[Hashable]
    members: list[Hashable] = field(repr=False)


@dataclass
class ThemeAnalysis:
    themes: list[ThemeResult]
    assignments: dict[Hashable, tuple[str, float]]  # answer id -> (theme key, score)
    languages: dict[Hashable, str]
    parameters: dict[str, object]


@dataclass
class PreparedAnswers:
    """Unique normalised answers with their language, tokens and features, and which input ids share each."""

    texts: list[str]
    languages: list[str]
    tokens: list[list[Token]]
    features: list[list[str]]
    ids: list[list[Hashable]]
    weights: np.ndarray


class ThemePipeline:
    """normalise → language → tokens/stop words/negation → lemmas/compounds → seeds → vectors → guided clusters →
    labels, keywords, quotes. Every step is a small estimator that can be replaced through the constructor."""

    def __init__(
        self,
        taxonomy: Taxonomy | str | Path | None = None,
        *,
        languages: Sequence[str] = LANGUAGES,
        label_language: str = "nb",
        min_seed_score: float = 0.8,
        clusterer: GuidedClusterer | None = None,
        vectoriser: AnswerVectoriser | None = None,
        min_theme_share: float = 0.002,
        random_state: int = 0,
    ) -> None:
        self.taxonomy = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(taxonomy)
        self.label_language = label_language
        self.min_seed_score = min_seed_score
        self.min_theme_share = min_theme_share
        self.random_state = random_state
        self.normaliser = Normaliser()
        self.detector = LanguageDetector(languages, default=label_language if label_language in LANGUAGES else "nb")
        self.analyser = TokenAnalyser(keep=seed_vocabulary(self.taxonomy))
        self.seeds = SeedMatcher(self.taxonomy, self.analyser).fit()
        self.clusterer = clusterer or GuidedClusterer(random_state=random_state)
        self.vectoriser = vectoriser or AnswerVectoriser()

    def prepare(self, answers: Sequence[AnswerText]) -> PreparedAnswers:
        index: dict[str, int] = {}
        texts: list[str] = []
        ids: list[list[Hashable]] = []
        for answer in answers:
            text = self.normaliser.transform_one(answer.text)
            if text not in index:
                index[text] = len(texts)
                texts.append(text)
                ids.append([])
            ids[index[text]].append(answer.id)
        languages = self.detector.predict(texts)
        tokens = [self.analyser.transform_one(text, language) for text, language in zip(texts, languages, strict=True)]
        features = [content_features(doc) for doc in tokens]
        return PreparedAnswers(
            texts, languages, tokens, features, ids, np.array([len(i) for i in ids], dtype=np.float32)
        )

    def seed_themes(self, prepared: PreparedAnswers) -> tuple[list[str | None], list[float]]:
        anchors: list[str | None] = []
        scores: list[float] = []
        for doc, language in zip(prepared.tokens, prepared.languages, strict=True):
            primary = primary_theme(self.seeds.transform_one(doc, language), self.min_seed_score)
            anchors.append(primary[0] if primary else None)
            scores.append(primary[1] if primary else 0.0)
        return anchors, scores

    def fit_transform(self, answers: Sequence[AnswerText], progress: Progress | None = None) -> ThemeAnalysis:
        report = progress or (lambda _step, _fraction: None)
        report("prepare", 0.0)
        prepared = self.prepare(answers)
        parameters = self.parameters()
        if not prepared.texts:
            report("done", 1.0)
            return ThemeAnalysis([], {}, {}, parameters)
        report("seeds", 0.3)
        anchors, anchor_scores = self.seed_themes(prepared)
        report("vectors", 0.45)
        documents = [doc if doc else ["∅"] for doc in prepared.features]
        matrix = self.vectoriser.fit_transform(documents)
        word_matrix = self.vectoriser.words_.transform(documents)
        report("clusters", 0.6)
        assignment = self.clusterer.fit_predict(
            matrix, word_matrix, anchors, anchor_scores, prepared.weights, empty=[not doc for doc in prepared.features]
        )
        keys = self._drop_small_known_themes(assignment.keys, prepared.weights)
        report("labels", 0.85)
        themes = self._describe(prepared, keys, assignment.scores, matrix, word_matrix)
        assignments: dict[Hashable, tuple[str, float]] = {}
        renamed = {theme.key for theme in themes}
        for row, key in enumerate(keys):
            for answer_id in prepared.ids[row]:
                assignments[answer_id] = (key if key in renamed else OTHER, float(assignment.scores[row]))
        for theme in themes:  # discovered themes are stored under their readable key
            for answer_id in theme.members:
                assignments[answer_id] = (theme.key, assignments[answer_id][1])
        languages = {
            answer_id: prepared.languages[row] for row, group in enumerate(prepared.ids) for answer_id in group
        }
        report("done", 1.0)
        return ThemeAnalysis(themes, assignments, languages, parameters)

    def parameters(self) -> dict[str, object]:
        clusterer = self.clusterer
        return {
            "taxonomy": self.taxonomy.source,
            "label_language": self.label_language,
            "min_seed_score": self.min_seed_score,
            "similarity": clusterer.similarity,
            "max_discovered": clusterer.max_discovered,
            "min_size": clusterer.min_size,
            "coherence": clusterer.coherence,
            "random_state": self.random_state,
        }

    def _drop_small_known_themes(self, keys: list[str], weights: np.ndarray) -> list[str]:
        """In large campaigns a taxonomy theme with a handful of answers is noise; those answers go to "other"."""
        minimum = self.min_theme_share * float(weights.sum())
        sizes: dict[str, float] = {}
        for key, weight in zip(keys, weights, strict=True):
            sizes[key] = sizes.get(key, 0.0) + float(weight)
        return [key if key == OTHER or key.startswith("new:") or sizes[key] >= minimum else OTHER for key in keys]

    def _describe(
        self,
        prepared: PreparedAnswers,
        keys: list[str],
        scores: np.ndarray,
        matrix: sp.csr_matrix,
        word_matrix: sp.csr_matrix,
    ) -> list[ThemeResult]:
        language = self.label_language
        total = float(prepared.weights.sum())
        theme_keys = sorted(set(keys), key=lambda key: (key == OTHER, key))
        members = membership_matrix(keys, theme_keys, prepared.weights)
        presence = (word_matrix > 0).astype(np.float32)
        ctfidf = class_tfidf(members, presence)
        vocabulary = self.vectoriser.words_.get_feature_names_out()
        forms = SurfaceForms()
        for doc, weight in zip(prepared.tokens, prepared.weights, strict=True):
            for token in doc:
                if not token.stop:
                    forms.add(token.lemma, token.surface, int(weight))
                    if token.negation:
                        forms.add(token.feature, f"{token.negation} {token.surface}", int(weight))
        centres = centroids(matrix, keys, theme_keys, prepared.weights)
        key_index = {key: i for i, key in enumerate(theme_keys)}
        closeness = similarity_to_own_centre(matrix, centres, np.array([key_index[key] for key in keys]))
        word_counts = [len(text.split()) for text in prepared.texts]
        token_sets = [frozenset(doc) for doc in prepared.features]
        rows_of: dict[str, list[int]] = {key: [] for key in theme_keys}
        for row, key in enumerate(keys):
            rows_of[key].append(row)
        themes: list[ThemeResult] = []
        used_keys: set[str] = set()
        for position, key in enumerate(theme_keys):
            rows = rows_of[key]
            size = int(sum(prepared.weights[row] for row in rows))
            keywords = keywords_for(ctfidf[position], vocabulary, forms, language)
            taxonomy_theme = self.taxonomy.theme(key)
            if key == OTHER:
                stable_key, label = OTHER, self.taxonomy.other_label(language)
            elif taxonomy_theme is not None:
                stable_key, label = key, taxonomy_theme.label(language)
            else:
                stable_key, label = discovered_key(keywords), discovered_label(keywords, language)
            stable_key = _unique(stable_key, used_keys)
            quotes = pick_quotes(rows, closeness, word_counts, token_sets)
            themes.append(
                ThemeResult(
                    key=stable_key,
                    label=label,
                    taxonomy_key=key if taxonomy_theme is not None else None,
                    is_other=key == OTHER,
                    size=size,
                    share=size / total if total else 0.0,
                    keywords=keywords if key != OTHER else keywords[:5],
                    quotes=[prepared.ids[row][0] for row in quotes],
                    members=[answer_id for row in rows for answer_id in prepared.ids[row]],
                )
            )
        themes.sort(key=lambda theme: (theme.is_other, -theme.size, theme.key))
        return themes


def _unique(key: str, used: set[str]) -> str:
    candidate, number = key, 2
    while candidate in used:
        candidate, number = f"{key}-{number}", number + 1
    used.add(candidate)
    return candidate
