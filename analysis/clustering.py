"""Step 8: guided clustering. Seed evidence anchors answers to taxonomy themes; the anchors' centroids pull in
answers that say the same thing in other words; what is left is clustered to discover new themes; the rest is
"other"."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans, MiniBatchKMeans

OTHER = "other"


@dataclass
class ClusterAssignment:
    """Per unique answer: the theme key (taxonomy key, "new:<n>" for a discovered cluster, or "other") and a score."""

    keys: list[str]
    scores: np.ndarray
    how: list[str]  # "seed", "centroid", "discovered", "other"


def membership_matrix(labels: Sequence[str], keys: Sequence[str], weights: np.ndarray) -> sp.csr_matrix:
    """A keys × answers matrix with each answer's weight (its number of duplicates) in its key's row."""
    index = {key: row for row, key in enumerate(keys)}
    rows, cols, values = [], [], []
    for col, label in enumerate(labels):
        row = index.get(label)
        if row is not None:
            rows.append(row)
            cols.append(col)
            values.append(weights[col])
    return sp.csr_matrix((values, (rows, cols)), shape=(len(keys), len(labels)), dtype=np.float32)


def centroids(matrix: sp.csr_matrix, labels: Sequence[str], keys: Sequence[str], weights: np.ndarray) -> np.ndarray:
    """L2-normalised weighted mean vector per key (dense: keys × features is small)."""
    members = membership_matrix(labels, keys, weights)
    sums = np.asarray((members @ matrix).todense())
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(sums / norms)


def similarity_to_own_centre(matrix: sp.csr_matrix, centres: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cosine of each row with its own centre, via rows × centres (small) rather than a dense copy per row."""
    similarities = np.asarray(matrix @ centres.T)
    return np.asarray(similarities[np.arange(matrix.shape[0]), labels])


class GuidedClusterer:
    """Anchors from seeds -> nearest anchor centroid above `similarity` -> k-means discovery -> other.

    The number of discovered themes is chosen from the number of remaining distinct answers
    (about sqrt(n/3), between 1 and `max_discovered`) and only coherent clusters are kept: at least `min_size`
    answers (and 1 % of all answers), a mean similarity to their centre of at least `coherence`, and a top term
    shared by at least `shared_term` of their members. Anything else is "other" rather than a forced theme.
    """

    def __init__(
        self,
        *,
        similarity: float = 0.3,
        max_discovered: int = 20,
        min_size: int = 3,
        min_share: float = 0.01,
        coherence: float = 0.3,
        shared_term: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.similarity = similarity
        self.max_discovered = max_discovered
        self.min_size = min_size
        self.min_share = min_share
        self.coherence = coherence
        self.shared_term = shared_term
        self.random_state = random_state

    def fit_predict(
        self,
        matrix: sp.csr_matrix,
        word_matrix: sp.csr_matrix,
        anchors: Sequence[str | None],
        anchor_scores: Sequence[float],
        weights: np.ndarray,
        empty: Sequence[bool] | None = None,
    ) -> ClusterAssignment:
        """`empty` marks answers with no content words ("???", "ok"): they go straight to "other"."""
        n = matrix.shape[0]
        blank = list(empty) if empty is not None else [False] * n
        keys = [anchor or OTHER for anchor in anchors]
        how = ["seed" if anchor else OTHER for anchor in anchors]
        scores = np.array(
            [min(1.0, score / 2.0) if anchor else 0.0 for anchor, score in zip(anchors, anchor_scores, strict=True)]
        )
        known = sorted({anchor for anchor in anchors if anchor})
        rest = np.array([i for i in range(n) if not anchors[i] and not blank[i]], dtype=np.int64)
        if known and len(rest):
            centres = centroids(matrix, keys, known, weights)
            similarities = np.asarray(matrix[rest] @ centres.T)
            best = similarities.argmax(axis=1)
            best_similarity = similarities[np.arange(len(rest)), best]
            for row, column, value in zip(rest, best, best_similarity, strict=True):
                if value >= self.similarity:
                    keys[row], how[row], scores[row] = known[column], "centroid", float(value)
        rest = np.array([i for i in range(n) if keys[i] == OTHER and not blank[i]], dtype=np.int64)
        self._discover(matrix, word_matrix, rest, weights, keys, how, scores)
        return ClusterAssignment(keys, scores, how)

    def _discover(
        self,
        matrix: sp.csr_matrix,
        word_matrix: sp.csr_matrix,
        rest: np.ndarray,
        weights: np.ndarray,
        keys: list[str],
        how: list[str],
        scores: np.ndarray,
    ) -> None:
        total = float(weights.sum())
        min_size = max(self.min_size, math.ceil(self.min_share * total))
        if len(rest) < 2 or float(weights[rest].sum()) < min_size:
            return
        k = max(1, min(self.max_discovered, round(math.sqrt(len(rest) / 3)), len(rest) - 1))
        sub = matrix[rest]
        if len(rest) > 5000:
            model = MiniBatchKMeans(n_clusters=k, random_state=self.random_state, n_init=3, batch_size=4096)
        else:
            model = KMeans(n_clusters=k, random_state=self.random_state, n_init=4)
        labels = model.fit_predict(sub, sample_weight=weights[rest])
        label_names = [str(label) for label in labels]
        cluster_names = sorted(set(label_names), key=int)
        centres = centroids(sub, label_names, cluster_names, weights[rest])
        similarity = similarity_to_own_centre(sub, centres, labels)
        present = (word_matrix[rest] > 0).astype(np.float32)
        number = 0
        for cluster in range(len(cluster_names)):
            members = np.flatnonzero(labels == cluster)
            member_weights = weights[rest][members]
            size = float(member_weights.sum())
            if size < min_size:
                continue
            mean_similarity = float(np.average(similarity[members], weights=member_weights))
            shared = np.asarray(present[members].T @ member_weights).ravel() / size
            if mean_similarity < self.coherence or (shared.max() if shared.size else 0.0) < self.shared_term:
                continue
            number += 1
            for member in members:
                row = rest[member]
                keys[row], how[row], scores[row] = f"new:{number}", "discovered", float(similarity[member])
