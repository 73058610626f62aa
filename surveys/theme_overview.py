"""What the themes page shows of a campaign's themes: cards and the comparison with the unit's previous campaign,
with small-number protection applied (surveys.small_numbers) and themes that fell to 0 % kept in the comparison.

Improvement work needs exactly the themes that disappeared, so the comparison is the union of both campaigns'
themes (matched by taxonomy key, else by label). A value resting on fewer people than the unit's "minste gruppe"
is withheld from managers; admins get it with a flag saying why managers do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.actions import ShownAction, unit_actions
from surveys.models import Campaign, Theme
from surveys.small_numbers import SmallNumbers, small_numbers, theme_people
from surveys.themes import (
    ThemeCard,
    UncertainAnswer,
    is_suggestion,
    theme_cards,
    theme_identity,
    uncertain_answers,
    visible_themes,
)


@dataclass(frozen=True)
class ShownTheme:
    card: ThemeCard
    people: int
    hidden: bool  # fewer people than the threshold: managers see "færre enn N", no share, no quotes
    quotes: list[str]  # the quotes this reader may see
    quotes_withheld: bool  # quotes exist but are not shown to managers (small theme or small campaign)
    change: float | None  # percentage points; None when new, or when either side is withheld
    actions: list[ShownAction] = field(default_factory=list)  # its own and carried over from earlier campaigns


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    theme_id: int | None  # the current theme, None when it fell to 0
    then_share: float
    now_share: float
    then_hidden: bool
    now_hidden: bool
    actions: list[ShownAction] = field(default_factory=list)  # decided in the earlier campaign or before it

    @property
    def fell_to_zero(self) -> bool:
        return self.theme_id is None

    @property
    def change(self) -> float:
        return (self.now_share - self.then_share) * 100


@dataclass(frozen=True)
class ThemeOverview:
    themes: list[ShownTheme]
    previous: Campaign | None
    comparison: list[ComparisonRow]
    protection: SmallNumbers
    uncertain: list[UncertainAnswer]  # only from themes this reader may see answers of

    @property
    def suggestions(self) -> list[ShownTheme]:
        """Discovered themes no manager has reviewed: shown apart, to accept (optionally renamed) or reject."""
        return [item for item in self.themes if is_suggestion(item.card.theme)]

    @property
    def settled(self) -> list[ShownTheme]:
        return [item for item in self.themes if not is_suggestion(item.card.theme)]


async def theme_overview(session: AsyncSession, campaign: Campaign, *, reveal: bool) -> ThemeOverview:
    """`reveal` for admins: every number is there, and `hidden` says what managers do not see."""
    assert campaign.id is not None
    protection = await small_numbers(session, campaign, reveal=reveal)
    cards, before = await theme_cards(session, campaign)
    people = await theme_people(session, campaign.id)
    earlier: list[Theme] = []
    earlier_people: dict[int, int] = {}
    if before is not None and before.id is not None:
        earlier = await visible_themes(session, before.id)
        earlier_people = await theme_people(session, before.id)
    actions = await unit_actions(session, campaign)
    then_hidden = {theme_identity(t): protection.hides(earlier_people.get(t.id or 0, t.size)) for t in earlier}
    shown = []
    for card in cards:
        count = people.get(card.theme.id or 0, card.theme.size)
        hidden = protection.hides(count)
        withheld = bool(card.quotes) and (hidden or protection.quotes_hidden) and not reveal
        change = card.change
        if not reveal and (hidden or then_hidden.get(theme_identity(card.theme), False)):
            change = None
        own = actions.get(theme_identity(card.theme), [])
        shown.append(ShownTheme(card, count, hidden, [] if withheld else card.quotes, withheld, change, own))
    comparison: list[ComparisonRow] = []
    if before is not None:
        after = await unit_actions(session, campaign, up_to=before.id)
        now = {theme_identity(item.card.theme): item for item in shown}
        for item in shown:
            old = next((t for t in earlier if theme_identity(t) == theme_identity(item.card.theme)), None)
            comparison.append(
                ComparisonRow(
                    item.card.theme.label,
                    item.card.theme.id,
                    old.share if old else 0.0,
                    item.card.theme.share,
                    then_hidden.get(theme_identity(item.card.theme), False),
                    item.hidden,
                    after.get(theme_identity(item.card.theme), []),
                )
            )
        for old in earlier:
            if theme_identity(old) not in now:
                comparison.append(
                    ComparisonRow(
                        old.label,
                        None,
                        old.share,
                        0.0,
                        then_hidden[theme_identity(old)],
                        False,
                        after.get(theme_identity(old), []),
                    )
                )
    uncertain: list[UncertainAnswer] = []
    if reveal or not protection.quotes_hidden:
        hidden_ids = {item.card.theme.id for item in shown if item.hidden}
        uncertain = [
            answer
            for answer in await uncertain_answers(session, campaign.id)
            if reveal or answer.theme.id not in hidden_ids
        ]
    return ThemeOverview(shown, before, comparison, protection, uncertain)
