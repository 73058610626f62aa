"""Persisted themes on a real database: stable ids, managers' renames, merges and moves, new answers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlmodel import col, select

from analysis.service import analyse_campaign, assign_new_answers, campaign_summary
from surveys.ids import pk
from surveys.importer import import_answers
from surveys.models import Answer, AnswerTheme, Theme, ThemeRun
from surveys.themes import move_answer

DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "dev.jsonl"


def dev_texts() -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["text"] for row in rows[::2]]  # every second answer: all themes, about 135 answers


async def add_answers(sessions, campaign, texts: list[str]) -> None:
    raw = "\n".join(json.dumps({"text": text}, ensure_ascii=False) for text in texts).encode()
    async with sessions() as session, session.begin():
        await import_answers(session, campaign, raw, filename="answers.jsonl")


async def analyse(sessions, campaign):
    with ThreadPoolExecutor(max_workers=1) as executor:
        return await analyse_campaign(sessions, campaign.code, executor=executor)


async def themes_by_key(sessions, campaign) -> dict[str, Theme]:
    async with sessions() as session:
        return {t.key: t for t in (await session.exec(select(Theme).where(Theme.campaign_id == campaign.id))).all()}


async def test_theme_ids_survive_a_rerun_with_more_answers(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    texts = dev_texts()
    first_part = texts[: int(len(texts) / 1.2)]
    await add_answers(sessions, campaign, first_part)
    first = await analyse_campaign(sessions, campaign.code)  # default: a separate process
    assert sum(theme.size for theme in first) == len(first_part)
    assert {"family", "outdoors", "safety"} <= {theme.key for theme in first}
    await add_answers(sessions, campaign, texts[len(first_part) :])  # 20 % more
    second = await analyse(sessions, campaign)
    assert sum(theme.size for theme in second) == len(texts)
    before = {theme.key: theme.id for theme in first}
    after = {theme.key: theme.id for theme in second}
    kept = [key for key in before if key in after]
    assert len(kept) >= 0.9 * len(before)
    assert all(before[key] == after[key] for key in kept)
    async with sessions() as session:
        runs = (await session.exec(select(ThemeRun).where(ThemeRun.campaign_id == campaign.id))).all()
    assert [run.n_answers for run in runs] == [len(first_part), len(texts)]


async def test_a_managers_rename_survives_a_rerun(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, dev_texts())
    await analyse(sessions, campaign)
    async with sessions() as session, session.begin():
        family = (
            await session.exec(select(Theme).where(Theme.campaign_id == campaign.id, Theme.key == "family"))
        ).one()
        family.label, family.label_locked = "De nærmeste", True
    await add_answers(sessions, campaign, ["barnebarna mine", "min familie"])
    summary = await analyse(sessions, campaign)
    renamed = next(theme for theme in summary if theme.key == "family")
    assert renamed.label == "De nærmeste" and renamed.id == family.id


async def test_merges_and_manual_moves_are_respected(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, dev_texts())
    await analyse(sessions, campaign)
    themes = await themes_by_key(sessions, campaign)
    home, coping = themes["home"], themes["coping"]
    async with sessions() as session, session.begin():
        (await session.get(Theme, home.id)).merged_into_id = coping.id
        moved = (
            await session.exec(
                select(AnswerTheme)
                .where(AnswerTheme.theme_id == themes["food"].id)
                .order_by(col(AnswerTheme.answer_id))
            )
        ).first()
        moved.theme_id, moved.manual = themes["activities"].id, True
    sizes_before = home.size + coping.size
    summary = {theme.key: theme for theme in await analyse(sessions, campaign)}
    assert "home" not in summary
    assert summary["coping"].size >= sizes_before - 2
    async with sessions() as session:
        row = await session.get(AnswerTheme, moved.answer_id)
        assert row.theme_id == themes["activities"].id and row.manual
        home_rows = (await session.exec(select(AnswerTheme).where(AnswerTheme.theme_id == home.id))).all()
    assert home_rows == []
    assert set(summary["coping"].quotes) <= await members_of(sessions, pk(coping))


async def members_of(sessions, theme_id: int) -> set[int]:
    async with sessions() as session:
        return set((await session.exec(select(AnswerTheme.answer_id).where(AnswerTheme.theme_id == theme_id))).all())


async def test_new_answers_are_assigned_to_existing_themes(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, dev_texts())
    await analyse(sessions, campaign)
    runs_before = await count_runs(sessions, campaign)
    await add_answers(
        sessions, campaign, ["oldebarna mine", "å gå tur i skogen", "qwerty zxcv", "eg vil ha tryggleiksalarm"]
    )
    assert await assign_new_answers(sessions, campaign.code) == 4
    assert await assign_new_answers(sessions, campaign.code) == 0
    async with sessions() as session:
        rows = (
            await session.exec(
                select(Answer.text, Theme.key)
                .join(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id)
                .join(Theme, col(Theme.id) == AnswerTheme.theme_id)
                .where(Answer.campaign_id == campaign.id)
            )
        ).all()
    keys = dict(rows)
    assert keys["oldebarna mine"] == "family"
    assert keys["å gå tur i skogen"] == "outdoors"
    assert keys["eg vil ha tryggleiksalarm"] == "safety"
    assert keys["qwerty zxcv"] == "other"
    assert await count_runs(sessions, campaign) == runs_before
    summary = await campaign_summary(sessions, campaign.code)
    assert sum(theme.size for theme in summary) == len(dev_texts()) + 4


async def count_runs(sessions, campaign) -> int:
    async with sessions() as session:
        return len((await session.exec(select(ThemeRun).where(ThemeRun.campaign_id == campaign.id))).all())


async def test_a_campaign_without_answers_has_no_themes(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    assert await analyse(sessions, campaign) == []
    assert await assign_new_answers(sessions, campaign.code) == 0


async def test_an_answer_moved_by_a_manager_stays_after_a_rerun(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, dev_texts())
    await analyse(sessions, campaign)
    themes = await themes_by_key(sessions, campaign)
    food = await members_of(sessions, pk(themes["food"]))
    answer_id = min(food)
    async with sessions() as session, session.begin():
        await move_answer(session, answer_id, await session.get(Theme, themes["activities"].id))
    summary = {theme.key: theme for theme in await analyse(sessions, campaign)}
    assert answer_id in await members_of(sessions, pk(themes["activities"]))
    async with sessions() as session:
        assert (await session.get(AnswerTheme, answer_id)).manual
    assert sum(theme.size for theme in summary.values()) == len(dev_texts())
