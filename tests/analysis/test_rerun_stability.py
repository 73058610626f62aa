"""A re-run with 20 % more answers keeps earlier answers where they were and keeps what managers decided, for
discovered themes too: renames, merges, accepted suggestions (named by the manager), rejected suggestions (they do
not come back), moved answers and confirmed placements."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import col, select

from surveys.models import Answer, AnswerTheme, Theme, UnitTheme
from surveys.themes import (
    ACCEPTED,
    accept_suggestion,
    confirm_answer,
    final_theme,
    is_suggestion,
    merge_theme,
    move_answer,
    reject_suggestion,
    rename_theme,
    themes_by_id,
    uncertain_answers,
)
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


async def test_a_rerun_with_more_answers_keeps_placements_and_every_managers_decision(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    texts = realistic_texts()
    first_part = texts[: int(len(texts) / 1.2)]
    await add_answers(sessions, campaign, first_part)
    await analyse(sessions, campaign)
    async with sessions() as session, session.begin():
        themes = list((await session.exec(select(Theme).where(Theme.campaign_id == campaign.id))).all())
        discovered = sorted((t for t in themes if is_suggestion(t) and t.size > 0), key=lambda t: (-t.size, t.id))
        assert len(discovered) >= 5, [(t.key, t.size) for t in themes]
        renamed, source, target, accepted, rejected = discovered[:5]
        await rename_theme(session, renamed, "Navn satt av lederen")
        await merge_theme(session, source, target)
        learned = await accept_suggestion(session, accepted, "Godtatt av lederen", actor="leder@kommune.no")
        await reject_suggestion(session, rejected)
        rejected_group = set(rejected.reviewed_answers)
        assert rejected_group and rejected.size == 0
        # one answer moved by hand out of the renamed theme, one uncertain placement confirmed
        moved = next(
            row.answer_id for row in (await session.exec(select(AnswerTheme))).all() if row.theme_id == renamed.id
        )
        await move_answer(session, moved, target)
        uncertain = await uncertain_answers(session, campaign.id)
        assert uncertain, "the analysis reports no uncertain placement at all"
        confirmed = uncertain[0]
        await confirm_answer(session, campaign.id, confirmed.answer_id)
        ids = renamed.id, source.id, target.id, accepted.id, rejected.id
    before = await placements(sessions, campaign)
    accepted_before = {answer_id for answer_id, theme_id in before.items() if theme_id == ids[3]}

    await add_answers(sessions, campaign, texts[len(first_part) :])  # 20 % more
    await analyse(sessions, campaign)
    after = await placements(sessions, campaign)
    kept = sum(1 for answer_id, theme_id in before.items() if after.get(answer_id) == theme_id)
    assert kept >= 0.9 * len(before), f"{kept} of {len(before)} earlier answers kept their theme"
    async with sessions() as session:
        renamed_now, source_now, target_now, accepted_now, rejected_now = [await session.get(Theme, i) for i in ids]
        themes = list((await session.exec(select(Theme).where(Theme.campaign_id == campaign.id))).all())
        unit_theme = await session.get(UnitTheme, learned.id)
        confirmed_row = await session.get(AnswerTheme, confirmed.answer_id)
    assert renamed_now.label == "Navn satt av lederen" and renamed_now.size > 0
    assert source_now.merged_into_id == target_now.id and target_now.size > 0
    assert after[moved] == target_now.id
    assert confirmed_row is not None and confirmed_row.manual and after[confirmed.answer_id] == confirmed.theme.id
    # the accepted suggestion: the manager's name, the unit's key, and its answers
    assert accepted_now.label == "Godtatt av lederen" and accepted_now.review == ACCEPTED
    assert accepted_now.taxonomy_key == unit_theme.key and unit_theme.label == "Godtatt av lederen"
    still = sum(1 for answer_id in accepted_before if after.get(answer_id) == accepted_now.id)
    assert still >= 0.9 * len(accepted_before), f"{still} of {len(accepted_before)} stayed in the accepted theme"
    # the rejected suggestion does not come back, under its old row or a new one
    assert rejected_now.size == 0 and not is_suggestion(rejected_now)
    for theme in themes:
        if theme.id == rejected_now.id or theme.is_other or theme.size == 0:
            continue
        members = {answer_id for answer_id, theme_id in after.items() if theme_id == theme.id}
        if is_suggestion(theme):
            overlap = len(members & rejected_group)
            assert overlap < 0.5 * len(members), f"the rejected group came back as {theme.label!r}"
