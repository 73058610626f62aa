"""Improvement actions ("tiltak") per theme: what will be done, who is responsible, when, and how far it has come.

An action belongs to the campaign whose answers led to it, and carries over to the unit's later campaigns: a later
campaign shows it on the theme with the same identity (taxonomy key, else label, as the comparison matches themes,
see surveys.themes.theme_identity), and its comparison says "18 % → 9 % after action Y". It stays one row, so a
status changed in the later campaign is the same action's status everywhere (the public page, the report).

Functions take a session and do not commit: the caller owns the transaction and writes the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.errors import ViktigError
from surveys.models import ActionStatus, Campaign, Theme, ThemeAction, utcnow
from surveys.notify import action_done
from surveys.themes import campaign_themes, final_theme, theme_identity, themes_by_id

MAX_WHAT = 500
MAX_RESPONSIBLE = 200
MAX_REASON = 500
STATUSES = tuple(status.value for status in ActionStatus)
# The order a reader follows: what is under way first, then what is planned, done, and what was dropped.
STATUS_ORDER = {
    ActionStatus.in_progress.value: 0,
    ActionStatus.planned.value: 1,
    ActionStatus.done.value: 2,
    ActionStatus.dropped.value: 3,
}


class ActionError(ViktigError):
    """An action that cannot be saved as given (no text, too long, a bad date, dropped without a reason)."""


@dataclass(frozen=True)
class ActionInput:
    what: str
    responsible: str = ""
    due_on: date | None = None
    status: str = ActionStatus.planned.value
    reason: str = ""


@dataclass(frozen=True)
class ShownAction:
    """An action as a campaign shows it; `carried` when it was decided in an earlier campaign of the unit."""

    action: ThemeAction
    origin: Campaign
    carried: bool


def read_action(
    what: str, responsible: str = "", due_on: str = "", status: str = ActionStatus.planned.value, reason: str = ""
) -> ActionInput:
    """Check a form's fields; raises ActionError with the first problem, so nothing half-valid is stored."""
    what, responsible, reason = what.strip(), responsible.strip(), reason.strip()
    status = status.strip() or ActionStatus.planned.value
    if not what:
        raise ActionError("action.need_what")
    if len(what) > MAX_WHAT or len(responsible) > MAX_RESPONSIBLE or len(reason) > MAX_REASON:
        raise ActionError("action.too_long", what=MAX_WHAT, responsible=MAX_RESPONSIBLE, reason=MAX_REASON)
    if status not in STATUSES:
        raise ActionError("action.bad_status", value=status[:40])
    if status == ActionStatus.dropped.value and not reason:
        raise ActionError("action.need_reason")
    when = None
    if due_on.strip():
        try:
            when = date.fromisoformat(due_on.strip())
        except ValueError:
            raise ActionError("action.bad_date", value=due_on.strip()[:40]) from None
    return ActionInput(what, responsible, when, status, reason if status == ActionStatus.dropped.value else "")


def _apply(action: ThemeAction, data: ActionInput) -> bool:
    """Write the fields; True when the action has just become gjennomført (people who asked are then told)."""
    became_done = data.status == ActionStatus.done.value and action.status != ActionStatus.done.value
    action.what, action.responsible, action.due_on = data.what, data.responsible, data.due_on
    action.status, action.reason = data.status, data.reason
    now = utcnow()
    action.updated_at = now
    if became_done:
        action.done_at = now
    return became_done


async def add_action(session: AsyncSession, campaign: Campaign, theme: Theme, data: ActionInput) -> ThemeAction:
    """A new action on one of the campaign's themes (a merged theme's action goes to the theme it was merged into)."""
    if theme.campaign_id != campaign.id:
        raise ActionError("action.other_campaign")
    target = final_theme(theme, themes_by_id(await campaign_themes(session, theme.campaign_id)))
    assert campaign.id is not None
    action = ThemeAction(
        campaign_id=campaign.id,
        theme_id=target.id,
        theme_key=theme_identity(target),
        theme_label=target.label,
        what="",
    )
    done = _apply(action, data)
    action.done_at = action.updated_at if done else None
    session.add(action)
    await session.flush()
    if done:
        await action_done(session, action)
    return action


async def update_action(session: AsyncSession, action: ThemeAction, data: ActionInput) -> bool:
    """Change an action; returns True when it has just become gjennomført."""
    became_done = _apply(action, data)
    theme = await session.get(Theme, action.theme_id) if action.theme_id is not None else None
    if theme is not None:  # keep the identity in step with a renamed theme, for when the theme itself is purged
        target = final_theme(theme, themes_by_id(await campaign_themes(session, theme.campaign_id)))
        action.theme_key, action.theme_label = theme_identity(target), target.label
    session.add(action)
    await session.flush()
    if became_done:  # the people who asked hear about it, once (surveys.notify; sent by the bot's process)
        await action_done(session, action)
    return became_done


async def action_of_unit(session: AsyncSession, campaign: Campaign, action_id: int) -> ThemeAction | None:
    """The action if it is this campaign's or carried over to it (an earlier campaign of the same unit)."""
    action = await session.get(ThemeAction, action_id)
    if action is None:
        return None
    origin = await session.get(Campaign, action.campaign_id)
    if origin is None or origin.unit_id != campaign.unit_id or action.campaign_id > (campaign.id or 0):
        return None
    return action


async def _keys(session: AsyncSession, actions: list[ThemeAction]) -> dict[int, str]:
    """Action id -> the identity of its theme now (following merges and renames), else the stored one."""
    keys: dict[int, str] = {}
    by_campaign: dict[int, dict[int, Theme]] = {}
    for action in actions:
        key = action.theme_key
        if action.theme_id is not None:
            if action.campaign_id not in by_campaign:
                by_campaign[action.campaign_id] = themes_by_id(await campaign_themes(session, action.campaign_id))
            theme = by_campaign[action.campaign_id].get(action.theme_id)
            if theme is not None:
                key = theme_identity(final_theme(theme, by_campaign[action.campaign_id]))
        keys[action.id or 0] = key
    return keys


async def unit_actions(
    session: AsyncSession, campaign: Campaign, *, up_to: int | None = None
) -> dict[str, list[ShownAction]]:
    """Theme identity -> the actions this campaign shows: its own and those of the unit's earlier campaigns.

    `up_to` (a campaign id) limits them to actions decided in that campaign or before (the comparison's "after").
    """
    assert campaign.id is not None
    last = campaign.id if up_to is None else up_to
    rows = (
        await session.exec(
            select(ThemeAction, Campaign)
            .join(Campaign, col(Campaign.id) == ThemeAction.campaign_id)
            .where(Campaign.unit_id == campaign.unit_id, col(ThemeAction.campaign_id) <= last)
            .order_by(col(ThemeAction.id))
        )
    ).all()
    keys = await _keys(session, [action for action, _ in rows])
    shown: dict[str, list[ShownAction]] = {}
    for action, origin in rows:
        shown.setdefault(keys[action.id or 0], []).append(ShownAction(action, origin, origin.id != campaign.id))
    for items in shown.values():
        items.sort(key=lambda item: (STATUS_ORDER.get(item.action.status, 9), item.action.id or 0))
    return shown


async def campaign_actions(session: AsyncSession, campaign: Campaign) -> list[ShownAction]:
    """Every action the campaign shows, for the export and the report, in theme order of their labels."""
    shown = await unit_actions(session, campaign)
    return sorted(
        (item for items in shown.values() for item in items),
        key=lambda item: (item.action.theme_label.lower(), STATUS_ORDER.get(item.action.status, 9), item.action.id),
    )
