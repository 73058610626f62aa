"""The ceiling for bench/telegram_throughput.py: the least a durable webhook bot of the same shape can do.

PTB over the same aiohttp transport as Viktig, the same conversation shape (start, consent button, answers with an
"anything more?" button, a second question, a summary with a send button, thanks and a reference), the state in
memory and one durable INSERT per update (the update's key, committed before the webhook is answered). Whatever
Viktig costs above this is the price of its engine and storage.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.transport import GET_UPDATES_POOL_SIZE, TelegramTransport
from surveys.i18n import t

WEBHOOK_PATH = "/telegram/webhook"


class DurableKeys:
    """One INSERT of the update's key per update, committed (SQLite WAL synchronous=FULL, or PostgreSQL)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    async def open(self) -> None:
        if self.url.startswith("sqlite"):
            import aiosqlite

            self.sqlite = await aiosqlite.connect(self.url.split(":///", 1)[1], isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=FULL"):
                await self.sqlite.execute(f"PRAGMA {pragma}")
            await self.sqlite.execute("CREATE TABLE IF NOT EXISTS ceiling_update (key TEXT PRIMARY KEY)")
            self.lock = asyncio.Lock()
        else:
            import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

            self.pool = await asyncpg.create_pool(self.url, min_size=2, max_size=10)
            await self.pool.execute("CREATE TABLE IF NOT EXISTS ceiling_update (key TEXT PRIMARY KEY)")

    async def insert(self, key: str) -> None:
        if self.url.startswith("sqlite"):
            async with self.lock:  # one writer, as SQLite has
                await self.sqlite.execute("INSERT INTO ceiling_update (key) VALUES (?)", (key,))
        else:
            await self.pool.execute("INSERT INTO ceiling_update (key) VALUES ($1)", key)

    async def close(self) -> None:
        if self.url.startswith("sqlite"):
            await self.sqlite.close()
        else:
            await self.pool.close()


def _keyboard(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


class CeilingBot:
    def __init__(self, bot: Bot, keys: DurableKeys) -> None:
        self.bot = bot
        self.keys = keys
        self.step: dict[int, str] = {}

    async def handle(self, update: Update) -> None:
        await self.keys.insert(f"telegram:{update.update_id}")
        if update.callback_query is not None:
            query = update.callback_query
            await self.bot.answer_callback_query(query.id)
            chat, data = query.message.chat.id if query.message else query.from_user.id, query.data or ""
            if data == "yes":
                self.step[chat] = "question"
                await self.bot.send_message(chat, t("nb", "welcome.purpose_default"))
            elif data == "done":
                self.step[chat] = "second"
                await self.bot.send_message(chat, "Hva kan vi gjøre for at du skal få mer av dette?")
            elif data == "send":
                self.step.pop(chat, None)
                await self.bot.send_message(chat, t("nb", "done.thanks"))
                await self.bot.send_message(chat, t("nb", "done.reference", reference="ABC-123"))
            return
        message = update.message
        if message is None:
            return
        chat, text = message.chat.id, message.text or ""
        if text.startswith("/start"):
            self.step[chat] = "consent"
            await self.bot.send_message(
                chat, t("nb", "consent.ask"), reply_markup=_keyboard(t("nb", "consent.yes"), "yes")
            )
        elif self.step.get(chat) == "question":
            await self.bot.send_message(
                chat,
                "Er det noe mer som er viktig for deg?",
                reply_markup=_keyboard(t("nb", "question.no_more"), "done"),
            )
        elif self.step.get(chat) == "second":
            self.step[chat] = "summary"
            await self.bot.send_message(
                chat, t("nb", "summary.intro") + "\n" + text, reply_markup=_keyboard(t("nb", "summary.send"), "send")
            )


async def serve(database_url: str, port: int, base_url: str, token: str, stop: asyncio.Event) -> None:
    transport = TelegramTransport()
    bot = Bot(
        token,
        base_url=base_url,
        request=transport.request(),
        get_updates_request=transport.request(pool_size=GET_UPDATES_POOL_SIZE),
    )
    keys = DurableKeys(database_url)
    await keys.open()
    await bot.initialize()
    ceiling = CeilingBot(bot, keys)

    async def webhook(request: web.Request) -> web.Response:
        data: Any = json.loads(await request.read())
        await ceiling.handle(Update.de_json(data, bot))
        return web.Response(status=200)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, webhook)
    app.router.add_get("/health", health)
    app.router.add_get("/readyz", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await bot.set_webhook(f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
    await stop.wait()
    await runner.cleanup()
    await bot.shutdown()
    await keys.close()
