"""A campaign's themes (Theme, AnswerTheme, ThemeRun): the one place that reads, adjusts and recounts them.

The analysis (analysis/) writes runs; managers rename themes (the label is then locked, so later runs keep it),
merge them (merged_into_id; the assignments move to the target) and move single answers (the assignment is marked
manual, so later runs keep it). A discovered theme is a suggestion until reviewed: accepting it makes it part of the
unit's taxonomy (UnitTheme; the analysis anchors the unit's later campaigns on it), rejecting it sends its answers
to "other" and remembers the group so the next run does not suggest it again. Confirming an uncertain answer
fixes its placement like a move. Every change ends in `recount`, which follows merges, so a theme's size and share
mean the same whoever changed it. Functions take a session and do not commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.errors import ViktigError
from surveys.models import Answer, AnswerTheme, Campaign, Theme, ThemeRun, UnitTheme, utcnow

QUOTES_SHOWN = 3
ACCEPTED, REJECTED = "accepted", "rejected"
UNCERTAIN_BELOW = 0.5  # a placement's confidence under this: the answer could well belong elsewhere
UNCERTAIN_SHOWN = 30
TERMS_LEARNED = 3  # its most distinctive keywords, taken along as seed words
EXAMPLES_LEARNED = 12  # its most confidently placed answers, whose vectors anchor it in later campaigns
OTHER_KEY = "other"
OTHER_LABELS = {"nb": "Annet", "nn": "Anna", "sv": "Övrigt", "en": "Other", "da": "Andet"}


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
    """A manager's name; for an accepted theme it is also the unit's name for it in later campaigns."""
    theme.label = label.strip()[:120]
    theme.label_locked = True
    theme.updated_at = utcnow()
    session.add(theme)
    if theme.unit_theme_id is not None:
        learned = await session.get(UnitTheme, theme.unit_theme_id)
        if learned is not None:
            learned.label = theme.label
            session.add(learned)


def is_suggestion(theme: Theme) -> bool:
    """A theme the analysis found that neither the taxonomy nor the unit knows, not yet reviewed by a manager."""
    return theme.taxonomy_key is None and not theme.is_other and theme.review is None and theme.merged_into_id is None


async def unit_themes(session: AsyncSession, unit_id: int) -> list[UnitTheme]:
    """The unit's accepted themes, oldest first."""
    query = select(UnitTheme).where(UnitTheme.unit_id == unit_id).order_by(col(UnitTheme.id))
    return list((await session.exec(query)).all())


async def theme_members(session: AsyncSession, theme: Theme) -> list[AnswerTheme]:
    """The theme's assignments, most confident first (quotes, the most central answers, lead)."""
    rows = list((await session.exec(select(AnswerTheme).where(AnswerTheme.theme_id == theme.id))).all())
    quoted = {answer_id: rank for rank, answer_id in enumerate(theme.quotes)}
    rows.sort(key=lambda row: (quoted.get(row.answer_id, len(quoted)), -(row.score or 0.0), row.answer_id))
    return rows


def _require_suggestion(theme: Theme) -> None:
    if not is_suggestion(theme):
        raise ThemeError("theme.not_a_suggestion", theme_id=theme.id)


async def accept_suggestion(session: AsyncSession, theme: Theme, label: str, *, actor: str) -> UnitTheme:
    """The suggestion becomes a theme of the unit: named (the proposed name unless the manager gave another), with
    its keywords as learned terms and its most central answers as examples; this campaign's theme carries its key,
    so re-runs continue it and the comparison with the unit's next campaigns matches it."""
    _require_suggestion(theme)
    campaign = await session.get(Campaign, theme.campaign_id)
    if campaign is None:
        raise ThemeError("theme.other_campaign", theme_id=theme.id)
    members = await theme_members(session, theme)
    learned = UnitTheme(
        unit_id=campaign.unit_id,
        label=(label.strip() or theme.label)[:120],
        terms=list(theme.keywords[:TERMS_LEARNED]),
        example_ids=[row.answer_id for row in members[:EXAMPLES_LEARNED]],
        source_campaign_id=campaign.id,
        created_by=actor,
    )
    session.add(learned)
    await session.flush()
    theme.key = theme.taxonomy_key = learned.key
    theme.unit_theme_id, theme.review = learned.id, ACCEPTED
    theme.reviewed_answers = [row.answer_id for row in members]
    await rename_theme(session, theme, learned.label)
    await session.flush()
    return learned


