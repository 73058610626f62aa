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

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.limits import OutgoingLimiter, SendLimits
from bot.menu import register_commands
from bot.outgoing import Sender
from bot.processing import StorageUnavailable, UpdateProcessor, where
from bot.reminders import ReminderParts, send_due_reminders
from bot.updates import ALLOWED_UPDATES, CHANNEL
from bot.webhook import WEBHOOK_PATH, webhook_handler
from bot.webhook_auth import webhook_secret
from surveys.engine import ConversationEngine
from surveys.i18n import normalise_language, t
from surveys.messages import OutgoingMessage
from surveys.settings import DEFAULT_LANGUAGE, Settings

log = logging.getLogger(__name__)


@dataclass
class TelegramChannel:
    application: Application  # type: ignore[type-arg]
    processor: UpdateProcessor
    mode: str  # "webhook" | "polling"


TELEGRAM = web.AppKey("telegram", TelegramChannel)


@dataclass(frozen=True)
class _Parts:
    sessions: async_sessionmaker[AsyncSession]
    conversations: ConversationEngine


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
    parts = _Parts(sessions, conversations)
    assert settings.telegram_bot_token, "setup_telegram needs TELEGRAM_BOT_TOKEN"
    if limits is None:
        limits = SendLimits.for_rate(settings.telegram_send_rate)
    webhook = settings.public_url is not None
    builder = ApplicationBuilder().token(settings.telegram_bot_token).concurrent_updates(256)
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if webhook:
        builder = builder.updater(None)
    application = builder.build()

    async def blocked(user_ref: str) -> None:
        await conversations.mark_unreachable(CHANNEL, user_ref)

    sender = Sender(application.bot, OutgoingLimiter(limits), blocked)
    processor = UpdateProcessor(conversations, sender)
    channel = TelegramChannel(application, processor, "webhook" if webhook else "polling")
    app[TELEGRAM] = channel
    secret = webhook_secret(settings.secret_key)
    if webhook:
        app.router.add_post(WEBHOOK_PATH, webhook_handler(processor, secret))
    else:
        application.add_handler(TypeHandler(Update, _polled_update(processor)))
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
        if not webhook:
            assert application.updater is not None
            await application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False, timeout=poll_timeout
            )
        log.info("telegram channel started in %s mode", channel.mode)
        sweeper = asyncio.create_task(_sweep_reminders(parts, sender, reminder_interval)) if reminder_interval else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await application.shutdown()
            log.info("telegram channel stopped")

    app.cleanup_ctx.append(lifecycle)
    return channel


def _polled_update(processor: UpdateProcessor):  # type: ignore[no-untyped-def]
    async def on_update(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await processor.handle(update)
        except StorageUnavailable:
            # getUpdates has already confirmed this update, so it will not come again: ask the person to resend.
            chat = update.effective_chat
            if chat is not None:
                user = update.effective_user
                language = normalise_language(user.language_code if user else None) or DEFAULT_LANGUAGE
                await processor.sender.send_messages(chat.id, [OutgoingMessage(t(language, "error.internal"))], None)

    return on_update


async def _log_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's default would log the whole exception; ours keeps to the type and place (no personal data)."""
    error = context.error
    if error is not None:
        log.error("telegram application error: %s at %s", type(error).__name__, where(error))


async def _sweep_reminders(parts: ReminderParts, sender: Sender, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await send_due_reminders(parts, sender.bot, sender=sender)
        except Exception as error:  # noqa: BLE001 - a failed sweep is retried next minute
            log.error("reminder sweep failed: %s at %s", type(error).__name__, where(error))
