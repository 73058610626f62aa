"""The public page "Dette sa dere – dette gjør vi": what a campaign's answers said and what the unit does about it.

Public means anyone with the address, without logging in, so it shows only what is safe for anyone:

- themes resting on at least the unit's "minste gruppe" people (surveys.small_numbers), never "other" and never a
  suggestion no manager has reviewed, with their share; a theme below the limit is left out entirely, with its
  actions and quotes;
- the number of respondents only when it is at least the limit;
- quotes a manager picked (at most QUOTES_PER_THEME per theme, never chosen automatically), and none at all from a
  campaign with fewer respondents than the limit; a picked answer that moved to a hidden theme is not shown;
- the actions on the shown themes, the campaign's own and those carried over from earlier campaigns of the unit.

The page is off until a manager publishes it. Its address carries a random token made with the campaign (older
campaigns get theirs the first time it is asked for), so the web chat's thanks can give the address from the first
answer on and the poster's QR code keeps working across unpublish and publish. Before publishing the address shows
only "come back later" (page_by_token tells the web which); an unknown token is 404. Functions take a session and
do not commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.actions import ShownAction, unit_actions
from surveys.errors import ViktigError
from surveys.models import Answer, Campaign, PublicPage, PublicQuote, Theme, Unit, utcnow
from surveys.notify import page_published
from surveys.small_numbers import SmallNumbers, small_numbers, theme_people
from surveys.themes import (
    answer_texts,
    campaign_assignments,
    campaign_themes,
    final_theme,
    is_suggestion,
    previous_campaign,
    theme_identity,
    themes_by_id,
    visible_themes,
)

QUOTES_PER_THEME = 2
CANDIDATES_PER_THEME = 40  # answers a manager sees to pick from, per theme (the theme's answers page has them all)
TOKEN_BYTES = 18  # 144 bits: not guessable, and short enough for a QR code on a poster

# A theme's label in the reader's language (taxonomy themes have one per language), or None for the stored label.
LabelFor = Callable[[Theme, str], str | None]


class PublicPageError(ViktigError):
    """A quote that cannot go on the public page (another campaign's answer, a hidden theme, too many)."""


@dataclass(frozen=True)
class PublicTheme:
    theme: Theme
    label: str
    share: float
    quotes: list[str]
    actions: list[ShownAction]
    previous_share: float | None  # the unit's previous campaign, when that theme was above the limit there too


@dataclass(frozen=True)
class PublicView:
    campaign: Campaign
    unit_name: str
    min_group: int
    respondents: int | None  # None: fewer than the limit, so not shown
    themes: list[PublicTheme]
    previous: Campaign | None


@dataclass(frozen=True)
class Candidate:
    answer_id: int
    text: str
    picked: bool


def page_address(base_url: str, token: str) -> str:
    """The page's address under the site's public base URL (what the chat's thanks and the poster QR code give)."""
    return f"{base_url.rstrip('/')}/p/{token}"


async def page_of(session: AsyncSession, campaign: Campaign) -> PublicPage:
    """The campaign's public page row, made (unpublished, with its token) the first time it is asked for.

    create_campaign makes it at once; for a campaign older than that, two people finishing the chat at the same
    moment may both make it, so the insert runs in a savepoint and the loser reads the winner's row.
    """
    assert campaign.id is not None
    row = await session.get(PublicPage, campaign.id)
    if row is not None:
        return row
    row = PublicPage(campaign_id=campaign.id, token=secrets.token_urlsafe(TOKEN_BYTES))
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = await session.get(PublicPage, campaign.id, populate_existing=True)
        assert found is not None
        return found
    return row


async def set_published(session: AsyncSession, campaign: Campaign, published: bool) -> tuple[PublicPage, bool]:
    """Publish or withdraw; returns the row and whether anything changed (publishing twice is one publication)."""
    row = await page_of(session, campaign)
    changed = (row.published_at is None) == published
    if changed:
        row.published_at = utcnow() if published else None
        session.add(row)
        await session.flush()
        if published:  # the people who asked hear about it, once (surveys.notify; sent by the bot's process)
            await page_published(session, row.campaign_id)
    return row, changed


async def page_by_token(session: AsyncSession, token: str) -> tuple[Campaign, PublicPage] | None:
    """The campaign whose page has this token, published or not; None for an unknown token."""
    if not token or len(token) > 64:
        return None
    row = (await session.exec(select(PublicPage).where(PublicPage.token == token))).first()
    campaign = await session.get(Campaign, row.campaign_id) if row is not None else None
    return (campaign, row) if campaign is not None and row is not None else None


async def _shown(session: AsyncSession, campaign: Campaign) -> tuple[SmallNumbers, list[Theme]]:
    """The protection in force and the themes anyone may see: not "other", at least the limit in people."""
    assert campaign.id is not None
    protection = await small_numbers(session, campaign, reveal=False)
    people = await theme_people(session, campaign.id)
    themes = [
        theme
        for theme in await visible_themes(session, campaign.id)
        if not theme.is_other and not is_suggestion(theme) and not protection.hides(people.get(theme.id or 0, 0))
    ]
    return protection, themes


async def _theme_of_answers(session: AsyncSession, campaign_id: int) -> dict[int, int]:
    """Answer id -> the id of the theme it counts in (after merges)."""
    by_id = themes_by_id(await campaign_themes(session, campaign_id))
    return {
        answer_id: final_theme(by_id[row.theme_id], by_id).id or 0
        for answer_id, row in (await campaign_assignments(session, campaign_id)).items()
        if row.theme_id in by_id
    }


async def picked_quotes(session: AsyncSession, campaign: Campaign) -> dict[int, list[int]]:
    """Theme id -> the answer ids a manager picked for it, in the order they were picked."""
    assert campaign.id is not None
    rows = (
        await session.exec(
            select(PublicQuote)
            .where(PublicQuote.campaign_id == campaign.id)
            .order_by(col(PublicQuote.picked_at), col(PublicQuote.answer_id))
        )
    ).all()
    theme_of = await _theme_of_answers(session, campaign.id)
    picked: dict[int, list[int]] = {}
    for row in rows:
        if row.answer_id in theme_of:
            picked.setdefault(theme_of[row.answer_id], []).append(row.answer_id)
    return picked


async def pick_quote(session: AsyncSession, campaign: Campaign, answer_id: int) -> None:
    assert campaign.id is not None
    answer = await session.get(Answer, answer_id)
    if answer is None or answer.campaign_id != campaign.id:
        raise PublicPageError("public.quote_other_campaign")
    protection, themes = await _shown(session, campaign)
    if protection.quotes_hidden:
        raise PublicPageError("public.quotes_hidden", min=protection.min_group)
    theme_id = (await _theme_of_answers(session, campaign.id)).get(answer_id)
    if theme_id not in {theme.id for theme in themes}:
        raise PublicPageError("public.quote_not_shown", min=protection.min_group)
    if await session.get(PublicQuote, answer_id) is not None:
        return
    if len((await picked_quotes(session, campaign)).get(theme_id or 0, [])) >= QUOTES_PER_THEME:
        raise PublicPageError("public.quote_limit", count=QUOTES_PER_THEME)
    session.add(PublicQuote(answer_id=answer_id, campaign_id=campaign.id))
    await session.flush()


async def unpick_quote(session: AsyncSession, campaign: Campaign, answer_id: int) -> bool:
    row = await session.get(PublicQuote, answer_id)
    if row is None or row.campaign_id != campaign.id:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def quote_candidates(session: AsyncSession, campaign: Campaign) -> dict[int, list[Candidate]]:
    """Per shown theme, answers a manager may pick: the picked ones first, then the theme's quotes, then others."""
    assert campaign.id is not None
    protection, themes = await _shown(session, campaign)
    if protection.quotes_hidden:
        return {}
    picked = await picked_quotes(session, campaign)
    members: dict[int, list[int]] = {}
    for answer_id, theme_id in sorted((await _theme_of_answers(session, campaign.id)).items()):
        members.setdefault(theme_id, []).append(answer_id)
    chosen: dict[int, list[int]] = {}
    for theme in themes:
        tid = theme.id or 0
        order = picked.get(tid, []) + [q for q in theme.quotes if q in members.get(tid, [])]
        order += members.get(tid, [])
        chosen[tid] = list(dict.fromkeys(order))[:CANDIDATES_PER_THEME]
    texts = await answer_texts(session, [answer_id for ids in chosen.values() for answer_id in ids])
    return {
        tid: [Candidate(a, texts[a], a in picked.get(tid, [])) for a in ids if a in texts]
        for tid, ids in chosen.items()
    }


async def public_view(
    session: AsyncSession, campaign: Campaign, language: str, label_for: LabelFor | None = None
) -> PublicView:
    """Everything the public page shows, and nothing else (see the module docstring)."""
    assert campaign.id is not None
    protection, themes = await _shown(session, campaign)
    picked = {} if protection.quotes_hidden else await picked_quotes(session, campaign)
    texts = await answer_texts(session, [a for ids in picked.values() for a in ids])
    actions = await unit_actions(session, campaign)
    before = await previous_campaign(session, campaign)
    earlier: dict[str, float] = {}
    if before is not None and before.id is not None:
        _, before_themes = await _shown(session, before)
        earlier = {theme_identity(theme): theme.share for theme in before_themes}
    unit = await session.get(Unit, campaign.unit_id)
    shown = []
    for theme in themes:
        label = (label_for(theme, language) if label_for and not theme.label_locked else None) or theme.label
        quotes = [texts[a] for a in picked.get(theme.id or 0, [])[:QUOTES_PER_THEME] if a in texts]
        key = theme_identity(theme)
        shown.append(PublicTheme(theme, label, theme.share, quotes, actions.get(key, []), earlier.get(key)))
    respondents = None if protection.hides(protection.respondents) else protection.respondents
    return PublicView(campaign, unit.name if unit else "", protection.min_group, respondents, shown, before)
