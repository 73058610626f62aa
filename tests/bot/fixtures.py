"""The real server (create_app) against the fake Bot API, and a person who chats with it like a human would.

A person sends one thing, then waits for the bot's answer before the next, as people do; the number of messages
each step should produce is part of what the tests check.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.limits import SendLimits
from bot.telegram import TELEGRAM
from surveys.settings import Settings
from tests.support.databases import TEST_SECRET
from tests.support.factories import campaign_in as campaign_in  # re-exported: tests import it from here
from tests.support.fake_bot_api import FakeBotApi
from viktig.context import AppContext
from viktig.server import CONTEXT, add_telegram, create_app

FAST_LIMITS = SendLimits(overall_per_second=10_000, overall_burst=10_000, per_chat_per_second=1_000, per_chat_burst=10)


@dataclass
class RunningServer:
    app: web.Application
    ctx: AppContext
    url: str

    @property
    def mode(self) -> str:
        return self.app[TELEGRAM].mode


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def server_app(ctx: AppContext) -> web.Application:
    """The production app without the channel (added by the caller with test options)."""
    try:
        return create_app(ctx, with_telegram=False)
    except ModuleNotFoundError as error:  # web.app is being written by another engineer; the bot does not need it
        if error.name != "web.app":
            raise
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app[CONTEXT] = ctx
        return app


@asynccontextmanager
async def running_server(
    fake: FakeBotApi, database_url: str, mode: str, *, limits: SendLimits | None = FAST_LIMITS, **options: Any
) -> AsyncIterator[RunningServer]:
    """create_app with the Telegram channel on a free port, polling or webhook, talking to the fake."""
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        public_url=url if mode == "webhook" else None,
    )
    ctx = AppContext.create(settings)
    app = server_app(ctx)
    options.setdefault("poll_timeout", 1)
    add_telegram(app, ctx, limits=limits, **options)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield RunningServer(app, app[CONTEXT], url)
    finally:
        await runner.cleanup()
        await ctx.close()


@dataclass
class Person:
    """One Telegram user in a private chat with the bot (chat id = user id)."""

    fake: FakeBotApi
    chat_id: int
    language_code: str | None = "nb"
    seen: int = 0
    transcript: list[str] = field(default_factory=list)

    async def _push_and_wait(self, update: dict[str, Any], expect: int, timeout: float) -> list[str]:
        await self.fake.push(update)
        messages = await self.fake.wait_for_messages(self.chat_id, self.seen + expect, timeout=timeout)
        new = [message["text"] for message in messages[self.seen :]]
        self.seen = len(messages)
        self.transcript.extend(new)
        return new

    async def say(self, text: str, expect: int = 1, timeout: float = 15) -> list[str]:
        update = self.fake.message(self.chat_id, text, language_code=self.language_code)
        return await self._push_and_wait(update, expect, timeout)

    async def start(self, code: str | None, expect: int = 1, timeout: float = 15) -> list[str]:
        update = self.fake.command(self.chat_id, "start", code or "", language_code=self.language_code)
        return await self._push_and_wait(update, expect, timeout)

    async def press(self, label: str, expect: int = 1, timeout: float = 15) -> list[str]:
        update = self.fake.press(self.chat_id, label, language_code=self.language_code)
        new = await self._push_and_wait(update, expect, timeout)
        await self.wait_answered(update["callback_query"]["id"], timeout)
        return new

    async def wait_answered(self, query_id: str, timeout: float = 15) -> dict[str, Any]:
        await self.fake.wait_until(
            lambda: any(answer["callback_query_id"] == query_id for answer in self.fake.answered_callbacks),
            timeout,
            lambda: f"callback query {query_id} was not answered",
        )
        return next(answer for answer in self.fake.answered_callbacks if answer["callback_query_id"] == query_id)

    def buttons(self) -> list[str]:
        """Labels of the inline buttons on the bot's latest message."""
        last = self.fake.sent_messages(self.chat_id)[-1]
        markup = last.get("reply_markup") or {}
        return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]
