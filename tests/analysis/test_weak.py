"""Groups inside a weak taxonomy theme become suggestions: answers placed there with low confidence that cluster
together away from the theme's confidently seeded answers (analysis/weak.py), through the pipeline and the store."""

from __future__ import annotations

import numpy as np

from analysis.pipeline import AnswerText, ThemePipeline
from analysis.weak import split_weak_groups

rng = np.random.default_rng(3)


def near(direction: int, n: int, dim: int = 384) -> np.ndarray:
    """n unit vectors close to one axis: answers that mean the same."""
    vectors = rng.normal(0.0, 0.05, (n, dim)).astype(np.float32)
    vectors[:, direction] += 1.0
    return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def test_a_tight_group_of_weak_members_away_from_the_anchors_is_split_off() -> None:
    vectors = np.vstack([near(0, 6), near(1, 4), near(0, 2), near(2, 3)])
    keys = ["home"] * 12 + ["food"] * 3
    how = ["seed"] * 6 + ["seed"] * 4 + ["meaning"] * 2 + ["seed"] * 3
    confidence = np.array([0.8] * 6 + [0.73] * 4 + [0.5] * 2 + [0.8] * 3)
    weak = split_weak_groups(keys, how, confidence, vectors, np.ones(15, dtype=np.float32), 0.5)
    assert weak.keys[6:10] == ["new:w1"] * 4 and weak.how[6:10] == ["discovered"] * 4
    assert weak.found_in == {"new:w1": "home"}
    assert weak.keys[:6] == ["home"] * 6 and weak.keys[10:12] == ["home"] * 2  # paraphrases close to the anchors
    assert weak.keys[12:] == ["food"] * 3


def test_too_few_or_confident_members_are_not_split() -> None:
    vectors = np.vstack([near(0, 6), near(1, 2), near(1, 4)])
    keys = ["home"] * 12
    how = ["seed"] * 12
    confidence = np.array([0.8] * 6 + [0.73] * 2 + [0.9] * 4)  # two weak only; the four are confident seeds
    weak = split_weak_groups(keys, how, confidence, vectors, np.ones(12, dtype=np.float32), 0.5)
    assert weak.keys == keys and not weak.found_in


def test_the_pipeline_suggests_a_group_found_inside_a_taxonomy_theme() -> None:
    # "bedehuset" reaches "Bo hjemme" through the compound head "hus" only; its answers mean something else
    texts = ["bo hjemme", "hjemme hos meg", "eget hjem", "huset mitt", "leiligheten min", "bo hjemme lenge"]
    texts += ["bedehuset", "møtene på bedehuset", "kveldene på bedehuset", "søndag på bedehuset"]
    texts += ["kaffe", "kaffe med venner", "god kaffe", "kaffe og kake"]
    vectors = np.vstack([near(0, 6), near(1, 4), near(2, 4)])
    answers = [AnswerText(i, text) for i, text in enumerate(texts)]
    result = ThemePipeline(languages=["nb"]).fit_transform(answers, vectors=dict(enumerate(vectors)))
    found = [theme for theme in result.themes if theme.found_in]
    assert len(found) == 1 and found[0].found_in == "home" and set(found[0].members) == {6, 7, 8, 9}
    assert found[0].taxonomy_key is None and "bedehuset" in found[0].label.lower() and found[0].quotes
    assert all(result.assignments[i][0] == "home" for i in range(6))
    assert result.parameters["weak_groups"] == 1
    off = ThemePipeline(languages=["nb"], weak_groups=False).fit_transform(answers, vectors=dict(enumerate(vectors)))
    assert all(off.assignments[i][0] == "home" for i in range(10))


async def test_the_group_is_a_suggestion_and_once_rejected_goes_back_to_its_theme(sessions, make_campaign) -> None:
    from sqlmodel import col, select

    from analysis.vectors import embedder_name, save_vectors
    from surveys.models import Answer, AnswerTheme, Theme
    from surveys.themes import is_suggestion, reject_suggestion
    from tests.analysis.test_store import add_answers, analyse

    campaign = await make_campaign()
    texts = ["bo hjemme", "hjemme hos meg", "eget hjem", "huset mitt", "leiligheten min", "bo hjemme lenge"]
    texts += ["bedehuset", "møtene på bedehuset", "kveldene på bedehuset", "søndag på bedehuset"]
    await add_answers(sessions, campaign, texts)
    async with sessions() as session, session.begin():
        ids = list((await session.exec(select(Answer.id).order_by(col(Answer.id)))).all())
        vectors = np.vstack([near(0, 6), near(1, 4)])
        await save_vectors(session, dict(zip(ids, vectors, strict=True)), embedder_name("nb"))  # as at ingest
    await analyse(sessions, campaign)
    async with sessions() as session, session.begin():
        themes = {t.key: t for t in (await session.exec(select(Theme))).all()}
        suggested = [t for t in themes.values() if is_suggestion(t)]
        assert len(suggested) == 1 and suggested[0].size == 4 and themes["home"].size == 6
        await reject_suggestion(session, suggested[0])
    await analyse(sessions, campaign)  # the group is found again, not suggested again: back to "Bo hjemme"
    async with sessions() as session:
        themes = {t.id: t for t in (await session.exec(select(Theme))).all()}
        rows = {r.answer_id: themes[r.theme_id].key for r in (await session.exec(select(AnswerTheme))).all()}
    assert [rows[i] for i in ids] == ["home"] * 10
    assert not [t for t in themes.values() if is_suggestion(t) and t.size]
