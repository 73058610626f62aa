"""Themes of known sizes over real imported answers, for tests of the themes page, exports and small numbers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.ids import pk
from surveys.models import Answer
from tests.web.conftest import Server


async def themes_with_sizes(
    server: Server,
    campaign_id: int,
    groups: dict[str, int],
    *,
    suggested: frozenset[str] = frozenset(),
    score: float | None = None,
) -> dict[str, int]:
    """Answers from distinct people (paper cards) placed in themes of the given sizes; returns theme ids.

    Themes in `suggested` are discovered ones (no taxonomy key: suggestions); `score` is every placement's
    confidence."""
    return await themes_in(server.ctx.sessions, campaign_id, groups, suggested=suggested, score=score)


async def themes_in(
    sessions: async_sessionmaker[AsyncSession],
    campaign_id: int,
    groups: dict[str, int],
    *,
    suggested: frozenset[str] = frozenset(),
    score: float | None = None,
) -> dict[str, int]:
    """As themes_with_sizes, for tests that hold sessions rather than a server."""
    from surveys.importer import import_answers
    from surveys.models import AnswerTheme, Campaign, Theme, ThemeRun
    from surveys.themes import recount

    async with sessions() as session, session.begin():
        campaign = await session.get_one(Campaign, campaign_id)
        total = sum(groups.values())
        raw = "Tekst\n" + "\n".join(f"Kort nummer {n}" for n in range(total)) + "\n"
        await import_answers(session, campaign, raw.encode(), filename="kort.csv")
        answers = (
            await session.exec(select(Answer).where(Answer.campaign_id == campaign_id).order_by(col(Answer.id)))
        ).all()
        run = ThemeRun(campaign_id=campaign_id, n_answers=total)
        session.add(run)
        await session.flush()
        ids, start = {}, 0
        for key, size in groups.items():
            members = answers[start : start + size]
            start += size
            theme = Theme(
                campaign_id=campaign_id,
                key=key,
                label=key.title(),
                taxonomy_key=None if key in suggested else key,
                keywords=[key],
                quotes=[pk(a) for a in members[:2]],
                run_id=run.id,
            )
            session.add(theme)
            await session.flush()
            session.add_all(
                [AnswerTheme(answer_id=pk(a), theme_id=pk(theme), run_id=pk(run), score=score) for a in members]
            )
            ids[key] = pk(theme)
        await recount(session, campaign_id)
        return ids
