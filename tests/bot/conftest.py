"""Fixtures for the Telegram channel: the fake Bot API server on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_bot_api import FakeBotApi


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A fresh fake Telegram for one test, with fast webhook retries."""
    async with FakeBotApi(retry_delay=0.01, max_retry_delay=0.05) as fake:
        yield fake
