"""Reminders for unfinished Telegram conversations: claimed in the database first, then sent, never twice.

Why claim before sending: several processes (two `viktig serve`, a `viktig worker`) may sweep at the same time.
On PostgreSQL the due rows are locked with `FOR UPDATE SKIP LOCKED` and marked sent in the same transaction, so
each row goes to exactly one sweeper; on SQLite every transaction takes the single write lock (BEGIN IMMEDIATE),
which serialises the sweepers the same way. A crash between the commit and the send loses that one reminder,
which is better than sending it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import and_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot

from bot.limits import OutgoingLimiter
from bot.outgoing import Delivery, Sender
from surveys.campaigns import accepts_answers
from surveys.engine import ConversationEngine
from surveys.i18n import t
from surveys.models import Campaign, Channel, ChannelContact, Conversation, ConversationStatus, Respondent, utcnow
from surveys.settings import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)
CHANNEL = Channel.telegram


class ReminderParts(Protocol):
    """What reminders need from the root (viktig.context.AppContext has both); bot/ does not import the root."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def conversations(self) -> ConversationEngine: ...


@dataclass(frozen=True)
class _Due:
    address: str
    text: str


async def claim_due_reminders(ctx: ReminderParts, now: datetime, limit: int) -> list[_Due]:
    """Mark up to `limit` due reminders as sent and return where to send them and what to say."""
    query = (
        select(Conversation, ChannelContact.address, Respondent.language, Campaign)
        .join(Respondent, col(Respondent.id) == col(Conversation.respondent_id))
        .join(
            ChannelContact,
            and_(
                col(ChannelContact.respondent_id) == col(Conversation.respondent_id),
                col(ChannelContact.channel) == CHANNEL,
            ),
        )
        .join(Campaign, col(Campaign.id) == col(Conversation.campaign_id))
        .where(
            col(Conversation.reminder_due_at) <= now,
            col(Conversation.reminder_sent_at).is_(None),
            col(Conversation.status) == ConversationStatus.active.value,
            col(Conversation.channel) == CHANNEL,
            col(ChannelContact.unreachable).is_(False),
        )
        .order_by(col(Conversation.reminder_due_at))
        .limit(limit)
    )
    due: list[_Due] = []
    async with ctx.sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Conversation, skip_locked=True)
        rows = (await session.exec(query)).all()
        for _conversation, address, language, campaign in rows:
            if accepts_answers(campaign, now) is None:
                lang = (
                    language
                    if language in campaign.language_list
                    else (campaign.language_list or [DEFAULT_LANGUAGE])[0]
                )
                due.append(_Due(address, t(lang, "reminder.text", campaign=campaign.name)))
        ids = [conversation.id for conversation, *_rest in rows]
        if ids:
            await session.execute(
                update(Conversation)
                .where(col(Conversation.id).in_(ids))
                .values(reminder_sent_at=now, reminder_due_at=None)
            )
    return due


async def send_due_reminders(
    ctx: ReminderParts, bot: Bot, *, now: datetime | None = None, limit: int = 100, sender: Sender | None = None
) -> int:
    """Send the reminders that are due; returns how many went out.

    Without a `sender` (e.g. from `viktig worker`, which has no running channel) a fresh one paces the sends.
    """
    due = await claim_due_reminders(ctx, now or utcnow(), limit)
    if not due:
        return 0
    if sender is None:
        sender = Sender(bot, OutgoingLimiter(), lambda ref: ctx.conversations.mark_unreachable(CHANNEL, ref))
    sent = 0
    for reminder in due:
        # A private chat's id is the person's user id, which is also the channel user_ref the pseudonym is made of.
        outcome = await sender.send_text(int(reminder.address), reminder.text, None, reminder.address)
        sent += outcome is Delivery.sent
    log.info("reminders sent=%d claimed=%d", sent, len(due))
    return sent
