"""A full disk under long polling: nothing is confirmed to Telegram before it is stored, every press is answered.

The disk is "filled" the way SQLite sees a full disk: the database is padded until no page is free and then may not
grow (PRAGMA max_page_count on the server's own connection), so every write that needs a page fails with SQLITE_FULL
("database or disk is full") from SQLite itself, exactly as on a full file system.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from surveys.i18n import t
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.bot.test_telegram_updates import answers
from tests.support.fake_bot_api import FakeBotApi

WRITERS = [7_400_000 + n for n in range(4)]
PRESSERS = [7_400_100 + n for n in range(4)]
NO_LIMIT = 1_073_741_823


async def fill_the_disk(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        pages = (await connection.exec_driver_sql("PRAGMA page_count")).scalar_one()
        await connection.exec_driver_sql(f"PRAGMA max_page_count = {int(pages) + 1}")
    for size in (4000, 400, 40):
        while True:
            try:
                async with engine.begin() as connection:
                    await connection.exec_driver_sql(f"INSERT INTO filler VALUES (randomblob({size}))")
            except OperationalError as error:
                assert "full" in str(error.orig)
                break
    async with engine.begin() as connection:  # and not one page more
        pages = (await connection.exec_driver_sql("PRAGMA page_count")).scalar_one()
        await connection.exec_driver_sql(f"PRAGMA max_page_count = {int(pages)}")


async def free_the_disk(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"PRAGMA max_page_count = {NO_LIMIT}")


@pytest.mark.slow
async def test_a_full_disk_during_polling_loses_nothing_and_answers_every_press(
    fake_bot_api: FakeBotApi, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    campaign = await campaign_in(sqlite_url)
    fake = fake_bot_api
    async with running_server(fake, sqlite_url, "polling") as server:
        writers = [Person(fake, chat) for chat in WRITERS]
        pressers = [Person(fake, chat) for chat in PRESSERS]
        for person in writers + pressers:
            await person.start(campaign.code)
        for person in writers:
            await person.press(t("nb", "consent.yes"))
        await fill_the_disk(server.ctx.db)
        texts = {chat: f"{'Å bo hjemme og klare meg selv. ' * 100}({chat})" for chat in WRITERS}
        with caplog.at_level(logging.ERROR, logger="bot.processing"):
            presses = [fake.press(person.chat_id, t("nb", "consent.yes")) for person in pressers]
            await fake.push(*[fake.message(chat, text) for chat, text in texts.items()], *presses)
            # Every sender hears about it: the writers once by message, the pressers by the answer to their press.
            for chat in WRITERS:
                messages = await fake.wait_for_messages(chat, len(fake.sent_messages(chat)) + 1, timeout=20)
                assert messages[-1]["text"] == t("nb", "error.storage_delayed")
            for press in presses:
                answered = await Person(fake, 0).wait_answered(press["callback_query"]["id"], timeout=20)
                assert answered.get("text") in (t("nb", "error.storage_busy"), None)
            await asyncio.sleep(3)  # a few retry rounds while the disk stays full
            assert fake.pending_update_count >= len(WRITERS)  # none of the unsaved updates was confirmed
            assert await answers(server.ctx.sessions) == []
            stored_failures = [r for r in caplog.records if "telegram update not stored" in r.getMessage()]
            assert len(stored_failures) > len(WRITERS)  # retried, and every time refused by the full disk
            assert all("OperationalError" in r.getMessage() for r in stored_failures)
        await free_the_disk(server.ctx.db)
        for chat in WRITERS:
            messages = await fake.wait_for_messages(chat, 4, timeout=30)  # consent, question, delayed note, reply
            assert messages[-1]["text"] == "Er det noe mer som er viktig for deg?"
            assert sum(m["text"] == t("nb", "error.storage_delayed") for m in messages) == 1  # told once
        for person in pressers:  # each press was processed in the end: the consent led to the first question
            await fake.wait_for_messages(person.chat_id, 2, timeout=30)
        await fake.wait_idle(timeout=30)
        assert sorted(await answers(server.ctx.sessions)) == sorted(texts.values())  # each once, none lost
    assert fake.unanswered_callbacks == set()
    assert fake.dropped_updates == []
    assert fake.violations == []
