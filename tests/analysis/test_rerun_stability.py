"""A re-run with 20 % more answers keeps earlier answers where they were and keeps what managers decided, for
discovered themes too (renames, merges)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import col, select

from surveys.models import Answer, AnswerTheme, Theme
from surveys.themes import final_theme, merge_theme, rename_theme, themes_by_id
from tests.analysis.test_store import add_answers, analyse

REALISTIC_DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "realistic_dev.jsonl"


def realistic_texts() -> list[str]:
    lines = REALISTIC_DEV.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


async def placements(sessions, campaign) -> dict[int, int]:
    """answer id -> id of the theme it counts under (merges followed)."""
    async with sessions() as session:
        themes = themes_by_id(list((await session.exec(select(Theme).where(Theme.campaign_id == campaign.id))).all()))
        rows = (
            await session.exec(
                select(AnswerTheme)
                .join(Answer, col(Answer.id) == AnswerTheme.answer_id)
                .where(Answer.campaign_id == campaign.id)
            )
        ).all()
    return {row.answer_id: final_theme(themes[row.theme_id], themes).id or 0 for row in rows}


async def test_a_rerun_with_more_answers_keeps_placements_renames_and_merges(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    texts = realistic_texts()
    first_part = texts[: int(len(texts) / 1.2)]
    await add_answers(sessions, campaign, first_part)
    await analyse(sessions, campaign)
    async with sessions() as session, session.begin():
        themes = list((await session.exec(select(Theme).where(Theme.campaign_id == campaign.id))).all())
        discovered = sorted(
            (t for t in themes if t.taxonomy_key is None and not t.is_other and t.size > 0), key=lambda t: -t.size
        )
        assert len(discovered) >= 3, [(t.key, t.size) for t in themes]
        renamed, source, target = discovered[0], discovered[1], discovered[2]
        await rename_theme(session, renamed, "Navn satt av lederen")
        await merge_theme(session, source, target)
        renamed_id, source_id, target_id = renamed.id, source.id, target.id
    before = await placements(sessions, campaign)

    await add_answers(sessions, campaign, texts[len(first_part) :])  # 20 % more
    await analyse(sessions, campaign)
    after = await placements(sessions, campaign)
    kept = sum(1 for answer_id, theme_id in before.items() if after.get(answer_id) == theme_id)
    assert kept >= 0.9 * len(before), f"{kept} of {len(before)} earlier answers kept their theme"
    async with sessions() as session:
        renamed_now = await session.get(Theme, renamed_id)
        source_now = await session.get(Theme, source_id)
    assert renamed_now is not None and renamed_now.label == "Navn satt av lederen" and renamed_now.size > 0
    assert source_now is not None and source_now.merged_into_id == target_id
