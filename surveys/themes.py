"""A campaign's themes (Theme, AnswerTheme, ThemeRun): the one place that reads, adjusts and recounts them.

The analysis (analysis/) writes runs; managers rename themes (the label is then locked, so later runs keep it),
merge them (merged_into_id; the assignments move to the target) and move single answers (the assignment is marked
manual, so later runs keep it). Every change ends in `recount`, which follows merges, so a theme's size and share
mean the same whoever changed it. Functions take a session and do not commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.errors import ViktigError
from surveys.models import Answer, AnswerTheme, Campaign, Theme, ThemeRun, utcnow

QUOTES_SHOWN = 3


class ThemeError(ViktigError):
    """A theme change that cannot be made (answer or theme of another campaign, a merged-away target)."""


@dataclass
class ThemeCard:
    theme: Theme
    quotes: list[str]
    change: float | None  # percentage points against the previous campaign; None when the theme is new there


async def campaign_themes(session: AsyncSession, campaign_id: int) -> list[Theme]:
    """All the campaign's themes, merged ones included, in id order."""
    return list(
        (await session.exec(select(Theme).where(Theme.campaign_id == campaign_id).order_by(col(Theme.id)))).all()
    )


async def campaign_assignments(session: AsyncSession, campaign_id: int) -> dict[int, AnswerTheme]:
    """Answer id -> its theme assignment, for the campaign's assigned answers."""
    query = (
        select(AnswerTheme)
        .join(Answer, col(Answer.id) == AnswerTheme.answer_id)
        .where(Answer.campaign_id == campaign_id)
    )
    return {row.answer_id: row for row in (await session.exec(query)).all()}


def themes_by_id(themes: list[Theme]) -> dict[int, Theme]:
    return {theme.id: theme for theme in themes if theme.id is not None}


def final_theme(theme: Theme, by_id: dict[int, Theme]) -> Theme:
    """Follow merges (a merged theme's answers belong to the theme it was merged into)."""
    seen = set()
    while theme.merged_into_id is not None and theme.merged_into_id in by_id and theme.id not in seen:
        seen.add(theme.id)
        theme = by_id[theme.merged_into_id]
    return theme


async def recount(session: AsyncSession, campaign_id: int) -> list[Theme]:
    """Set every theme's size and share from the assignments, counting a merged theme's answers at its target.

    Returns the campaign's themes, largest first and "other" last.
    """
    await session.flush()
    themes = await campaign_themes(session, campaign_id)
    by_id = themes_by_id(themes)
    counts: dict[int | None, int] = {}
    for row in (await campaign_assignments(session, campaign_id)).values():
        target = final_theme(by_id[row.theme_id], by_id)
        counts[target.id] = counts.get(target.id, 0) + 1
    total = sum(counts.values())
    now = utcnow()
    for theme in themes:
        theme.size = counts.get(theme.id, 0)
        theme.share = theme.size / total if total else 0.0
        theme.updated_at = now
        session.add(theme)
    await session.flush()
    return sorted(themes, key=lambda t: (t.is_other, -t.size, t.id))


async def visible_themes(session: AsyncSession, campaign_id: int) -> list[Theme]:
    """Themes a manager sees: not merged away, with answers; largest first, "other" last."""
    rows = (
        await session.exec(
            select(Theme).where(Theme.campaign_id == campaign_id, col(Theme.merged_into_id).is_(None), Theme.size > 0)
        )
    ).all()
    return sorted(rows, key=lambda theme: (theme.is_other, -theme.size, theme.id))


async def latest_run(session: AsyncSession, campaign_id: int) -> ThemeRun | None:
    return (
        await session.exec(
            select(ThemeRun).where(ThemeRun.campaign_id == campaign_id).order_by(col(ThemeRun.id).desc()).limit(1)
        )
    ).first()


async def previous_campaign(session: AsyncSession, campaign: Campaign) -> Campaign | None:
    """The unit's latest earlier campaign that has themes."""
    return (
        await session.exec(
            select(Campaign)
            .where(
                Campaign.unit_id == campaign.unit_id,
                col(Campaign.id) < campaign.id,
                col(Campaign.id).in_(select(Theme.campaign_id).where(Theme.size > 0)),
            )
            .order_by(col(Campaign.id).desc())
            .limit(1)
        )
    ).first()


def theme_identity(theme: Theme) -> str:
    """What makes themes of two campaigns "the same": the taxonomy key, else the label (comparison, actions)."""
    return theme.taxonomy_key or theme.label.strip().lower()


async def answer_texts(session: AsyncSession, answer_ids: list[int]) -> dict[int, str]:
    """Answer id -> text, for quotes."""
    if not answer_ids:
        return {}
    rows = (await session.exec(select(Answer.id, Answer.text).where(col(Answer.id).in_(answer_ids)))).all()
    return {answer_id: text for answer_id, text in rows if answer_id is not None}  # ids: never NULL


async def theme_cards(session: AsyncSession, campaign: Campaign) -> tuple[list[ThemeCard], Campaign | None]:
    """The themes page's cards, with the change in share against the unit's previous campaign."""
    assert campaign.id is not None
    themes = await visible_themes(session, campaign.id)
    texts = await answer_texts(session, [q for theme in themes for q in theme.quotes[:QUOTES_SHOWN]])
    before = await previous_campaign(session, campaign)
    earlier: dict[str, float] = {}
    if before is not None and before.id is not None:
        earlier = {theme_identity(t): t.share for t in await visible_themes(session, before.id)}
    cards = []
    for theme in themes:
        old = earlier.get(theme_identity(theme))
        change = None if before is None or old is None else (theme.share - old) * 100
        cards.append(ThemeCard(theme, [texts[q] for q in theme.quotes[:QUOTES_SHOWN] if q in texts], change))
    return cards, before


async def rename_theme(session: AsyncSession, theme: Theme, label: str) -> None:
    theme.label = label.strip()[:120]
    theme.label_locked = True
    theme.updated_at = utcnow()
    session.add(theme)


async def merge_theme(session: AsyncSession, source: Theme, target: Theme) -> None:
    """Fold `source` into `target`: the merge is recorded and the answers move; sizes and shares are recounted."""
    source.merged_into_id = target.id
    session.add(source)
    await session.execute(update(AnswerTheme).where(col(AnswerTheme.theme_id) == source.id).values(theme_id=target.id))
    await session.execute(update(Theme).where(col(Theme.merged_into_id) == source.id).values(merged_into_id=target.id))
    await recount(session, source.campaign_id)


async def move_answer(session: AsyncSession, answer_id: int, target: Theme) -> AnswerTheme:
    """Put one answer in `target` (or the theme it was merged into) as a manager's decision that later runs keep.

    The answer leaves its old theme's quotes; sizes and shares are recounted.
    """
    answer = await session.get(Answer, answer_id)
    if answer is None or answer.campaign_id != target.campaign_id:
        raise ThemeError("theme.other_campaign", answer_id=answer_id, theme_id=target.id)
    by_id = themes_by_id(await campaign_themes(session, target.campaign_id))
    destination = final_theme(target, by_id)
    assert destination.id is not None
    row = await session.get(AnswerTheme, answer_id)
    if row is None:
        row = AnswerTheme(answer_id=answer_id, theme_id=destination.id)
    else:
        old = by_id.get(row.theme_id)
        if old is not None and answer_id in old.quotes:
            old.quotes = [q for q in old.quotes if q != answer_id]
            session.add(old)
    row.theme_id, row.manual = destination.id, True
    session.add(row)
    await recount(session, target.campaign_id)
    return row
