"""The whole analysis: answers in, themes out (labels, sizes, shares, keywords, quotes, per-answer assignments).

Pure Python and deterministic (fixed random_state, stable orderings): the same answers give the same themes.
Identical answers (after normalising) are analysed once and weighted by how often they occur.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from analysis.clustering import OTHER, membership_matrix
from analysis.describe import SurfaceForms, class_tfidf, discovered_key, discovered_label, keywords_for, pick_quotes
from analysis.embedding import Embedder, default_embedder
from analysis.features import AnswerVectoriser, content_features
from analysis.labels import ForbiddenWords, clean_keywords, phrase_label
from analysis.language import LANGUAGES, LanguageDetector
from analysis.learned import LearnedTheme, anchor_rows, join_learned, with_learned
from analysis.meaning import MeaningClusterer
from analysis.metric import for_model
from analysis.normalise import Normaliser, is_non_answer
from analysis.seeds import SeedMatcher, primary_theme, seed_vocabulary
from analysis.taxonomy import Taxonomy, load_taxonomy
from analysis.tokens import Token, TokenAnalyser
from analysis.weak import split_weak_groups

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
    found_in: str | None = None  # a group split off this taxonomy theme (analysis/weak.py), else None


@dataclass
class ThemeAnalysis:
    themes: list[ThemeResult]
    assignments: dict[Hashable, tuple[str, float]]  # answer id -> (theme key, confidence in [0, 1])
    languages: dict[Hashable, str]
    parameters: dict[str, object]
    how: dict[Hashable, str] = field(default_factory=dict)  # answer id -> "seed", "meaning", "discovered", "other"

    @property
    def other_share(self) -> float:
        return next((theme.share for theme in self.themes if theme.is_other), 0.0)


@dataclass
class PreparedAnswers:
    """Unique normalised answers with their language, tokens and features, and which input ids share each."""

    texts: list[str]
    languages: list[str]
    tokens: list[list[Token]]
    features: list[list[str]]
    ids: list[list[Hashable]]
    weights: np.ndarray
    originals: list[str] = field(default_factory=list)  # one original text per unique answer (for names, labels)


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
        clusterer: MeaningClusterer | None = None,
        vectoriser: AnswerVectoriser | None = None,
        embedder: Embedder | None = None,
        centre_vectors: bool = True,
        learned_metric: bool = True,
        min_theme_share: float = 0.002,
        random_state: int = 0,
        learned: Sequence[LearnedTheme] = (),
        weak_groups: bool = True,
    ) -> None:
        base = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(taxonomy)
        self.learned = tuple(learned)
        self.taxonomy = with_learned(base, self.learned)  # the unit's accepted themes anchor like the file's
        self.centre_: np.ndarray | None = None  # the campaign's mean vector of the last vectors_for
        self.plain_centre_: np.ndarray | None = None  # the same without the learned metric
        self.votes_: np.ndarray | None = None  # the last vectors_for's answers in the voting space
        self.label_language = label_language
        self.min_seed_score = min_seed_score
        self.min_theme_share = min_theme_share
        self.random_state = random_state
        self.normaliser = Normaliser()
        self.detector = LanguageDetector(languages, default=label_language if label_language in LANGUAGES else "nb")
        self.analyser = TokenAnalyser(keep=seed_vocabulary(self.taxonomy))
        self.seeds = SeedMatcher(self.taxonomy, self.analyser, self.detector.languages).fit()
        self.clusterer = clusterer or MeaningClusterer(random_state=random_state)
        self.vectoriser = vectoriser or AnswerVectoriser()
        self._embedder = embedder
        self.centre_vectors = centre_vectors
        self.learned_metric = learned_metric
        self.weak_groups = weak_groups  # suggest groups found inside weak taxonomy themes (analysis/weak.py)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder(self.label_language)
        return self._embedder

    def prepare(self, answers: Sequence[AnswerText]) -> PreparedAnswers:
        index: dict[str, int] = {}
        texts: list[str] = []
        ids: list[list[Hashable]] = []
        originals: list[str] = []
        for answer in answers:
            text = self.normaliser.transform_one(answer.text)
            if text not in index:
                index[text] = len(texts)
                texts.append(text)
                ids.append([])
                originals.append(answer.text)
            ids[index[text]].append(answer.id)
        languages = self.detector.predict(texts)
        tokens = [self.analyser.transform_one(text, language) for text, language in zip(texts, languages, strict=True)]
        features = [content_features(doc) for doc in tokens]
        return PreparedAnswers(
            texts, languages, tokens, features, ids, np.array([len(i) for i in ids], dtype=np.float32), originals
        )

    def vectors_for(self, prepared: PreparedAnswers, known: Mapping[Hashable, np.ndarray] | None) -> np.ndarray:
        """One unit vector per unique answer: a stored one when any of its ids has it, else embedded now."""
        dim = self.embedder.dim
        matrix = np.zeros((len(prepared.texts), dim), dtype=np.float32)
        missing: list[int] = []
        for row, group in enumerate(prepared.ids):
            vector = next((known[i] for i in group if i in known), None) if known else None
            if vector is not None and vector.shape == (dim,):
                matrix[row] = vector
            else:
                missing.append(row)
        if missing:
            matrix[missing] = self.embedder.embed([prepared.originals[row] for row in missing])
        plain = self.metric_space(matrix, learned=False)
        del matrix  # 100 000 answers are 150 MB a copy: keep two spaces, not four
        metric = self._metric(dim)
        grouped = _unit(plain @ metric) if metric is not None else plain
        centre = self.centre_vectors and len(plain) > 1
        # All answers share the question's frame and much of the model's common direction; without it, cosines
        # spread from about 0.85-0.99 to -0.2-0.9 and the calibrated thresholds separate themes far better.
        self.plain_centre_ = np.average(plain, axis=0, weights=prepared.weights) if centre else None
        self.centre_ = np.average(grouped, axis=0, weights=prepared.weights) if centre else None
        self.votes_ = _moved(plain, self.plain_centre_)  # the model's own space: where known themes are joined
        return self.votes_ if grouped is plain else _moved(grouped, self.centre_)

    def metric_space(self, matrix: np.ndarray, *, learned: bool = True) -> np.ndarray:
        """Unit vectors in the space themes are compared in: the embedder's, through the learned metric when one
        ships for its model (analysis/metric.py), so directions of language and form count less than topic."""
        matrix = _unit(np.array(matrix, dtype=np.float32))
        metric = self._metric(matrix.shape[1]) if learned and len(matrix) else None
        return _unit(matrix @ metric) if metric is not None else matrix

    def _metric(self, dim: int) -> np.ndarray | None:
        return for_model(self.embedder.name, dim) if self.learned_metric else None

    def centred(self, matrix: np.ndarray, *, learned: bool = True) -> np.ndarray:
        """Unit vectors moved by the campaign's centre (as vectors_for did to the campaign's own answers), in the
        grouping space (`learned`) or the voting space."""
        return _moved(self.metric_space(matrix, learned=learned), self.centre_ if learned else self.plain_centre_)

    def seed_themes(self, prepared: PreparedAnswers) -> tuple[list[str | None], list[float]]:
        anchors: list[str | None] = []
        scores: list[float] = []
        for doc, language in zip(prepared.tokens, prepared.languages, strict=True):
            primary = primary_theme(self.seeds.transform_one(doc, language), self.min_seed_score)
            anchors.append(primary[0] if primary else None)
            scores.append(primary[1] if primary else 0.0)
        return anchors, scores

    def fit_transform(
        self,
        answers: Sequence[AnswerText],
        progress: Progress | None = None,
        *,
        vectors: Mapping[Hashable, np.ndarray] | None = None,
    ) -> ThemeAnalysis:
        """`vectors`: stored embeddings by answer id; answers without one are embedded here."""
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
        word_matrix = self.vectoriser.fit_words(documents).words_.transform(documents)
        meaning = self.vectors_for(prepared, vectors)
        report("clusters", 0.6)
        empty = [not doc or is_non_answer(text) for doc, text in zip(prepared.features, prepared.texts, strict=False)]
        examples, example_keys = anchor_rows(self.learned, meaning.shape[1])
        example_votes = self.centred(examples, learned=False) if len(examples) else examples
        examples = self.centred(examples) if len(examples) else examples
        votes = self.votes_ if self.votes_ is not None else meaning
        n = len(prepared.texts)
        # The unit's learned themes: their example answers join as extra anchored rows, cut off again below.
        placement = self.clusterer.fit_predict(
            np.vstack([meaning, examples]) if len(examples) else meaning,
            [*anchors, *example_keys],
            [*anchor_scores, *([1.0] * len(example_keys))],
            np.concatenate([prepared.weights, np.ones(len(example_keys), dtype=prepared.weights.dtype)]),
            empty=[*empty, *([False] * len(example_keys))],
            votes=np.vstack([votes, example_votes]) if len(examples) else votes,
        )
        placement.keys, placement.how = placement.keys[:n], placement.how[:n]
        placement.confidence = placement.confidence[:n]
        parameters.update(placement.thresholds)
        keys = join_learned(
            placement.keys,
            meaning,
            prepared.weights,
            examples,
            example_keys,
            float(placement.thresholds.get("discovery_distance", self.clusterer.default_distance)),
        )
        keys = self._drop_small_known_themes(keys, prepared.weights)
        found_in: dict[str, str] = {}
        if self.weak_groups:
            weak = split_weak_groups(
                keys,
                placement.how,
                placement.confidence,
                meaning,
                prepared.weights,
                float(placement.thresholds.get("discovery_distance", self.clusterer.default_distance)),
                min_size=self.clusterer.min_size,
                min_share=self.clusterer.min_share,
            )
            keys, placement.how, found_in = weak.keys, weak.how, weak.found_in
            parameters["weak_groups"] = len(found_in)
        report("labels", 0.85)
        themes = self._describe(prepared, keys, meaning, word_matrix, found_in)
        assignments: dict[Hashable, tuple[str, float]] = {}
        how: dict[Hashable, str] = {}
        renamed = {theme.key for theme in themes}
        for row, key in enumerate(keys):
            for answer_id in prepared.ids[row]:
                assignments[answer_id] = (key if key in renamed else OTHER, float(placement.confidence[row]))
                # a discovered group ("new:<n>") is always described, under its readable key (set just below)
                kept = key in renamed or key.startswith("new:")
                how[answer_id] = placement.how[row] if kept else OTHER
        for theme in themes:  # discovered themes are stored under their readable key
            for answer_id in theme.members:
                assignments[answer_id] = (theme.key, assignments[answer_id][1])
        languages = {
            answer_id: prepared.languages[row] for row, group in enumerate(prepared.ids) for answer_id in group
        }
        report("done", 1.0)
        return ThemeAnalysis(themes, assignments, languages, parameters, how)

    def parameters(self) -> dict[str, object]:
        clusterer = self.clusterer
        return {
            "taxonomy": self.taxonomy.source,
            "label_language": self.label_language,
            "min_seed_score": self.min_seed_score,
            "embedder": self._embedder.name if self._embedder is not None else "default",
            "learned_metric": self.learned_metric,
            "neighbours": clusterer.k,
            "precision": clusterer.precision,
            "min_size": clusterer.min_size,
            "random_state": self.random_state,
            "learned_themes": len(self.learned),
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
        meaning: np.ndarray,
        word_matrix: sp.csr_matrix,
        found_in: Mapping[str, str] | None = None,
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
        sums = np.asarray(members @ meaning)
        centres = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
        key_index = {key: i for i, key in enumerate(theme_keys)}
        own = np.array([key_index[key] for key in keys])
        closeness = np.einsum("ij,ij->i", meaning, centres[own])
        word_counts = [len(text.split()) for text in prepared.texts]
        token_sets = [frozenset(doc) for doc in prepared.features]
        forbidden = ForbiddenWords(prepared.originals, self.detector.languages, self.analyser.keep)
        lemma_of = {
            (token.surface, language): token.feature
            for doc, language in zip(prepared.tokens, prepared.languages, strict=False)
            for token in doc
        }
        taken = {theme.label(language).lower() for theme in self.taxonomy.themes}
        rows_of: dict[str, list[int]] = {key: [] for key in theme_keys}
        for row, key in enumerate(keys):
            rows_of[key].append(row)
        themes: list[ThemeResult] = []
        used_keys: set[str] = set()
        for position, key in enumerate(theme_keys):
            rows = rows_of[key]
            size = int(sum(prepared.weights[row] for row in rows))
            keywords = clean_keywords(
                keywords_for(ctfidf[position], vocabulary, forms, language, n=16), forbidden, self.detector.languages
            )[:8]
            taxonomy_theme = self.taxonomy.theme(key)
            if key == OTHER:
                stable_key, label = OTHER, self.taxonomy.other_label(language)
            elif taxonomy_theme is not None:
                stable_key, label = key, taxonomy_theme.label(language)
            else:
                row_scores = ctfidf[position]
                top = float(row_scores.max()) if row_scores.size else 0.0
                importance = (
                    {str(vocabulary[i]): float(row_scores[i]) / top for i in np.flatnonzero(row_scores > 0)}
                    if top > 0
                    else {}
                )
                label = phrase_label(
                    rows,
                    prepared.texts,
                    prepared.languages,
                    closeness,
                    importance,
                    lemma_of,
                    forbidden,
                    language,
                    taken,
                ) or discovered_label(keywords, language)
                taken.add(label.lower())
                stable_key = discovered_key([label])
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
                    found_in=(found_in or {}).get(key),
                )
            )
        themes.sort(key=lambda theme: (theme.is_other, -theme.size, theme.key))
        return themes


def _unit(matrix: np.ndarray) -> np.ndarray:
    """Rows made unit length, in place (callers pass a fresh array)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    matrix /= norms
    return matrix


def _moved(matrix: np.ndarray, centre: np.ndarray | None) -> np.ndarray:
    """Unit rows less the campaign's centre, made unit again, in place (callers pass a fresh array)."""
    if centre is None:
        return matrix
    matrix -= centre.astype(matrix.dtype)
    return _unit(matrix)


def _unique(key: str, used: set[str]) -> str:
    candidate, number = key, 2
    while candidate in used:
        candidate, number = f"{key}-{number}", number + 1
    used.add(candidate)
    return candidate
