"""Every kind of update gets a sensible outcome, through the real server in webhook mode (polling where it differs)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select

from bot.webhook_auth import SECRET_HEADER, webhook_secret
from surveys.i18n import t
from surveys.models import Answer, ChannelContact, Conversation, ProcessedUpdate, Respondent
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.conftest import TEST_SECRET
from tests.support.factories import count
from tests.support.fake_bot_api import FakeBotApi

CHAT = 7_200_001


async def answers(sessions) -> list[str]:
    async with sessions() as session:
        return [answer.text for answer in (await session.exec(select(Answer).order_by(col(Answer.id)))).all()]


async def eventually(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def at_first_question(fake: FakeBotApi, code: str, chat_id: int = CHAT) -> Person:
    person = Person(fake, chat_id)
    await person.start(code)
    await person.press(t("nb", "consent.yes"))
    return person


async def test_unreadable_content_gets_a_friendly_text_and_nothing_is_stored(
    fake_bot_api: FakeBotApi, sqlite_url: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    phone = "+4791234567"
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        person = await at_first_question(fake_bot_api, campaign.code)
        kinds = {
            "sticker": fake_bot_api.sticker(CHAT),
            "voice": fake_bot_api.voice(CHAT),
            "photo": fake_bot_api.photo(CHAT, caption="Meg"),
            "video": fake_bot_api.video(CHAT),
            "document": fake_bot_api.document(CHAT),
            "location": fake_bot_api.location(CHAT),
            "contact": fake_bot_api.contact(CHAT, phone_number=phone),
        }
        for kind, update in kinds.items():
            assert await person._push_and_wait(update, 1, 10) == [t("nb", "error.only_text")], kind
        assert await answers(server.ctx.sessions) == []
        await person.say("Turen langs elva")  # the conversation goes on where it was
        assert await answers(server.ctx.sessions) == ["Turen langs elva"]
    database = await asyncio.to_thread(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes)
    assert phone.encode() not in database and b"91234567" not in database
    assert fake_bot_api.violations == []


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_edited_message_updates_its_answer(fake_bot_api: FakeBotApi, sqlite_url: str, mode: str) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, mode) as server:
        person = await at_first_question(fake_bot_api, campaign.code)
        update = fake_bot_api.message(CHAT, "Kafe med venner")
        await person._push_and_wait(update, 1, 10)
        edit = fake_bot_api.edited_message(CHAT, update["message"]["message_id"], "Kaffe med venner")
        assert await person._push_and_wait(edit, 1, 10) == [t("nb", "edit.saved")]
        assert await answers(server.ctx.sessions) == ["Kaffe med venner"]
    assert fake_bot_api.violations == []


async def test_group_chats_are_declined_and_nothing_is_stored(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    campaign = await campaign_in(sqlite_url)
    group = -100_555_001
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        await fake_bot_api.push(
            fake_bot_api.command(group, "start", campaign.code, chat_type="supergroup", language_code="en")
        )
        await fake_bot_api.push(fake_bot_api.group_message(group, "Hei bot, hva er dette?"))
        messages = await fake_bot_api.wait_for_messages(group, 2)
        assert [message["text"] for message in messages] == [t("en", "error.group_chat"), t("nb", "error.group_chat")]
        await fake_bot_api.wait_idle()
        for model in (Respondent, Conversation, Answer, ProcessedUpdate):
            assert await count(server.ctx.sessions, model) == 0
    assert fake_bot_api.violations == []


async def test_a_4096_character_text_is_kept_whole_and_long_replies_are_split(
    fake_bot_api: FakeBotApi, sqlite_url: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    words = ("Det viktigste for meg er at dagene har innhold og at jeg får være med på noe. " * 60)[:4096]
    assert len(words) == 4096
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        person = await at_first_question(fake_bot_api, campaign.code)
        await person.say(words)
        assert await answers(server.ctx.sessions) == [words.strip()]
        pieces = await person.say("/mine_data", expect=2)  # header + the whole answer: more than one message
        assert all(1 <= len(piece) <= 4096 for piece in pieces)
        joined = " ".join(pieces)
        assert all(sentence in joined for sentence in words.strip().split(". ")[:-1])
    assert fake_bot_api.violations == []


async def test_the_same_update_delivered_twice_is_stored_once(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        person = await at_first_question(fake_bot_api, campaign.code)
        update = fake_bot_api.message(CHAT, "Naboene mine")
        fake_bot_api.duplicate([update["update_id"]])
        await person._push_and_wait(update, 1, 10)
        await fake_bot_api.wait_idle()
        deliveries = [attempt for attempt in fake_bot_api.delivery_log if attempt.update_id == update["update_id"]]
        assert [attempt.status for attempt in deliveries] == [200, 200]
        assert await answers(server.ctx.sessions) == ["Naboene mine"]
        assert len(fake_bot_api.sent_messages(CHAT)) == person.seen  # the second delivery sent nothing
    assert fake_bot_api.violations == []


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_stale_and_double_tapped_buttons_do_no_harm(fake_bot_api: FakeBotApi, sqlite_url: str, mode: str) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, mode) as server:
        person = Person(fake_bot_api, CHAT)
        await person.start(campaign.code)
        consent = fake_bot_api.press(CHAT, t("nb", "consent.yes"))
        double_tap = fake_bot_api.callback(
            CHAT, consent["callback_query"]["data"], message_id=consent["callback_query"]["message"]["message_id"]
        )
        await person._push_and_wait(consent, 1, 10)
        await person._push_and_wait(double_tap, 0, 10)
        answer = await person.wait_answered(double_tap["callback_query"]["id"])
        assert answer["text"] == t("nb", "error.stale_button")
        stale = fake_bot_api.callback(CHAT, "0.yes", message_id=1)  # a button on a message Telegram no longer has
        await person._push_and_wait(stale, 0, 10)
        await person.wait_answered(stale["callback_query"]["id"])
        await person.say("Hagen")
        assert await answers(server.ctx.sessions) == ["Hagen"]
        assert len(fake_bot_api.sent_messages(CHAT)) == 3  # consent prompt, question, "anything more?"
    assert fake_bot_api.unanswered_callbacks == set()
    assert fake_bot_api.violations == []


async def test_webhook_without_the_secret_is_refused(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        update = fake_bot_api.message(CHAT, "/start")
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {SECRET_HEADER: "wrong"}):
                async with client.post(f"{server.url}/telegram/webhook", json=update, headers=headers) as response:
                    assert response.status == 403
            async with client.post(
                f"{server.url}/telegram/webhook", json=update, headers={SECRET_HEADER: webhook_secret(TEST_SECRET)}
            ) as response:
                assert response.status == 200
        assert fake_bot_api.webhook is not None and fake_bot_api.webhook.secret_token == webhook_secret(TEST_SECRET)
        assert await count(server.ctx.sessions, ProcessedUpdate) == 1
    assert fake_bot_api.violations == []


async def test_a_database_failure_answers_5xx_and_telegram_delivers_again(
    fake_bot_api: FakeBotApi, sqlite_url: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        person = await at_first_question(fake_bot_api, campaign.code)
        with sqlite3.connect(path) as db:
            db.execute(
                "CREATE TRIGGER disk_trouble BEFORE INSERT ON processed_update "
                "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )
        update = fake_bot_api.message(CHAT, "Kortspill på tirsdager")
        fake_bot_api.retry_delay = fake_bot_api.max_retry_delay = 0.2
        await fake_bot_api.push(update)
        await eventually(
            lambda: any(a.update_id == update["update_id"] and a.status == 503 for a in fake_bot_api.delivery_log)
        )
        assert await answers(server.ctx.sessions) == []
        with sqlite3.connect(path) as db:
            db.execute("DROP TRIGGER disk_trouble")
        messages = await fake_bot_api.wait_for_messages(CHAT, person.seen + 1)
        assert messages[-1]["text"] == "Er det noe mer som er viktig for deg?"
        assert await answers(server.ctx.sessions) == ["Kortspill på tirsdager"]
        # The 200 follows the reply once its delivery is recorded.
        await eventually(
            lambda: any(a.update_id == update["update_id"] and a.status == 200 for a in fake_bot_api.delivery_log)
        )
        statuses = [a.status for a in fake_bot_api.delivery_log if a.update_id == update["update_id"]]
        assert statuses[-1] == 200 and set(statuses[:-1]) == {503}
        assert len(fake_bot_api.sent_messages(CHAT)) == person.seen + 1  # no error text for the failed attempts
    assert fake_bot_api.violations == []


async def test_429_retry_after_is_honoured(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        person = await at_first_question(fake_bot_api, campaign.code)
        fake_bot_api.inject_error("sendMessage", CHAT, 429, retry_after=1)
        before = len(fake_bot_api.calls_to("sendMessage"))
        assert await person.say("Å lese avisen") == ["Er det noe mer som er viktig for deg?"]
        calls = fake_bot_api.calls_to("sendMessage")[before:]
        assert [call.status for call in calls] == [429, 200]
        assert calls[1].time - calls[0].time >= 0.99
        assert await answers(server.ctx.sessions) == ["Å lese avisen"]
    assert fake_bot_api.violations == []


async def test_a_blocked_bot_marks_the_respondent_unreachable_once(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    campaign = await campaign_in(sqlite_url, reminder_after_hours=24)
    async with running_server(fake_bot_api, sqlite_url, "webhook") as server:
        await at_first_question(fake_bot_api, campaign.code)
        assert await count(server.ctx.sessions, ChannelContact, ChannelContact.unreachable == False) == 1  # noqa: E712
        before = len(fake_bot_api.calls_to("sendMessage"))
        fake_bot_api.block_chat(CHAT)
        await fake_bot_api.push(fake_bot_api.message(CHAT, "Musikk"))
        await fake_bot_api.wait_idle()
        await asyncio.sleep(0.2)
        attempts = fake_bot_api.calls_to("sendMessage")[before:]
        assert [call.status for call in attempts] == [403]
        assert await answers(server.ctx.sessions) == ["Musikk"]  # stored before the reply failed
        assert await count(server.ctx.sessions, ChannelContact, ChannelContact.unreachable == True) == 1  # noqa: E712
        assert await count(server.ctx.sessions, Conversation, Conversation.reminder_due_at != None) == 0  # noqa: E711
        assert fake_bot_api.delivery_log[-1].status == 200  # no redelivery loop
    assert fake_bot_api.violations == []
