"""Assign new answers to existing themes without recomputing everything (seeds first, then nearest theme)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from analysis.clustering import OTHER, centroids
from analysis.pipeline import AnswerText, ThemePipeline


def assign_to_existing(
    pipeline: ThemePipeline,
    members: Mapping[str, Sequence[str]],
    taxonomy_keys: Mapping[str, str],
    new: Sequence[AnswerText],
) -> dict[Hashable, tuple[str, float]]:
    """{answer id: (theme key, score)} for `new`, choosing among the keys of `members` (texts per existing theme).

    An answer with clear seed evidence for a taxonomy theme that exists goes there; otherwise to the theme whose
    members' centre it is most similar to (at least the clusterer's similarity threshold); otherwise "other".
    `taxonomy_keys` maps a taxonomy key to the existing theme key that stands for it.
    """
    if not new:
        return {}
    known = [key for key in sorted(members) if key != OTHER and members[key]]
    old_answers = [AnswerText(("old", key, i), text) for key in known for i, text in enumerate(members[key])]
    prepared = pipeline.prepare(old_answers + list(new))
    documents = [doc if doc else ["∅"] for doc in prepared.features]
    matrix = pipeline.vectoriser.fit_transform(documents)
    labels: list[str] = []
    for group in prepared.ids:
        olds = [answer_id[1] for answer_id in group if isinstance(answer_id, tuple) and answer_id[0] == "old"]
        labels.append(olds[0] if olds else "")
    similarities = np.asarray(matrix @ centroids(matrix, labels, known, prepared.weights).T) if known else None
    anchors, scores = pipeline.seed_themes(prepared)
    wanted = {answer.id for answer in new}
    result: dict[Hashable, tuple[str, float]] = {}
    for row, group in enumerate(prepared.ids):
        targets = [answer_id for answer_id in group if answer_id in wanted]
        if not targets:
            continue
        key, score = OTHER, 0.0
        seed_key = taxonomy_keys.get(anchors[row] or "")
        if seed_key is not None:
            key, score = seed_key, min(1.0, scores[row] / 2.0)
        elif similarities is not None and prepared.features[row]:
            best = int(similarities[row].argmax())
            if similarities[row, best] >= pipeline.clusterer.similarity:
                key, score = known[best], float(similarities[row, best])
        for answer_id in targets:
            result[answer_id] = (key, score)
    return result
