"""Webhook bodies that are valid JSON but not an update: 400 and one log line, never a 500."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bot.webhook_auth import SECRET_HEADER, webhook_secret
from tests.bot.fixtures import running_server
from tests.conftest import TEST_SECRET
from tests.support.fake_bot_api import FakeBotApi

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
