"""Odd webhook bodies (with the right secret, so they get past the door) are answered 4xx, never 500."""

from __future__ import annotations

import aiohttp
import pytest

from bot.webhook_auth import SECRET_HEADER, webhook_secret
from tests.bot.fixtures import running_server
from tests.conftest import TEST_SECRET
from tests.support.fake_bot_api import FakeBotApi

BODIES = [
    b"null",
    b"[]",
    b'"update"',
    b"17",
    b"{}",
    b'{"update_id": "x"}',
    b'{"update_id": 1, "message": "x"}',
    b'{"update_id": 1, "message": {"message_id": "x"}}',
    b'{"update_id": 1, "callback_query": []}',
    b"\xff\xfe not utf-8",
    b'{"update_id": 1e400}',
]


@pytest.mark.parametrize("body", BODIES)
async def test_odd_webhook_bodies_get_4xx(fake_bot_api: FakeBotApi, sqlite_url: str, body: bytes) -> None:
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        headers = {SECRET_HEADER: webhook_secret(TEST_SECRET), "Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{server.url}/telegram/webhook", data=body, headers=headers) as response,
        ):
            assert 200 <= response.status < 500, (body, response.status)
