"""A suggested theme a manager accepts joins the unit's taxonomy: the unit's next campaign finds it again (by its
learned terms and by the meaning of its example answers), under the manager's name; another unit does not."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlmodel import col, select

from surveys.models import Answer, AnswerTheme, Theme
from surveys.themes import accept_suggestion, is_suggestion, theme_members, unit_themes
from tests.analysis.test_store import add_answers, analyse

REALISTIC_DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "realistic_dev.jsonl"


def labelled() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in REALISTIC_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["text"], row["theme"]) for row in rows]


async def theme_of_answers(sessions, campaign) -> dict[str, Theme]:
    """answer text -> the theme row it is in."""
    async with sessions() as session:
        rows = (
            await session.exec(
                select(Answer.text, Theme)
                .join(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id)
                .join(Theme, col(Theme.id) == AnswerTheme.theme_id)
                .where(Answer.campaign_id == campaign.id)
            )
        ).all()
    return {text: theme for text, theme in rows}


async def test_an_accepted_suggestion_anchors_the_units_next_campaign(sessions, make_campaign) -> None:
    rows = labelled()
    first, second = rows[0::2], rows[1::2]
    truth = dict(rows)
    spring = await make_campaign(name="Våren")
    await add_answers(sessions, spring, [text for text, _ in first])
    await analyse(sessions, spring)
    async with sessions() as session, session.begin():
        themes = (await session.exec(select(Theme).where(Theme.campaign_id == spring.id))).all()
        suggestions = sorted((t for t in themes if is_suggestion(t) and t.size >= 5), key=lambda t: (-t.size, t.id))
        assert suggestions, [(t.label, t.size, t.taxonomy_key) for t in themes]
        chosen = suggestions[0]
        texts = await session.exec(
            select(Answer.text).where(col(Answer.id).in_([r.answer_id for r in await theme_members(session, chosen)]))
        )
        novel, _ = Counter(truth[text] for text in texts.all()).most_common(1)[0]
        learned = await accept_suggestion(session, chosen, "Lederens tema", actor="leder@kommune.no")
        assert learned.terms and learned.example_ids
        assert [t.key for t in await unit_themes(session, spring.unit_id)] == [learned.key]

    autumn = await make_campaign(name="Høsten")  # the same unit
    await add_answers(sessions, autumn, [text for text, _ in second])
    await analyse(sessions, autumn)
    placed = await theme_of_answers(sessions, autumn)
    found = [theme for theme in placed.values() if theme.taxonomy_key == learned.key]
    assert found, "the unit's accepted theme was not used in its next campaign"
    theme = found[0]
    assert theme.label == "Lederens tema" and not is_suggestion(theme)
    members = [text for text, t in placed.items() if t.id == theme.id]
    of_novel = [text for text, label in second if label == novel]
    hits = sum(1 for text in members if truth[text] == novel)
    assert hits >= 0.5 * len(members), f"{hits} of {len(members)} in the learned theme are about {novel}"
    assert hits >= 0.4 * len(of_novel), f"{hits} of {len(of_novel)} answers about {novel} found the learned theme"

    elsewhere = await make_campaign(name="Andre", unit="Sykehjemmet Vest")
    await add_answers(sessions, elsewhere, [text for text, _ in second[:60]])
    await analyse(sessions, elsewhere)
    assert all(t.taxonomy_key != learned.key for t in (await theme_of_answers(sessions, elsewhere)).values())
