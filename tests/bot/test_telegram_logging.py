"""A whole Telegram conversation with logging at DEBUG: neither the token nor what the person wrote reaches the log.

Known traps: httpx logs request URLs (which contain the bot token) at INFO; python-telegram-bot logs request
parameters (message texts) and the API URL at DEBUG; a webhook server could log update bodies.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from tests.bot.fixtures import Person, campaign_in, running_server
from tests.bot.test_telegram_conversation import ANSWERS, answer_survey
from tests.support.fake_bot_api import FakeBotApi
from tests.support.log_capture import debug_log_capture

CHAT = 5_550_123


@pytest.fixture
def debug_log(fake_bot_api: FakeBotApi) -> Iterator[io.StringIO]:
    """The production logging set-up at DEBUG, written to a buffer; the previous set-up restored afterwards."""
    with debug_log_capture(fake_bot_api.token) as buffer:
        yield buffer


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_debug_logs_carry_neither_the_token_nor_the_answers(
    fake_bot_api: FakeBotApi, sqlite_url: str, debug_log: io.StringIO, mode: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, mode) as server:
        person = Person(fake_bot_api, CHAT, language_code="en")
        await answer_survey(person, campaign.code, "en")
        await person._push_and_wait(fake_bot_api.contact(CHAT, phone_number="+4798765432", language_code="en"), 1, 10)
        await person.say("/mydata", expect=1)
        del server
    log = debug_log.getvalue()
    assert "telegram channel started" in log  # the capture works
    secret_part = fake_bot_api.token.split(":", 1)[1]
    assert secret_part not in log
    for text in ANSWERS["en"]:
        assert text not in log
    assert str(CHAT) not in log
    assert "98765432" not in log
    assert fake_bot_api.violations == []
