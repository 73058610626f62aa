"""Whether an answer comes from a finished conversation: completed, abandoned or still in progress.

"Ja, send inn" must mean something, so every place that shows or counts answers can tell them apart. The state is
derived from the conversation: completed when the person confirmed (answers typed by staff, imported from paper
cards, or unlinked from an anonymous conversation when it ended have no conversation and count as completed);
abandoned when the person cancelled, or left it unconfirmed for longer than ABANDONED_AFTER; otherwise in progress.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from surveys.models import Answer, Campaign, Conversation, ConversationStatus, as_utc, utcnow

ABANDONED_AFTER = timedelta(hours=24)


class CompletionState(StrEnum):
    completed = "completed"
    abandoned = "abandoned"
    in_progress = "in_progress"


def completion_state(conversation: Conversation | None, now: datetime) -> CompletionState:
    if conversation is None or conversation.status == ConversationStatus.completed.value:
        return CompletionState.completed
    if conversation.status == ConversationStatus.cancelled.value:
        return CompletionState.abandoned
    if as_utc(conversation.updated_at) < now - ABANDONED_AFTER:
        return CompletionState.abandoned
    return CompletionState.in_progress


def completion_condition(state: CompletionState, now: datetime) -> Any:
    """The SQL condition on Answer for answers in `state` (a subquery on conversation, so no join is needed)."""
    stale = now - ABANDONED_AFTER
    status = col(Conversation.status)
    active = status == ConversationStatus.active.value
    if state is CompletionState.completed:
        chosen: Any = status == ConversationStatus.completed.value
    elif state is CompletionState.abandoned:
        chosen = or_(status == ConversationStatus.cancelled.value, and_(active, col(Conversation.updated_at) < stale))
    else:
        chosen = and_(active, col(Conversation.updated_at) >= stale)
    inside = col(Answer.conversation_id).in_(select(Conversation.id).where(chosen))
    if state is CompletionState.completed:
        return or_(col(Answer.conversation_id).is_(None), inside)
    return inside


def parse_state(text: str) -> CompletionState | None:
    try:
        return CompletionState(text)
    except ValueError:
        return None


def counted_answers(campaign_id: int, now: datetime | None = None) -> Any:
    """The SQL condition for answers that count in the campaign's themes: all of them, or only completed ones when
    the campaign is set to count completed conversations only (the chat's summary tells the person which)."""
    counts_all = col(Answer.campaign_id).in_(
        select(Campaign.id).where(Campaign.id == campaign_id, col(Campaign.count_completed_only).is_(False))
    )
    return or_(counts_all, completion_condition(CompletionState.completed, now or utcnow()))
