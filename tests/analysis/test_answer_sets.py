"""The realistic labelled answer sets keep the properties their README states, so they cannot drift silently.

The held-out set is the yardstick for issue 11: if its answers, labels or the seed rule quietly changed, a better
score would mean nothing. These checks read the shipped taxonomy through its own loader, so a seed term added to
`analysis/taxonomy/default.toml` that appears in a "seedless" answer fails here (that would be tuning on held-out).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from analysis.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data" / "answers"
HELDOUT = DATA / "realistic_heldout.jsonl"
DEV = DATA / "realistic_dev.jsonl"
LANGUAGES = {"nb", "nn", "sv", "da", "en"}
SOURCES = {"written", "public quote"}
# Frozen in commit "Frozen realistic held-out set for theme quality (issue 11)". Never edit the file to make a
# score better; if it truly must change (a privacy problem, say), write why in the README and update this hash.
HELDOUT_SHA256 = "760028ed8c2adcab807b4917cf4b267d487e509bea7bb23b7d865fc6f8271289"
# Stated minimums per set: answers, share novel, share seedless, share of one- or two-word answers.
MINIMUMS = {HELDOUT: (330, 0.40, 0.30, 0.25), DEV: (250, 0.40, 0.30, 0.25)}
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")

Row = dict[str, Any]


def load(path: Path) -> list[Row]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}, line {number}: empty line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name}, line {number}: not a JSON object"
        rows.append(row)
    return rows


def seeds_by_theme() -> dict[str, list[str]]:
    taxonomy = load_taxonomy()
    return {theme.key: sorted({term for terms in theme.seeds.values() for term in terms}) for theme in taxonomy.themes}


SEEDS = seeds_by_theme()


def seed_hits(text: str, theme: str) -> list[str]:
    """Seed terms of `theme` found in `text` as a whole word or any word part (substring), all languages at once.

    A seed of several words counts when each of its words occurs somewhere in the answer, in any order, so that
    "ikke være alene" counts for "ikke alene". This is deliberately stricter than any matcher: "seedless" must mean
    that no spelling trick of the seed list can place the answer.
    """
    lowered = text.lower()
    words = WORD.findall(lowered)
    return [
        seed
        for seed in SEEDS[theme]
        if all(part in lowered or any(part in word for word in words) for part in seed.split())
    ]


def words_in(text: str) -> int:
    return len(WORD.findall(text.lower()))


def novel_themes(rows: list[Row]) -> set[str]:
    return {row["theme"] for row in rows if row["novel"]}


@pytest.fixture(scope="module", params=[HELDOUT, DEV], ids=["heldout", "dev"])
def answer_set(request: pytest.FixtureRequest) -> tuple[Path, list[Row]]:
    path: Path = request.param
    return path, load(path)


def test_heldout_is_frozen() -> None:
    digest = hashlib.sha256(HELDOUT.read_bytes()).hexdigest()
    assert digest == HELDOUT_SHA256, "realistic_heldout.jsonl changed; it is frozen and must never be tuned on"


def test_rows_are_well_formed(answer_set: tuple[Path, list[Row]]) -> None:
    path, rows = answer_set
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
    for row in rows:
        where = f"{path.name} {row.get('id')}"
        assert isinstance(row["text"], str) and row["text"].strip(), where
        assert isinstance(row["theme"], str) and re.fullmatch(r"[a-z][a-z_]*", row["theme"]), where
        assert row["lang"] in LANGUAGES and row["language"] == row["lang"], where
        assert isinstance(row["novel"], bool), where
        assert row["source"] in SOURCES, where
        assert row["novel"] == (row["theme"] not in SEEDS and row["theme"] != "other"), f"{where}: novel flag wrong"
        if row["theme"] in SEEDS:
            assert isinstance(row["seedless"], bool), f"{where}: taxonomy answers carry a seedless flag"
        else:
            assert "seedless" not in row, f"{where}: seedless applies to taxonomy themes only"


def test_seedless_flag_matches_the_shipped_taxonomy(answer_set: tuple[Path, list[Row]]) -> None:
    path, rows = answer_set
    wrong = [
        (row["id"], row["text"], seed_hits(row["text"], row["theme"]))
        for row in rows
        if row["theme"] in SEEDS and row["seedless"] == bool(seed_hits(row["text"], row["theme"]))
    ]
    assert not wrong, f"{path.name}: seedless flag disagrees with the taxonomy's seeds: {wrong}"


def test_stated_shares(answer_set: tuple[Path, list[Row]]) -> None:
    path, rows = answer_set
    minimum_rows, novel_share, seedless_share, short_share = MINIMUMS[path]
    total = len(rows)
    assert total >= minimum_rows
    assert sum(row["novel"] for row in rows) / total >= novel_share
    assert sum(row.get("seedless", False) for row in rows) / total >= seedless_share
    assert sum(words_in(row["text"]) <= 2 for row in rows) / total >= short_share
    assert sum(row["theme"] == "other" for row in rows) / total <= 0.05, "'other' is for answers that stand alone"


def test_novel_themes_are_many_and_not_thin(answer_set: tuple[Path, list[Row]]) -> None:
    path, rows = answer_set
    counts = Counter(row["theme"] for row in rows if row["novel"])
    assert 8 <= len(counts) <= 12, f"{path.name}: {len(counts)} novel themes"
    thin = {theme: count for theme, count in counts.items() if count < 15}
    assert not thin, f"{path.name}: novel themes with fewer than 15 answers: {thin}"
    taxonomy_themes = {row["theme"] for row in rows if row["theme"] in SEEDS}
    assert taxonomy_themes == set(SEEDS), f"{path.name}: every taxonomy theme should appear"


def test_languages(answer_set: tuple[Path, list[Row]]) -> None:
    path, rows = answer_set
    counts = Counter(row["lang"] for row in rows)
    assert set(counts) == LANGUAGES
    assert counts.most_common(1)[0][0] == "nb"
    assert all(count / len(rows) >= 0.05 for count in counts.values()), f"{path.name}: {counts}"


def test_dev_shares_at_most_half_of_its_novel_themes_with_heldout() -> None:
    dev, heldout = novel_themes(load(DEV)), novel_themes(load(HELDOUT))
    assert len(dev & heldout) <= len(dev) / 2, f"shared novel themes: {sorted(dev & heldout)}"


def test_no_answer_text_is_in_both_sets() -> None:
    def texts(path: Path) -> set[str]:
        return {" ".join(row["text"].lower().split()) for row in load(path)}

    assert not texts(DEV) & texts(HELDOUT)


def test_seed_check_catches_word_parts() -> None:
    """The rule itself: a seed inside a longer word ("tid" in "alltid") and split phrase seeds both count."""
    assert "tid" in seed_hits("alltid", "continuity")
    assert "ikke alene" in seed_hits("jeg vil ikke være alene", "company")
    assert seed_hits("gjengen på dagsenteret", "company") == []
