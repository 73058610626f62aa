"""Step 8: placement by meaning. Seeds anchor answers to taxonomy themes; answers without seed words join a theme when
their nearest anchored neighbours agree on it closely enough; what is left is clustered on the embeddings to
discover themes nobody listed; only answers that stand alone are "other".

All thresholds are calibrated on the run's own anchored answers (the seeds act as labels the data brings along), so
they follow the embedding model and the campaign rather than a constant tuned on one data set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

LinkageMethod = Literal["single", "complete", "average", "weighted", "centroid", "median", "ward"]

OTHER = "other"
CHUNK = 4096  # rows per similarity block: keeps a 100 000 × anchored matrix out of memory
# at most this many similarities at once (16 MB float32; argpartition adds 32 MB of int64): with 40 000 anchored
# answers a 4 096-row block was 650 MB, and 5.2 GB peak for 100 000 answers
BLOCK_CELLS = 4_000_000


@dataclass
class Placement:
    """Per unique answer: the theme key (taxonomy key, "new:<n>" or "other"), a confidence in [0, 1] and how."""

    keys: list[str]
    confidence: np.ndarray
    how: list[str]  # "seed", "meaning", "discovered", "other"
    thresholds: dict[str, float] = field(default_factory=dict)


def top_neighbours(queries: np.ndarray, pool: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of each query's k most similar pool rows, best first (blockwise)."""
    k = min(k, pool.shape[0])
    indices = np.zeros((queries.shape[0], k), dtype=np.int64)
    similarities = np.zeros((queries.shape[0], k), dtype=np.float32)
    rows = max(1, min(CHUNK, BLOCK_CELLS // max(pool.shape[0], 1)))
    for start in range(0, queries.shape[0], rows):
        block = queries[start : start + rows] @ pool.T
        part = (
            np.argpartition(-block, k - 1, axis=1)[:, :k]
            if k < pool.shape[0]
            else np.tile(np.arange(k), (len(block), 1))
        )
        values = np.take_along_axis(block, part, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        indices[start : start + len(block)] = np.take_along_axis(part, order, axis=1)
        similarities[start : start + len(block)] = np.take_along_axis(values, order, axis=1)
    return indices, similarities


def neighbour_vote(
    labels: np.ndarray, indices: np.ndarray, similarities: np.ndarray, n_labels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(winning label, its share of the similarity-weighted vote, mean similarity of its voters) per row."""
    weights = np.maximum(similarities, 0.0) ** 4  # the closest neighbours count most
    votes = np.zeros((indices.shape[0], n_labels), dtype=np.float64)
    np.add.at(
        votes, (np.repeat(np.arange(indices.shape[0]), indices.shape[1]), labels[indices].ravel()), weights.ravel()
    )
    winner = votes.argmax(axis=1)
    total = votes.sum(axis=1)
    total[total == 0] = 1.0
    share = votes[np.arange(len(winner)), winner] / total
    is_winner = labels[indices] == winner[:, None]
    mean = (similarities * is_winner).sum(axis=1) / np.maximum(is_winner.sum(axis=1), 1)
    return winner, share, mean


class MeaningClusterer:
    """Anchors -> meaning neighbours (calibrated) -> agglomerative discovery (calibrated) -> other.

    - `k`: anchored neighbours that vote for an unanchored answer's theme.
    - `precision`: the share of anchored answers whose neighbours' vote must name their own theme at a similarity,
      for that similarity to become the joining threshold (leave-one-out on the run's anchors).
    - `min_size`: answers a discovered theme needs; smaller groups are "other".
    - `max_voters`: anchored answers that vote for unanchored ones; above that, a fixed random sample of them.
    - `max_tree`: distinct answers clustered directly; above that, k-means first groups them into that many small
      groups, whose centres are then clustered (the tree is quadratic in its input).
    """

    def __init__(
        self,
        *,
        k: int = 7,
        precision: float = 0.85,
        min_size: int = 3,
        min_share: float = 0.004,
        default_similarity: float = 0.35,
        default_distance: float = 0.9,
        max_tree: int = 3000,
        max_voters: int = 10_000,
        method: LinkageMethod = "average",
        tolerance: float = 0.8,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.tolerance = tolerance
        self.k = k
        self.precision = precision
        self.min_size = min_size
        self.min_share = min_share
        self.default_similarity = default_similarity
        self.default_distance = default_distance
        self.max_tree = max_tree
        self.max_voters = max_voters
        self.random_state = random_state

    # -- calibration --------------------------------------------------------------------------------------------

    def calibrate_joining(self, vectors: np.ndarray, labels: np.ndarray, n_labels: int) -> float:
        """The lowest voter similarity at which anchored answers' neighbours name their own theme `precision` of
        the time; the default when there are too few anchors to tell."""
        if len(labels) < 30 or n_labels < 2:
            return self.default_similarity
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(len(labels), size=min(len(labels), 3000), replace=False)
        indices, similarities = top_neighbours(vectors[sample], vectors, self.k + 1)
        own = indices == sample[:, None]
        similarities = np.where(own, -1.0, similarities)  # leave the answer itself out
        winner, share, mean = neighbour_vote(labels, indices, np.maximum(similarities, 0.0), n_labels)
        correct = (winner == labels[sample]) & (share >= 0.5)
        order = np.argsort(-mean)
        hits = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
        good = np.flatnonzero(hits >= self.precision)
        if not len(good) or good[-1] < 10:
            return float(np.quantile(mean, 0.9))
        return float(mean[order][good[-1]])

    def calibrate_distance(self, vectors: np.ndarray, labels: np.ndarray) -> float:
        """The cut of the average-linkage tree that best reproduces the anchors' themes (adjusted Rand index)."""
        if len(labels) < 30 or len(set(labels.tolist())) < 3:
            return self.default_distance
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(len(labels), size=min(len(labels), 1500), replace=False)
        tree = self._tree(vectors[sample])
        cuts = np.unique(np.quantile(tree[:, 2], np.linspace(0.5, 0.999, 60)))
        scores = [adjusted_rand_score(labels[sample], fcluster(tree, t=cut, criterion="distance")) for cut in cuts]
        if not cuts.size or max(scores) <= 0:
            return self.default_distance
        # the coarsest cut within `tolerance` of the best: the seeded answers share words, so they look tighter than
        # the paraphrases the cut is applied to, and the best cut on them alone splits real themes into fragments
        good = [cut for cut, score in zip(cuts, scores, strict=True) if score >= self.tolerance * max(scores)]
        return float(max(good))

    # -- placement ----------------------------------------------------------------------------------------------

    def fit_predict(
        self,
        vectors: np.ndarray,
        anchors: Sequence[str | None],
        anchor_scores: Sequence[float],
        weights: np.ndarray,
        empty: Sequence[bool] | None = None,
        votes: np.ndarray | None = None,
    ) -> Placement:
        """`vectors` are grouped (discovery); `votes`, the same answers in another space, decide who joins a known
        theme by its anchored neighbours (default: `vectors`). The pipeline groups in the learned metric's space,
        which separates themes better, and votes in the model's own space, where a group of answers on a theme
        the taxonomy lacks is less often pulled into a known theme (cross-validated on the development set: 15.5 %
        of novel-theme answers under a taxonomy theme, against 17.4 % when the vote is taken in the learned space)."""
        voting = vectors if votes is None else votes
        n = vectors.shape[0]
        blank = np.array(list(empty) if empty is not None else [False] * n, dtype=bool)
        keys = [anchor or OTHER for anchor in anchors]
        how = ["seed" if anchor else OTHER for anchor in anchors]
        confidence = np.array(
            [
                0.55 + 0.45 * min(1.0, score / 2.0) if anchor else 0.0
                for anchor, score in zip(anchors, anchor_scores, strict=False)
            ]
        )
        themes = sorted({anchor for anchor in anchors if anchor})
        theme_index = {theme: i for i, theme in enumerate(themes)}
        anchored = np.array([i for i, anchor in enumerate(anchors) if anchor], dtype=np.int64)
        labels = np.array([theme_index[anchors[i]] for i in anchored], dtype=np.int64)
        joining = self.calibrate_joining(voting[anchored], labels, len(themes)) if len(anchored) else 1.0
        distance = self.calibrate_distance(vectors[anchored], labels) if len(anchored) else self.default_distance
        thresholds = {"joining_similarity": round(joining, 4), "discovery_distance": round(distance, 4)}
        rest = np.array([i for i in range(n) if not anchors[i] and not blank[i]], dtype=np.int64)
        if not len(rest):
            return Placement(keys, confidence, how, thresholds)

        # 1. every unanchored answer's vote among anchored neighbours (kept for later decisions)
        if len(anchored):
            pool = self._voters(len(anchored))
            indices, similarities = top_neighbours(voting[rest], voting[anchored[pool]], self.k)
            winner, share, mean = neighbour_vote(labels[pool], indices, similarities, len(themes))
        else:
            winner = np.zeros(len(rest), dtype=np.int64)
            share = mean = np.zeros(len(rest))
        joins = (share >= 0.5) & (mean >= joining)

        # 2. discovery among the unanchored answers
        total = float(weights.sum())
        min_size = max(self.min_size, math.ceil(self.min_share * total))
        clusters = self._discover(vectors[rest], weights[rest], distance)
        number = 0
        centres: list[np.ndarray] = []
        decided = np.zeros(len(rest), dtype=bool)
        for members in clusters:
            size = float(weights[rest][members].sum())
            if size < min_size or len(members) < 2:
                continue
            member_joins = joins[members]
            if len(anchored) and member_joins.mean() >= 0.5:
                # the group says what a known theme says: its members join that theme (by majority)
                tally = np.bincount(winner[members][member_joins], minlength=len(themes))
                theme = themes[int(tally.argmax())]
                for member in members:
                    row = rest[member]
                    keys[row], how[row] = theme, "meaning"
                    confidence[row] = float(np.clip(share[member] * (0.5 + mean[member]) / 1.5, 0.3, 0.95))
                decided[members] = True
                continue
            number += 1
            centre = voting[rest][members].mean(axis=0)
            centre /= max(float(np.linalg.norm(centre)), 1e-9)
            centres.append(centre)
            closeness = voting[rest][members] @ centre
            for member, value in zip(members, closeness, strict=False):
                row = rest[member]
                keys[row], how[row] = f"new:{number}", "discovered"
                confidence[row] = float(np.clip(0.5 + (value - joining), 0.2, 0.95))
            decided[members] = True

        # 3. answers in no group: join a known theme by meaning, else the closest discovered theme, else "other"
        centre_matrix = np.vstack(centres) if centres else np.zeros((0, voting.shape[1]), dtype=np.float32)
        for position in np.flatnonzero(~decided):
            row = rest[position]
            if joins[position]:
                keys[row], how[row] = themes[int(winner[position])], "meaning"
                confidence[row] = float(np.clip(share[position] * (0.5 + mean[position]) / 1.5, 0.3, 0.9))
            elif len(centre_matrix):
                closeness = centre_matrix @ voting[row]
                best = int(closeness.argmax())
                if closeness[best] >= joining:
                    keys[row], how[row] = f"new:{best + 1}", "discovered"
                    confidence[row] = float(np.clip(0.3 + closeness[best] - joining, 0.1, 0.5))
        return Placement(keys, confidence, how, thresholds)

    def _voters(self, anchored: int) -> np.ndarray:
        """Positions of the anchored answers that vote: all of them up to `max_voters`, else a fixed uniform random
        sample of that many (each theme keeps about its share). Every unanchored answer is compared with every
        voter, so at 100 000 answers (40 000 anchored) this product was 30 of the run's 58 CPU seconds."""
        if anchored <= self.max_voters:
            return np.arange(anchored)
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(anchored, size=self.max_voters, replace=False))

    def _tree(self, vectors: np.ndarray) -> np.ndarray:
        if self.method == "ward":  # on unit vectors, Euclidean distance is a function of cosine
            return linkage(vectors.astype(np.float64), method="ward")
        return linkage(vectors.astype(np.float64), method=self.method, metric="cosine")

    def _discover(self, vectors: np.ndarray, weights: np.ndarray, distance: float) -> list[np.ndarray]:
        """Groups (arrays of row positions) from an average-linkage tree cut at `distance`, biggest first."""
        if len(vectors) < 2:
            return []
        if len(vectors) <= self.max_tree:
            groups = fcluster(self._tree(vectors), t=distance, criterion="distance")
        else:
            # The tree is quadratic: build it on a sample (the most frequent answers first, then at random), then
            # give every other answer the sample group whose centre it is closest to, if close enough.
            rng = np.random.default_rng(self.random_state)
            order = np.lexsort((rng.random(len(vectors)), -weights))
            sample = np.sort(order[: self.max_tree])
            sample_groups = fcluster(self._tree(vectors[sample]), t=distance, criterion="distance")
            names = np.unique(sample_groups)
            sums = np.zeros((len(names), vectors.shape[1]), dtype=np.float64)
            np.add.at(sums, np.searchsorted(names, sample_groups), vectors[sample])
            centres = (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)).astype(np.float32)
            groups = np.zeros(len(vectors), dtype=np.int64)
            alone = int(names.max()) + 1
            for start in range(0, len(vectors), CHUNK):
                block = vectors[start : start + CHUNK] @ centres.T
                best = block.argmax(axis=1)
                close = block[np.arange(len(best)), best] >= 1.0 - distance
                groups[start : start + len(best)] = np.where(close, names[best], alone + start + np.arange(len(best)))
            groups[sample] = sample_groups
        # one stable sort instead of a scan per group: above max_tree most answers are groups of their own, and
        # `groups == g` for each of 100 000 groups is 10^10 comparisons
        order = np.argsort(groups, kind="stable")
        starts = np.flatnonzero(np.r_[True, groups[order][1:] != groups[order][:-1]])
        sizes = np.add.reduceat(weights[order].astype(np.float64), starts)
        result = np.split(order, starts[1:])
        return [result[i] for i in np.lexsort((order[starts], -sizes))]
