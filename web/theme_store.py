"""Reading and adjusting a campaign's themes (Theme, AnswerTheme, ThemeRun) for the dashboard.

The analysis (analysis/) writes these tables; managers rename themes (the label is then locked, so later runs keep
it) and merge them (merged_into_id, and the assignments move to the target), which later runs respect.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Answer, AnswerTheme, Campaign, Theme, ThemeRun, utcnow

QUOTES_SHOWN = 3


@dataclass
class ThemeCard:
    theme: Theme
    quotes: list[str]
    change: float | None  # percentage points against the previous campaign; None when the theme is new there


async def visible_themes(session: AsyncSession, campaign_id: int) -> list[Theme]:
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


def _theme_identity(theme: Theme) -> str:
    return theme.taxonomy_key or theme.label.strip().lower()


async def theme_cards(session: AsyncSession, campaign: Campaign) -> tuple[list[ThemeCard], Campaign | None]:
    themes = await visible_themes(session, campaign.id)  # type: ignore[arg-type]
    quote_ids = [q for theme in themes for q in theme.quotes[:QUOTES_SHOWN]]
    texts = (
        dict((await session.exec(select(Answer.id, Answer.text).where(col(Answer.id).in_(quote_ids)))).all())
        if quote_ids
        else {}
    )
    before = await previous_campaign(session, campaign)
    earlier: dict[str, float] = {}
    if before is not None:
        earlier = {_theme_identity(t): t.share for t in await visible_themes(session, before.id)}  # type: ignore[arg-type]
    cards = []
    for theme in themes:
        old = earlier.get(_theme_identity(theme))
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
    await session.execute(update(AnswerTheme).where(AnswerTheme.theme_id == source.id).values(theme_id=target.id))  # type: ignore[arg-type]
    await session.execute(update(Theme).where(Theme.merged_into_id == source.id).values(merged_into_id=target.id))  # type: ignore[arg-type]
    await recount(session, source.campaign_id)


async def recount(session: AsyncSession, campaign_id: int) -> None:
    await session.flush()
    themes = (await session.exec(select(Theme).where(Theme.campaign_id == campaign_id))).all()
    counts = dict(
        (
            await session.exec(
                select(AnswerTheme.theme_id, func.count())
                .where(col(AnswerTheme.theme_id).in_([t.id for t in themes]))
                .group_by(AnswerTheme.theme_id)
            )
        ).all()
    )
    total = sum(counts.values())
    for theme in themes:
        theme.size = counts.get(theme.id, 0)
        theme.share = theme.size / total if total else 0.0
        theme.updated_at = utcnow()
        session.add(theme)
