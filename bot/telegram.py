"""The Telegram channel inside the aiohttp server: a python-telegram-bot Application without state of its own.

The engine's database is the only state (no PTB persistence, no ConversationHandler), so a restart or a second
process loses nothing. With VIKTIG_PUBLIC_URL the updates arrive by webhook at /telegram/webhook; without it the
Application long-polls. The Application is started and stopped from aiohttp's cleanup context with
initialize/start/stop/shutdown; run_polling/run_webhook are never used because they own the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.limits import OutgoingLimiter, SendLimits
from bot.menu import register_commands
from bot.notifications import send_due_notifications
from bot.outgoing import Sender
from bot.polling import StoredFirstPoller
from bot.processing import UpdateProcessor, where
from bot.reminders import send_due_reminders
from bot.transport import GET_UPDATES_POOL_SIZE, TelegramTransport
from bot.updates import ALLOWED_UPDATES, CHANNEL
from bot.webhook import WEBHOOK_PATH, webhook_handler
from bot.webhook_auth import webhook_secret
from surveys.engine import ConversationEngine
from surveys.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class TelegramChannel:
    application: Application[Any, Any, Any, Any, Any, Any]
    processor: UpdateProcessor
    mode: str  # "webhook" | "polling"


TELEGRAM = web.AppKey("telegram", TelegramChannel)


@dataclass(frozen=True)
class _Parts:
    sessions: async_sessionmaker[AsyncSession]
    conversations: ConversationEngine
    settings: Settings


def setup_telegram(
    app: web.Application,
    *,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    conversations: ConversationEngine,
    limits: SendLimits | None = None,
    reminder_interval: float | None = 60.0,
    poll_timeout: int = 10,
) -> TelegramChannel:
    """Wire the channel into `app`; the Bot API is first contacted when the server starts."""
    parts = _Parts(sessions, conversations, settings)
    assert settings.telegram_bot_token, "setup_telegram needs TELEGRAM_BOT_TOKEN"
    if limits is None:
        limits = SendLimits.for_rate(settings.telegram_send_rate)
    webhook = settings.public_url is not None
    transport = TelegramTransport()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .concurrent_updates(256)
        .request(transport.request())
        .get_updates_request(transport.request(pool_size=GET_UPDATES_POOL_SIZE))
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    builder = builder.updater(None)  # polling is bot.polling's StoredFirstPoller, not PTB's Updater
    application = builder.build()

    async def blocked(user_ref: str) -> None:
        await conversations.mark_unreachable(CHANNEL, user_ref)

    sender = Sender(application.bot, OutgoingLimiter(limits), blocked)
    processor = UpdateProcessor(conversations, sender)
    channel = TelegramChannel(application, processor, "webhook" if webhook else "polling")
    app[TELEGRAM] = channel
    secret = webhook_secret(settings.secret_key)
    poller = None if webhook else StoredFirstPoller(application.bot, processor, timeout=poll_timeout)
    if webhook:
        app.router.add_post(WEBHOOK_PATH, webhook_handler(processor, secret))
    application.add_error_handler(_log_error)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await application.initialize()
        await register_commands(application.bot)
        if webhook:
            await application.bot.set_webhook(
                f"{settings.public_url}{WEBHOOK_PATH}",
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                max_connections=40,
            )
        await application.start()
        if poller is not None:
            await poller.start()
        log.info("telegram channel started in %s mode", channel.mode)
        sweeper = asyncio.create_task(_sweep_reminders(parts, sender, reminder_interval)) if reminder_interval else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            if poller is not None:
                await poller.stop()
            await application.stop()
            await application.shutdown()
            log.info("telegram channel stopped")

    app.cleanup_ctx.append(lifecycle)
    return channel


async def _log_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's default would log the whole exception; ours keeps to the type and place (no personal data)."""
    error = context.error
    if error is not None:
        log.error("telegram application error: %s at %s", type(error).__name__, where(error))


async def _sweep_reminders(parts: _Parts, sender: Sender, interval: float) -> None:
    """Reminders, then the messages to people who asked to hear what was done (both through the channel's limiter)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await send_due_reminders(parts, sender.bot, sender=sender)
        except Exception as error:  # noqa: BLE001 - a failed sweep is retried next minute
            log.error("reminder sweep failed: %s at %s", type(error).__name__, where(error))
        try:
            await send_due_notifications(parts, sender.bot, sender=sender)
        except Exception as error:  # noqa: BLE001 - a failed sweep is retried next minute
            log.error("notification sweep failed: %s at %s", type(error).__name__, where(error))
