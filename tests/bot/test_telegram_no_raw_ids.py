"""No raw Telegram user id or chat id stays in the database once a conversation is processed.

In a private chat the chat id is the person's Telegram user id; `docs/privacy.md` promises that only its keyed
pseudonym is kept. The reminder address is the one exception, and only while a reminder can still be due.
"""

from __future__ import annotations

from datetime import timedelta

import telegram

from bot.reminders import send_due_reminders
from surveys.i18n import t
from surveys.models import utcnow
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.support.fake_bot_api import FakeBotApi
from tests.support.raw_database import query, sqlite_file_bytes, texts_in

USER_ID = 7_391_845_263  # a realistic 10-digit Telegram user id; in a private chat the chat id is the same number


async def test_a_finished_conversation_leaves_no_telegram_id_in_the_database_file(
    fake_bot_api: FakeBotApi, sqlite_url: str
) -> None:
    campaign = await campaign_in(sqlite_url, reminder_after_hours=2, anonymous=False)
    needles = [str(USER_ID)]
    async with running_server(fake_bot_api, sqlite_url, "webhook", reminder_interval=None) as server:
        person = Person(fake_bot_api, USER_ID, "nb")
        await person.start(campaign.code)
        await person.press(t("nb", "consent.yes"))
        first = fake_bot_api.message(USER_ID, "Turr i skogen med hunden", language_code="nb")
        await fake_bot_api.push(first)
        await fake_bot_api.wait_for_messages(USER_ID, person.seen + 1)
        person.seen += 1
        # While a reminder can be due, the address is kept (the scan below would see it): the test can fail.
        assert texts_in(sqlite_file_bytes(sqlite_url), needles), "the reminder address should be stored for now"
        async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as bot:
            assert await send_due_reminders(server.ctx, bot, now=utcnow() + timedelta(hours=3)) == 1
        person.seen += 1
        # An edit of the first answer still finds it by the message id alone.
        message_id = int(first["message"]["message_id"])
        await fake_bot_api.push(fake_bot_api.edited_message(USER_ID, message_id, "Tur i skogen med hunden"))
        messages = await fake_bot_api.wait_for_messages(USER_ID, person.seen + 1)
        person.seen += 1
        assert messages[-1]["text"] == t("nb", "edit.saved")
        assert query(sqlite_url, "SELECT text FROM answer") == [("Tur i skogen med hunden",)]
        await person.press(t("nb", "question.no_more"))
        [summary] = await person.say("Kaffe med naboen")
        assert t("nb", "summary.intro") in summary
        thanks, _reference = await person.press(t("nb", "summary.send"), expect=2)
        assert thanks == t("nb", "done.thanks")
    keys = [row[0] for row in query(sqlite_url, "SELECT message_key FROM answer ORDER BY id")]
    assert len(keys) == 2 and all(key and str(USER_ID) not in key for key in keys), keys
    blobs = sqlite_file_bytes(sqlite_url)
    assert texts_in(blobs, ["Kaffe med naboen"]), "the scan reads the real file"
    assert texts_in(blobs, needles) == {}
    assert fake_bot_api.violations == []
