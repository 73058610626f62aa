"""The messages to the people who asked to hear what was done with the answers: claimed in the database, then
sent through the bot's send limits.

The dashboard never talks to Telegram: publishing the public page or marking an action gjennomført only writes
`notify_delivery` rows (surveys.notify). This module is run by the process that owns the bot (`viktig serve`'s
Telegram sweeper, and the `viktig worker` job "notifications"). Claiming marks each row sent before the message goes
(as reminders do), so two sweepers never send one twice and a crash loses a message rather than repeats it. A 403
(the person blocked the bot) deletes that contact; any other failure is tried again at the next sweep, at most
surveys.notify.MAX_ATTEMPTS times; an address whose seal no longer opens (a rotated key) deletes the contact.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot

from bot.limits import OutgoingLimiter
from bot.outgoing import Delivery, Sender
from surveys.engine import ConversationEngine
from surveys.models import Channel, utcnow
from surveys.notify import DueNotice, claim_due, forget_contact, record_failure
from surveys.sealing import SealBroken
from surveys.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = Channel.telegram
BATCH = 100
MAX_ROUNDS = 20  # at ~30 messages/s, 2,000 messages keep one sweep around a minute


class NotifyParts(Protocol):
    """What sending needs from the root (viktig.context.AppContext has it all); bot/ does not import the root."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def conversations(self) -> ConversationEngine: ...

    @property
    def settings(self) -> Settings: ...


async def send_due_notifications(
    parts: NotifyParts, bot: Bot, *, now: datetime | None = None, sender: Sender | None = None, limit: int = BATCH
) -> int:
    """Send every pending notification (in batches of `limit`); returns how many went out.

    Without a `sender` (from `viktig worker`, which has no running channel) a fresh one paces the sends.
    """
    if sender is None:
        sender = Sender(bot, OutgoingLimiter(), lambda ref: parts.conversations.mark_unreachable(CHANNEL, ref))
    sent = claimed = 0
    for _round in range(MAX_ROUNDS):
        due = await _claim(parts, now or utcnow(), limit)
        claimed += len(due)
        sent += await _send(parts, sender, due)
        if len(due) < limit:
            break
    if claimed:
        log.info("notifications sent=%d claimed=%d", sent, claimed)
    return sent


async def _claim(parts: NotifyParts, now: datetime, limit: int) -> list[DueNotice]:
    settings = parts.settings
    async with parts.sessions() as session, session.begin():
        return await claim_due(
            session,
            CHANNEL,
            base_url=settings.web_base_url,
            max_per_month=settings.notify_max_per_month,
            now=now,
            limit=limit,
        )


async def _send(parts: NotifyParts, sender: Sender, due: list[DueNotice]) -> int:
    sent = 0
    unreachable: list[int] = []
    failed: list[int] = []
    for notice in due:
        try:
            address = parts.conversations.open_address(notice.sealed_address)
        except SealBroken:
            unreachable.append(notice.contact_id)
            continue
        # A private chat's id is the person's user id, also the user_ref their pseudonym is made of.
        outcome = await sender.send_text(int(address), notice.text, None, address)
        if outcome is Delivery.sent:
            sent += 1
        elif outcome is Delivery.blocked:
            unreachable.append(notice.contact_id)
        else:
            failed.append(notice.delivery_id)
    if unreachable or failed:
        async with parts.sessions() as session, session.begin():
            for contact_id in unreachable:
                await forget_contact(session, contact_id)
            for delivery_id in failed:
                await record_failure(session, delivery_id)
        log.info("notifications unreachable=%d failed=%d", len(unreachable), len(failed))
    return sent
