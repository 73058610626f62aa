"""The learned metric: whitening shrinks directions that vary inside themes, and applies to its own model only."""

from __future__ import annotations

import numpy as np

from analysis.metric import MODEL, fit_whitening, for_model, shipped, unit_rows


def nearest_neighbour_accuracy(vectors: np.ndarray, labels: np.ndarray) -> float:
    vectors = unit_rows(vectors)
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -9.0)
    return float(np.mean(labels[similarities.argmax(axis=1)] == labels))


def test_whitening_shrinks_a_direction_that_varies_inside_every_theme() -> None:
    """Themes apart along a few directions; a "language" direction spreads every theme's answers far more."""
    rng = np.random.default_rng(0)
    dim, themes, per_theme = 16, 6, 30
    centres = np.zeros((themes, dim))
    centres[:, 2:8] = 0.3 * rng.normal(size=(themes, 6))
    labels = np.repeat(np.arange(themes), per_theme)
    vectors = centres[labels] + 0.05 * rng.normal(size=(len(labels), dim))
    vectors[:, 0] += 3.0 * rng.choice([-1.0, 1.0], size=len(labels))  # language: two values, unrelated to theme
    vectors[:, 1] += 2.0 * rng.normal(size=len(labels))  # form: length of the answer
    train, test = np.arange(len(labels)) % 2 == 0, np.arange(len(labels)) % 2 == 1
    metric = fit_whitening(vectors[train], labels[train], shrinkage=0.1)
    before = nearest_neighbour_accuracy(vectors[test], labels[test])
    after = nearest_neighbour_accuracy(unit_rows(vectors[test]) @ metric, labels[test])
    assert before < 0.8 and after >= 0.9, (before, after)


def test_the_shipped_metric_is_for_the_default_model_only() -> None:
    matrix = shipped()
    assert matrix is not None and matrix.shape == (384, 384) and np.isfinite(matrix).all()
    assert for_model(f"{MODEL}/nb", 384) is matrix
    assert for_model("someone/larger-model", 384) is None
    assert for_model(f"{MODEL}/nb", 768) is None
