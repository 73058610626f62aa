"""A redelivered update whose reply was never delivered gets it rebuilt; one whose reply was delivered stays silent."""

from __future__ import annotations

import sqlite3

import pytest

from surveys.i18n import t
from tests.bot.fixtures import campaign_in, running_server
from tests.bot.test_telegram_updates import CHAT, answers, at_first_question
from tests.support.fake_bot_api import FakeBotApi


def forget_delivery(sqlite_url: str, update_id: int) -> None:
    """As after a crash between the commit and the reply: stored, delivery not recorded."""
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        changed = db.execute(
            "UPDATE processed_update SET replied_at = NULL WHERE key = ?", (f"telegram:{update_id}",)
        ).rowcount
    assert changed == 1


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_only_an_unanswered_redelivery_gets_its_reply_again(
    fake_bot_api: FakeBotApi, sqlite_url: str, mode: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    fake = fake_bot_api
    async with running_server(fake, sqlite_url, mode) as server:
        person = await at_first_question(fake, campaign.code)
        update = fake.message(CHAT, "Naboene mine")
        await person._push_and_wait(update, 1, 10)
        await fake.wait_idle()
        seen = len(fake.sent_messages(CHAT))
        fake.duplicate([update["update_id"]])  # delivered reply: silent
        await fake.wait_idle()
        assert len(fake.sent_messages(CHAT)) == seen
        forget_delivery(sqlite_url, update["update_id"])
        fake.duplicate([update["update_id"]])  # reply never delivered: rebuilt from what is stored
        messages = await fake.wait_for_messages(CHAT, seen + 1)
        assert messages[-1]["text"] == "Er det noe mer som er viktig for deg?"
        await fake.wait_idle()
        fake.duplicate([update["update_id"]])  # and now recorded as delivered: silent again
        await fake.wait_idle()
        assert len(fake.sent_messages(CHAT)) == seen + 1
        assert await answers(server.ctx.sessions) == ["Naboene mine"]  # stored once throughout
        assert t("nb", "error.internal") not in [m["text"] for m in fake.sent_messages(CHAT)]
    assert fake.violations == []
