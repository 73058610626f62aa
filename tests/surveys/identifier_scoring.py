"""How a redaction of a generated sample is judged: the whole identifier replaced by one placeholder, all else kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from surveys.deidentify import placeholders
from tests.surveys.identifier_forms import LookAlike, Sample

LANGUAGES = ("nb", "nn", "sv", "en")


def _all_placeholders() -> set[str]:
    return {text for language in LANGUAGES for text in placeholders(language).values()}


def removed_whole(sample: Sample, redacted: str) -> bool:
    """The identifier became exactly one placeholder; the words around it are untouched (nothing more, nothing less)."""
    start = sample.text.index(sample.identifier)
    before, after = sample.text[:start], sample.text[start + len(sample.identifier) :]
    if not (redacted.startswith(before) and redacted.endswith(after)):
        return False
    middle = redacted[len(before) : len(redacted) - len(after)]
    return middle in _all_placeholders()


@dataclass
class Score:
    found: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def rate(self, key: str | None = None) -> float:
        if key is None:
            return sum(self.found.values()) / max(1, sum(self.total.values()))
        return self.found[key] / max(1, self.total[key])


def score_identifiers(samples: list[Sample], redact: Callable[[str, str], str]) -> tuple[Score, Score]:
    """(per form, per kind) shares of samples removed whole."""
    by_form, by_kind = Score(), Score()
    for sample in samples:
        redacted = redact(sample.text, "nb")
        ok = removed_whole(sample, redacted)
        for score, key in ((by_form, sample.form), (by_kind, sample.kind)):
            score.total[key] += 1
            score.found[key] += ok
            if not ok:
                score.misses.setdefault(key, []).append((sample.text, redacted))
    return by_form, by_kind


def score_lookalikes(samples: list[LookAlike], redact: Callable[[str, str], str]) -> Score:
    """Per form, the share of look-alikes CHANGED (lower is better)."""
    score = Score()
    for sample in samples:
        redacted = redact(sample.text, "nb")
        changed = redacted != sample.text
        score.total[sample.form] += 1
        score.found[sample.form] += changed
        if changed:
            score.misses.setdefault(sample.form, []).append((sample.text, redacted))
    return score
