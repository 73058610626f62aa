"""surveys.themes on a real database: one recount that follows merges, moving an answer, merging themes."""

from __future__ import annotations

import json
from typing import TypedDict

import pytest
from sqlmodel import select

from surveys.ids import pk
from surveys.importer import import_answers
from surveys.models import Answer, AnswerTheme, Campaign, Theme
from surveys.themes import ThemeError, merge_theme, move_answer, recount, visible_themes


class Seeded(TypedDict):
    family: Theme
    outdoors: Theme
    ids: list[int]


async def campaign_with_themes(sessions, make_campaign, name: str = "Våren") -> tuple[Campaign, Seeded]:
    """Six answers: four in "family" (two quoted), two in "outdoors"; written directly, no analysis needed."""
    campaign = await make_campaign(name=name)
    texts = ["familien", "barnebarna", "sønnen min", "kona mi", "gå tur", "frisk luft"]
    raw = "\n".join(json.dumps({"text": text}, ensure_ascii=False) for text in texts).encode()
    async with sessions() as session, session.begin():
        await import_answers(session, campaign, raw, filename="answers.jsonl")
        ids = [pk(answer) for answer in (await session.exec(select(Answer).where(Answer.campaign_id == campaign.id)))]
        family = Theme(campaign_id=campaign.id, key="family", label="Familie", quotes=ids[:2])
        outdoors = Theme(campaign_id=campaign.id, key="outdoors", label="Ute", quotes=ids[4:5])
        session.add_all([family, outdoors])
        await session.flush()
        for answer_id in ids[:4]:
            session.add(AnswerTheme(answer_id=answer_id, theme_id=pk(family)))
        for answer_id in ids[4:]:
            session.add(AnswerTheme(answer_id=answer_id, theme_id=pk(outdoors)))
        await recount(session, campaign.id)
    return campaign, {"family": family, "outdoors": outdoors, "ids": ids}


async def test_recount_counts_a_merged_themes_answers_at_its_target(sessions, make_campaign) -> None:
    campaign, themes = await campaign_with_themes(sessions, make_campaign)
    async with sessions() as session, session.begin():
        outdoors = await session.get(Theme, themes["outdoors"].id)
        outdoors.merged_into_id = themes["family"].id  # recorded, assignments not moved: recount still follows it
        ordered = await recount(session, pk(campaign))
        assert [(t.key, t.size, t.share) for t in ordered] == [("family", 6, 1.0), ("outdoors", 0, 0.0)]
        assert [t.key for t in await visible_themes(session, pk(campaign))] == ["family"]


async def test_moving_an_answer_is_kept_recounted_and_leaves_the_old_quotes(sessions, make_campaign) -> None:
    campaign, themes = await campaign_with_themes(sessions, make_campaign)
    quoted = themes["ids"][0]
    async with sessions() as session, session.begin():
        outdoors = await session.get(Theme, themes["outdoors"].id)
        row = await move_answer(session, quoted, outdoors)
        assert row.manual and row.theme_id == outdoors.id
    async with sessions() as session:
        family = await session.get(Theme, themes["family"].id)
        outdoors = await session.get(Theme, themes["outdoors"].id)
        assert (family.size, outdoors.size) == (3, 3)
        assert family.share == pytest.approx(0.5) and outdoors.share == pytest.approx(0.5)
        assert quoted not in family.quotes


async def test_moving_into_a_merged_theme_lands_in_its_target(sessions, make_campaign) -> None:
    campaign, themes = await campaign_with_themes(sessions, make_campaign)
    async with sessions() as session, session.begin():
        family = await session.get(Theme, themes["family"].id)
        outdoors = await session.get(Theme, themes["outdoors"].id)
        extra = Theme(campaign_id=pk(campaign), key="new:x", label="X")
        session.add(extra)
        await session.flush()
        await merge_theme(session, extra, outdoors)
        row = await move_answer(session, themes["ids"][0], extra)
        assert row.theme_id == outdoors.id
        assert (family.size, outdoors.size, extra.size) == (3, 3, 0)


async def test_an_answer_of_another_campaign_cannot_be_moved_in(sessions, make_campaign) -> None:
    _campaign, themes = await campaign_with_themes(sessions, make_campaign)
    _other, other_themes = await campaign_with_themes(sessions, make_campaign, name="Høsten")
    async with sessions() as session, session.begin():
        target = await session.get(Theme, themes["family"].id)
        with pytest.raises(ThemeError):
            await move_answer(session, other_themes["ids"][0], target)
        with pytest.raises(ThemeError):
            await move_answer(session, 10_000_000, target)


async def test_the_export_carries_each_placements_confidence(sessions, make_campaign) -> None:
    from surveys.exporter import ExportOptions, collect_rows

    campaign, themes = await campaign_with_themes(sessions, make_campaign)
    ids = themes["ids"]
    async with sessions() as session, session.begin():
        for answer_id, score in zip(ids, [0.9, 0.42, None, 0.7, 0.3, 0.55], strict=True):
            row = await session.get_one(AnswerTheme, answer_id)
            row.score = score
        await move_answer(session, ids[4], await session.get_one(Theme, themes["family"].id))
    async with sessions() as session:
        rows = await collect_rows(session, campaign, ExportOptions())
        hidden = await collect_rows(session, campaign, ExportOptions(hidden_themes=frozenset({pk(themes["outdoors"])})))
    by_id = {row["answer_id"]: row for row in rows}
    assert [by_id[i]["theme_confidence"] for i in ids] == [0.9, 0.42, None, 0.7, 1.0, 0.55]  # moved: 1.0
    assert [by_id[i]["confidence_percent"] for i in ids] == [90, 42, None, 70, 100, 55]
    assert {row["answer_id"]: row["theme_confidence"] for row in hidden}[ids[5]] is None  # withheld with its theme
