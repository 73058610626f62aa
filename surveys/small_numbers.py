"""Small-number protection: no count, share or quote that rests on fewer people than the unit's "minste gruppe".

A nursing-home ward may have 12 residents; a theme with 3 answers and a quote can point at one person. Like SSB and
Helsedirektoratet, groups smaller than the threshold are shown to managers as "færre enn N", and quotes are never
shown from a campaign with fewer respondents than that. Admins see the numbers and why they are hidden.

People are counted, not answers: answers linked to the same respondent count once. Answers without a respondent
(paper cards, staff entry, anonymous campaigns, whose answers are unlinked when the conversation ends) cannot be
told apart: in a group each counts as one person; in a campaign only first answers of a conversation (position 0
or 1) count, so several answers of one anonymous person do not make a campaign look larger than it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Answer, AnswerTheme, Campaign, Theme, Unit
from surveys.themes import campaign_themes, final_theme, themes_by_id

DEFAULT_MIN_GROUP = 5


@dataclass(frozen=True)
class SmallNumbers:
    """The threshold and the campaign's size, and what that means for what a reader may see."""

    min_group: int
    respondents: int
    reveal: bool  # an admin: sees the numbers, with the reason they are hidden from managers

    def hides(self, people: int) -> bool:
        return people < self.min_group

    @property
    def quotes_hidden(self) -> bool:
        """No quote at all from a campaign with fewer respondents than the threshold."""
        return self.respondents < self.min_group


async def campaign_respondents(session: AsyncSession, campaign_id: int) -> int:
    linked = await session.scalar(
        select(func.count(func.distinct(col(Answer.respondent_id)))).where(
            col(Answer.campaign_id) == campaign_id, col(Answer.respondent_id).is_not(None)
        )
    )
    unlinked = await session.scalar(
        select(func.count())
        .select_from(Answer)
        .where(
            and_(col(Answer.campaign_id) == campaign_id, col(Answer.respondent_id).is_(None), col(Answer.position) <= 1)
        )
    )
    return int(linked or 0) + int(unlinked or 0)


async def small_numbers(session: AsyncSession, campaign: Campaign, *, reveal: bool) -> SmallNumbers:
    unit = await session.get(Unit, campaign.unit_id)
    threshold = unit.min_group if unit is not None else DEFAULT_MIN_GROUP
    assert campaign.id is not None
    return SmallNumbers(threshold, await campaign_respondents(session, campaign.id), reveal)


async def theme_people(session: AsyncSession, campaign_id: int) -> dict[int, int]:
    """Theme id (after merges) -> how many people its answers come from."""
    person = func.coalesce(Answer.respondent_id, -col(Answer.id))
    rows = (
        await session.exec(
            select(AnswerTheme.theme_id, func.count(func.distinct(person)))
            .join(Answer, col(Answer.id) == AnswerTheme.answer_id)
            .where(Answer.campaign_id == campaign_id)
            .group_by(col(AnswerTheme.theme_id))
        )
    ).all()
    by_id = themes_by_id(await campaign_themes(session, campaign_id))
    people: dict[int, int] = {}
    for theme_id, count in rows:
        theme: Theme | None = by_id.get(theme_id)
        target = final_theme(theme, by_id).id if theme is not None else theme_id
        if target is not None:
            people[target] = people.get(target, 0) + int(count)
    return people
