"""Assign new answers to existing themes without recomputing everything (seeds first, then nearest theme)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from analysis.clustering import OTHER
from analysis.meaning import neighbour_vote, top_neighbours
from analysis.pipeline import AnswerText, ThemePipeline


def assign_to_existing(
    pipeline: ThemePipeline,
    members: Mapping[str, Sequence[str]],
    taxonomy_keys: Mapping[str, str],
    new: Sequence[AnswerText],
) -> dict[Hashable, tuple[str, float]]:
    """{answer id: (theme key, score)} for `new`, choosing among the keys of `members` (texts per existing theme).

    An answer with clear seed evidence for a taxonomy theme that exists goes there; otherwise to the theme its
    nearest members agree on by meaning (threshold calibrated on the existing members); otherwise "other".
    `taxonomy_keys` maps a taxonomy key to the existing theme key that stands for it.
    """
    if not new:
        return {}
    known = [key for key in sorted(members) if key != OTHER and members[key]]
    old_answers = [AnswerText(("old", key, i), text) for key in known for i, text in enumerate(members[key])]
    prepared = pipeline.prepare(old_answers + list(new))
    grouped = pipeline.vectors_for(prepared, None)
    vectors = pipeline.votes_ if pipeline.votes_ is not None else grouped  # joining is decided in the voting space
    labels: list[int] = []
    for group in prepared.ids:
        olds = [answer_id[1] for answer_id in group if isinstance(answer_id, tuple) and answer_id[0] == "old"]
        labels.append(known.index(olds[0]) if olds else -1)
    label_array = np.array(labels, dtype=np.int64)
    old_rows = np.flatnonzero(label_array >= 0)
    clusterer = pipeline.clusterer
    joining = clusterer.calibrate_joining(vectors[old_rows], label_array[old_rows], len(known)) if known else 1.0
    anchors, scores = pipeline.seed_themes(prepared)
    wanted = {answer.id for answer in new}
    new_rows = [row for row, group in enumerate(prepared.ids) if any(answer_id in wanted for answer_id in group)]
    if len(old_rows) and new_rows:
        indices, similarities = top_neighbours(vectors[new_rows], vectors[old_rows], clusterer.k)
        winner, share, mean = neighbour_vote(label_array[old_rows], indices, similarities, len(known))
    result: dict[Hashable, tuple[str, float]] = {}
    for position, row in enumerate(new_rows):
        key, score = OTHER, 0.0
        seed_key = taxonomy_keys.get(anchors[row] or "")
        if seed_key is not None:
            key, score = seed_key, 0.55 + 0.45 * min(1.0, scores[row] / 2.0)
        elif len(old_rows) and prepared.features[row] and share[position] >= 0.5 and mean[position] >= joining:
            key = known[int(winner[position])]
            score = float(np.clip(share[position] * (0.5 + mean[position]) / 1.5, 0.3, 0.9))
        for answer_id in prepared.ids[row]:
            if answer_id in wanted:
                result[answer_id] = (key, score)
    return result