async def other_theme(session: AsyncSession, campaign_id: int, label: str | None = None) -> Theme:
    """The campaign's "other" theme, created when the analysis never needed one."""
    existing = (
        await session.exec(
            select(Theme).where(Theme.campaign_id == campaign_id, col(Theme.is_other).is_(True)).order_by(col(Theme.id))
        )
    ).first()
    if existing is not None:
        return existing
    if label is None:
        campaign = await session.get(Campaign, campaign_id)
        language = (campaign.language_list or ["nb"])[0] if campaign is not None else "nb"
        label = OTHER_LABELS.get(language, OTHER_LABELS["nb"])
    theme = Theme(campaign_id=campaign_id, key=OTHER_KEY, label=label, is_other=True)
    session.add(theme)
    await session.flush()
    return theme


async def reject_suggestion(session: AsyncSession, theme: Theme) -> None:
    """Its answers go to "other" (a later run may still place them in a known theme); the group is remembered."""
    _require_suggestion(theme)
    members = await theme_members(session, theme)
    other = await other_theme(session, theme.campaign_id)
    theme.review, theme.reviewed_answers, theme.quotes = REJECTED, [row.answer_id for row in members], []
    session.add(theme)
    for row in members:
        row.theme_id, row.manual = pk_of(other), False
        session.add(row)
    await recount(session, theme.campaign_id)


def pk_of(theme: Theme) -> int:
    assert theme.id is not None  # flushed rows always have one
    return theme.id


async def confirm_answer(session: AsyncSession, campaign_id: int, answer_id: int) -> AnswerTheme:
    """A manager says the answer is where it belongs: the placement is fixed like a move, and no longer uncertain."""
    row = await session.get(AnswerTheme, answer_id)
    answer = await session.get(Answer, answer_id)
    if row is None or answer is None or answer.campaign_id != campaign_id:
        raise ThemeError("theme.not_in_campaign", answer_id=answer_id)
    row.manual = True
    session.add(row)
    await session.flush()
    return row


def is_uncertain(row: AnswerTheme) -> bool:
    """Placed by the analysis with low confidence, and no manager has confirmed or moved it."""
    return not row.manual and row.score is not None and row.score < UNCERTAIN_BELOW


@dataclass(frozen=True)
class UncertainAnswer:
    answer_id: int
    text: str
    theme: Theme  # after merges
    confidence: float


async def uncertain_answers(
    session: AsyncSession, campaign_id: int, limit: int = UNCERTAIN_SHOWN
) -> list[UncertainAnswer]:
    """Answers the analysis placed in a theme with low confidence and no manager has confirmed, least sure first
    ("other" is not a placement to confirm)."""
    by_id = themes_by_id(await campaign_themes(session, campaign_id))
    query = (
        select(AnswerTheme, Answer.text)
        .join(Answer, col(Answer.id) == AnswerTheme.answer_id)
        .where(
            Answer.campaign_id == campaign_id,
            col(AnswerTheme.manual).is_(False),
            col(AnswerTheme.score).is_not(None),
            col(AnswerTheme.score) < UNCERTAIN_BELOW,
        )
        .order_by(col(AnswerTheme.score), col(AnswerTheme.answer_id))
    )
    found = []
    for row, text in (await session.exec(query)).all():
        theme = final_theme(by_id[row.theme_id], by_id)
        if theme.is_other or theme.review == REJECTED:
            continue
        found.append(UncertainAnswer(row.answer_id, text, theme, float(row.score or 0.0)))
        if len(found) >= limit:
            break
    return found


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
