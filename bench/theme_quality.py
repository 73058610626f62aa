"""Theme quality against labelled answers, every set side by side in one run.

For each set (old dev, old held-out, realistic dev, realistic held-out) and each method:
  - ARI and NMI against the labels;
  - "other": the share of answers put in "Annet"/"other";
  - novel->tax: the share of novel-theme answers (themes the taxonomy lacks) placed under a taxonomy theme;
  - novel ARI: ARI over the novel-theme answers alone.
Methods: the Viktig pipeline; TF-IDF words + k-means (k = true number); e5 embeddings (the pipeline's embedder,
centred) + k-means (k = true number). The realistic held-out set is frozen: look at its figures, never tune on it.

Usage: python bench/theme_quality.py [--sets dev heldout realistic_dev realistic_heldout]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from analysis.embedding import default_embedder  # noqa: E402
from analysis.pipeline import AnswerText, ThemePipeline  # noqa: E402
from analysis.taxonomy import load_taxonomy  # noqa: E402

DATA = ROOT / "tests" / "data" / "answers"
SETS = ["dev", "heldout", "realistic_dev", "realistic_heldout"]


def load(name: str) -> list[dict[str, object]]:
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def viktig(rows: list[dict[str, object]], vectors: np.ndarray) -> list[str]:
    ids = [str(row["id"]) for row in rows]
    result = ThemePipeline().fit_transform(
        [AnswerText(i, str(row["text"])) for i, row in zip(ids, rows, strict=True)],
        vectors=dict(zip(ids, vectors, strict=True)),
    )
    return [result.assignments[i][0] for i in ids]


def kmeans(matrix: object, k: int) -> list[str]:
    return [f"k{label}" for label in KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(matrix)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=SETS)
    args = parser.parse_args()
    taxonomy = {theme.key for theme in load_taxonomy().themes}
    columns = ("n", "themes", "ARI", "NMI", "other", "nov>tax", "novARI", "s")
    print(f"{'set':18} {'method':26} " + " ".join(f"{column:>7}" for column in columns))
    for name in args.sets:
        rows = load(name)
        truth = [str(row["theme"]) for row in rows]
        k = len(set(truth))
        novel = [i for i, theme in enumerate(truth) if theme not in taxonomy and theme != "other"]
        vectors = default_embedder("nb").embed([str(row["text"]) for row in rows])
        centred = vectors - vectors.mean(axis=0)
        centred /= np.linalg.norm(centred, axis=1, keepdims=True)
        methods: dict[str, Callable[[], list[str]]] = {
            "viktig pipeline": lambda: viktig(rows, vectors),  # noqa: B023 - called inside this iteration
            "TF-IDF + k-means (k=true)": lambda: kmeans(TfidfVectorizer().fit_transform([r["text"] for r in rows]), k),  # noqa: B023
            "e5 + k-means (k=true)": lambda: kmeans(centred, k),  # noqa: B023
        }
        for method, run in methods.items():
            started = time.perf_counter()
            predicted = run()
            seconds = time.perf_counter() - started
            ari = adjusted_rand_score(truth, predicted)
            nmi = normalized_mutual_info_score(truth, predicted)
            other = sum(label == "other" for label in predicted) / len(predicted)
            under = sum(predicted[i] in taxonomy for i in novel) / len(novel) if novel else 0.0
            novel_ari = (
                adjusted_rand_score([truth[i] for i in novel], [predicted[i] for i in novel]) if novel else float("nan")
            )
            print(
                f"{name:18} {method:26} {len(rows):4d} {len(set(predicted)):6d} {ari:6.3f} {nmi:6.3f} {other:6.1%}"
                f" {under:7.1%} {novel_ari:6.3f} {seconds:6.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
