"""Groups inside a weak taxonomy theme: answers placed there with low confidence (by meaning, or by a compound's
head alone) that cluster together away from the theme's confidently seeded answers become suggested themes.

Placement by meaning puts an answer without seed words in the taxonomy theme its nearest anchored answers agree on.
When several such answers say the same thing as each other but not what the theme's seeded answers say (a group
about the church choir pulled into "Fellesskap" by its neighbours), that is often a theme the taxonomy lacks. They
leave the taxonomy theme as a discovered group ("new:w<n>"), which the themes page offers as a suggestion like any
discovered theme: a manager accepts it (into the unit's taxonomy), renames it, or rejects it (then its answers go
back to the theme they were found in, `found_in`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from analysis.clustering import OTHER

# A placement under this confidence is weak: by meaning (0.3-0.95, most under 0.75), or by a compound's head alone
# ("bedehuset" -> home through "hus": 0.55 + 0.45 * 0.8 / 2 = 0.73); a whole seed word gives 0.775 and more.
WEAK_BELOW = 0.75
MAX_WEAK = 2000  # weak members clustered per theme (the tree is quadratic); above that, the least confident


@dataclass(frozen=True)
class WeakGroups:
    keys: list[str]
    how: list[str]
    found_in: dict[str, str]  # "new:w<n>" -> the taxonomy key it was found in


def split_weak_groups(
    keys: Sequence[str],
    how: Sequence[str],
    confidence: np.ndarray,
    vectors: np.ndarray,
    weights: np.ndarray,
    distance: float,
    *,
    min_size: int = 3,
    min_share: float = 0.004,
) -> WeakGroups:
    """Per taxonomy theme: cluster its weak members (average linkage at the run's discovery distance); a group of at
    least `min_size` answers (and `min_share` of the campaign) whose average similarity to the theme's seeded
    answers is below 1 - distance (the tree would not have joined them) becomes "new:w<n>"."""
    keys, how = list(keys), list(how)
    found_in: dict[str, str] = {}
    minimum = max(min_size, math.ceil(min_share * float(weights.sum())))
    rows_of: dict[str, list[int]] = {}
    for row, key in enumerate(keys):
        if key != OTHER and not key.startswith("new:"):
            rows_of.setdefault(key, []).append(row)
    number = 0
    for theme in sorted(rows_of):
        rows = np.array(rows_of[theme])
        anchored = rows[[how[row] == "seed" and confidence[row] >= WEAK_BELOW for row in rows]]
        weak = rows[[how[row] in ("seed", "meaning") and confidence[row] < WEAK_BELOW for row in rows]]
        if not len(anchored) or float(weights[weak].sum()) < minimum or len(weak) < 2:
            continue
        if len(weak) > MAX_WEAK:
            weak = weak[np.argsort(confidence[weak], kind="stable")[:MAX_WEAK]]
        tree = linkage(vectors[weak].astype(np.float64), method="average", metric="cosine")
        groups = fcluster(tree, t=distance, criterion="distance")
        for group in np.unique(groups):
            members = weak[groups == group]
            if len(members) < 2 or float(weights[members].sum()) < minimum:
                continue
            to_anchors = float(
                np.average((vectors[members] @ vectors[anchored].T).mean(axis=1), weights=weights[members])
            )
            if to_anchors >= 1.0 - distance:
                continue  # as close to the seeded answers as the tree joins: the theme's own paraphrases
            number += 1
            key = f"new:w{number}"
            found_in[key] = theme
            for row in members:
                keys[row], how[row] = key, "discovered"
    return WeakGroups(keys, how, found_in)
