"""Webhook bodies: valid JSON that is not an update gets 400 and one log line, never a 500; a button press is
answered in the response's body."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest

from bot.webhook_auth import SECRET_HEADER, webhook_secret
from surveys.i18n import t
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.conftest import TEST_SECRET
from tests.support.fake_bot_api import FakeBotApi
from tests.support.raw_database import query

NOT_UPDATES = [[], "update", 17, None, True, {}, {"foo": 1}, {"update_id": "x"}, {"update_id": 5, "message": 1}]


async def test_json_that_is_not_an_update_is_a_bad_request(
    fake_bot_api: FakeBotApi, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {SECRET_HEADER: webhook_secret(TEST_SECRET)}
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server, aiohttp.ClientSession() as client:
        for body in NOT_UPDATES + [{"update_id": 9, "message": {}}]:
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="bot.webhook"):
                async with client.post(f"{server.url}/telegram/webhook", json=body, headers=headers) as response:
                    assert response.status == 400, body
            lines = [record.getMessage() for record in caplog.records if record.name == "bot.webhook"]
            assert len(lines) == 1 and lines[0].startswith("webhook body is not an update"), (body, lines)
        async with client.post(f"{server.url}/telegram/webhook", data=b"{not json", headers=headers) as response:
            assert response.status == 400


async def test_a_button_press_is_answered_in_the_response_body_and_its_reply_sent_and_recorded(
    fake_bot_api: FakeBotApi, sqlite_url: str
) -> None:
    """answerCallbackQuery rides in the 200 response (Telegram executes it); the reply itself is a sendMessage whose
    delivery is recorded, so a redelivery without it would still rebuild the reply."""
    fake, chat = fake_bot_api, 7_500_001
    campaign = await campaign_in(sqlite_url)
    headers = {SECRET_HEADER: webhook_secret(TEST_SECRET)}
    async with running_server(fake, sqlite_url, "webhook") as server, aiohttp.ClientSession() as client:

        async def post(update: dict[str, Any]) -> bytes:
            async with client.post(f"{server.url}/telegram/webhook", json=update, headers=headers) as response:
                assert response.status == 200
                return await response.read()

        await Person(fake, chat).start(campaign.code)  # through the fake, which then knows the chat
        press = fake.press(chat, t("nb", "consent.yes"))
        body = json.loads(await post(press))
        assert body == {"method": "answerCallbackQuery", "callback_query_id": press["callback_query"]["id"]}
        assert fake.calls_to("answerCallbackQuery") == []  # not called by the server itself
        assert fake.sent_messages(chat)[-1]["text"] == "Hva er viktig for deg?"
        key = f"telegram:{press['update_id']}"
        for _ in range(100):  # the delivery ledger writes in batches
            replied = query(sqlite_url, "SELECT replied_at FROM processed_update WHERE key = ?", (key,))
            if replied and replied[0][0] is not None:
                break
            await asyncio.sleep(0.05)
        assert replied and replied[0][0] is not None
        assert await post(fake.message(chat, "Å være ute i hagen")) == b""  # a text: no call rides in the body
    assert fake.violations == []
