"""Step 7: vectors. Sparse TF-IDF over content lemmas and phrases (negation kept), plus character n-grams of the
lemmas so typos, dialect spellings and near-cognates across nb/nn/sv/da still overlap."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import cast

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from analysis.tokens import Token

PHRASE_JOIN = "+"


def content_features(tokens: Sequence[Token]) -> list[str]:
    """Content lemmas (NOT_-prefixed when negated) and the phrases they form with their neighbour ("gå+tur")."""
    words = [token.feature for token in tokens if not token.stop]
    return words + [f"{first}{PHRASE_JOIN}{second}" for first, second in pairwise(words)]


def _identity(values: list[str]) -> list[str]:
    return values


class AnswerVectoriser:
    """Word-level and character-level TF-IDF, weighted and stacked, rows L2-normalised (cosine = dot product)."""

    def __init__(self, *, char_weight: float = 0.6, char_ngrams: tuple[int, int] = (3, 5), min_df: int = 1) -> None:
        self.char_weight = char_weight
        self.char_ngrams = char_ngrams
        self.min_df = min_df

    def fit_words(self, documents: Sequence[list[str]]) -> AnswerVectoriser:
        """Only the word-level part: what keywords and labels need once meaning comes from embeddings."""
        self.words_ = TfidfVectorizer(analyzer=_identity, min_df=self.min_df, sublinear_tf=True, dtype=np.float32).fit(
            documents
        )
        return self

    def fit(self, documents: Sequence[list[str]], weights: Sequence[int] | None = None) -> AnswerVectoriser:
        self.fit_words(documents)
        self.chars_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngrams,
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float32,
            max_features=200_000,
        ).fit([self._char_text(document) for document in documents] or [""])
        return self

    @staticmethod
    def _char_text(document: Sequence[str]) -> str:
        return " ".join(feature.removeprefix("NOT_") for feature in document if PHRASE_JOIN not in feature)

    def transform(self, documents: Sequence[list[str]]) -> sp.csr_matrix:
        words = self.words_.transform(documents)
        chars = self.chars_.transform([self._char_text(document) for document in documents]) * self.char_weight
        # scikit-learn is untyped; normalize() keeps the CSR matrix it is given.
        return cast(sp.csr_matrix, normalize(sp.hstack([words, chars], format="csr"), copy=False))

    def fit_transform(self, documents: Sequence[list[str]]) -> sp.csr_matrix:
        return self.fit(documents).transform(documents)
