"""The engine's neutral messages turned into Telegram sendMessage calls, paced and with Telegram's refusals handled.

Texts go out as plain text (no parse_mode), so whatever a person wrote is shown as written and can never break
the markup. Long texts are split at line or word boundaries, never inside a word when avoidable.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable
from enum import Enum

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.limits import OutgoingLimiter
from surveys.messages import Button, OutgoingMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # Telegram counts UTF-16 code units; we count the same way to stay on the safe side
CALLBACK_DATA_LIMIT = 64  # bytes


class Delivery(Enum):
    sent = "sent"
    blocked = "blocked"  # the person blocked the bot (403): stop writing to them
    failed = "failed"  # anything else Telegram refused or the network lost; logged, not retried


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, cut after a line break, else after a space, else anywhere."""
    pieces: list[str] = []
    rest = text
    while _utf16_length(rest) > limit:
        cut = min(len(rest), limit)
        while _utf16_length(rest[:cut]) > limit:
            cut -= 1
        window = rest[:cut]
        boundary = window.rfind("\n")
        if boundary < cut // 2:
            boundary = window.rfind(" ")
        if boundary < cut // 2:
            boundary = cut
            piece, rest = window, rest[cut:]
        else:
            piece, rest = window[:boundary], rest[boundary + 1 :]
        if piece.strip():
            pieces.append(piece)
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


def keyboard(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Inline keyboard rows as the engine grouped them; refuses callback data Telegram would reject."""
    if not buttons:
        return None
    rows = []
    for row in buttons:
        for button in row:
            if not 1 <= len(button.payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise ValueError(f"button callback data must be 1-{CALLBACK_DATA_LIMIT} bytes")
        rows.append([InlineKeyboardButton(button.label, callback_data=button.payload) for button in row])
    return InlineKeyboardMarkup(rows)


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about the int form; we accept both
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class Sender:
    """Sends through the limiter; honours 429 retry_after; reports a blocked chat once through `on_blocked`."""

    def __init__(self, bot: Bot, limiter: OutgoingLimiter, on_blocked: Callable[[str], Awaitable[None]]) -> None:
        self.bot = bot
        self.limiter = limiter
        self.on_blocked = on_blocked

    async def send_messages(self, chat_id: int, messages: list[OutgoingMessage], user_ref: str | None) -> Delivery:
        """Send the messages in order; the keyboard goes with the last piece of a split text."""
        for message in messages:
            markup = keyboard(message.buttons)
            pieces = split_text(message.text)
            for number, piece in enumerate(pieces, start=1):
                outcome = await self.send_text(chat_id, piece, markup if number == len(pieces) else None, user_ref)
                if outcome is not Delivery.sent:
                    return outcome
        return Delivery.sent

    async def send_text(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, user_ref: str | None
    ) -> Delivery:
        retries = self.limiter.limits.max_retries_after_429
        for attempt in range(retries + 1):
            await self.limiter.acquire(chat_id)
            try:
                await self.bot.send_message(chat_id, text, reply_markup=markup)
                return Delivery.sent
            except RetryAfter as error:
                delay = retry_after_seconds(error)
                log.warning("telegram flood control: retry after %.0f s (attempt %d)", delay, attempt + 1)
                self.limiter.pause(delay)
                if attempt == retries:
                    return Delivery.failed
                await asyncio.sleep(0)  # the limiter's pause makes the next acquire wait
            except Forbidden:
                log.info("telegram chat unreachable (blocked or deactivated); marking the respondent unreachable")
                if user_ref is not None:
                    await self.on_blocked(user_ref)
                return Delivery.blocked
            except TelegramError as error:  # BadRequest, NetworkError, TimedOut...
                log.warning("telegram send failed: %s", type(error).__name__)
                return Delivery.failed
        return Delivery.failed
