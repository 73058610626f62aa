"""One Telegram update, handled the same way in webhook and polling mode: engine first, then the replies.

The engine commits before it returns, so once `handle` has the reply the update is safely stored; a storage
failure is raised as `StorageUnavailable` so the webhook can answer 5xx and Telegram delivers again. Any other
exception is a bug: the person gets the catalogue's kind `error.internal`, the log gets the exception type and
where it happened, never the text.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import weakref
from enum import Enum

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.error import TelegramError

from bot.delivery_ledger import DeliveryLedger
from bot.outgoing import Delivery, Sender
from bot.updates import CHANNEL, Routed, route
from surveys.engine import ConversationEngine
from surveys.i18n import normalise_language, t
from surveys.messages import OutgoingMessage, Reply
from surveys.settings import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

STORAGE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)


class StorageUnavailable(Exception):
    """The database failed while handling an update; nothing was acknowledged, Telegram should deliver again."""


class Outcome(Enum):
    handled = "handled"
    duplicate = "duplicate"  # processed and answered before: nothing sent
    resent = "resent"  # processed before, but its reply was never delivered: rebuilt and sent
    ignored = "ignored"  # an update type we do not act on
    declined = "declined"  # a group or channel chat
    failed = "failed"  # a bug; the person got error.internal


def where(error: BaseException) -> str:
    """The innermost frame of a traceback as file:line, for logs that must not carry the message itself."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"


class UpdateProcessor:
    """Routes an update, calls the engine, answers the button and sends the reply, one chat at a time."""

    def __init__(self, engine: ConversationEngine, sender: Sender) -> None:
        self.engine = engine
        self.sender = sender
        self.ledger = DeliveryLedger(engine.mark_replied)
        self._chat_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def bot(self) -> Bot:
        return self.sender.bot

    def _chat_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock

    async def handle(self, update: Update) -> Outcome:
        routed = route(update)
        if routed is None:
            return Outcome.ignored
        if routed.chat_id is None:
            await self._answer_callback(routed, None)
            return Outcome.ignored
        # FIFO per chat: replies to one person leave in the order the person wrote.
        async with self._chat_lock(routed.chat_id):
            return await self._handle_in_order(routed)

    async def _handle_in_order(self, routed: Routed) -> Outcome:
        assert routed.chat_id is not None
        language = normalise_language(routed.language_hint) or DEFAULT_LANGUAGE
        if routed.decline_group or routed.incoming is None:
            await self._answer_callback(routed, t(language, "error.group_chat"))
            await self.sender.send_messages(routed.chat_id, [OutgoingMessage(t(language, "error.group_chat"))], None)
            return Outcome.declined
        try:
            reply = await self.engine.handle(routed.incoming)
        except STORAGE_ERRORS as error:
            log.error("telegram update not stored: %s at %s", type(error).__name__, where(error))
            raise StorageUnavailable(type(error).__name__) from error
        except Exception as error:  # noqa: BLE001 - a bug must never reach the chat as anything but a kind message
            log.error("telegram update failed: %s at %s", type(error).__name__, where(error))
            await self._answer_callback(routed, None)
            await self.sender.send_messages(
                routed.chat_id, [OutgoingMessage(t(language, "error.internal"))], routed.incoming.user_ref
            )
            return Outcome.failed
        if reply.duplicate and not reply.messages:
            return Outcome.duplicate  # processed and answered before
        await self._answer_callback(routed, reply.notice)
        delivery = await self._send_reply(routed, reply)
        if routed.incoming.update_key and delivery is not Delivery.failed:
            await self.ledger.record(routed.incoming.update_key)
        return Outcome.resent if reply.duplicate else Outcome.handled

    async def _send_reply(self, routed: Routed, reply: Reply) -> Delivery:
        assert routed.chat_id is not None and routed.incoming is not None
        try:
            outcome = await self.sender.send_messages(routed.chat_id, reply.messages, routed.incoming.user_ref)
        except ValueError as error:  # e.g. callback data over 64 bytes: an engine bug, not the person's
            log.error("telegram reply not sendable: %s at %s", type(error).__name__, where(error))
            language = reply.language or DEFAULT_LANGUAGE
            outcome = await self.sender.send_messages(
                routed.chat_id, [OutgoingMessage(t(language, "error.internal"))], routed.incoming.user_ref
            )
        if outcome is Delivery.failed:
            log.warning("telegram reply incomplete for one %s update (stored; rebuilt if delivered again)", CHANNEL)
        return outcome

    async def _answer_callback(self, routed: Routed, notice: str | None) -> None:
        """Every button press is answered, or the person's client shows a spinner for a long time."""
        if routed.callback_query_id is None:
            return
        try:
            await self.bot.answer_callback_query(routed.callback_query_id, text=notice[:200] if notice else None)
        except TelegramError as error:  # an expired query (e.g. after downtime) is harmless
            log.info("callback query not answered: %s", type(error).__name__)
