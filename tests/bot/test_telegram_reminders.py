"""Due reminders go out once, in the person's language, even when two sweepers run at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import telegram
from sqlmodel import select

from bot.reminders import send_due_reminders
from surveys.i18n import t
from surveys.models import ChannelContact, Conversation, utcnow
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.support.fake_bot_api import FakeBotApi


async def test_due_reminders_are_sent_once_in_the_persons_language(fake_bot_api: FakeBotApi, database_url: str) -> None:
    campaign = await campaign_in(database_url, reminder_after_hours=2)
    async with running_server(fake_bot_api, database_url, "webhook", reminder_interval=None) as server:
        people = [
            Person(fake_bot_api, 6_700_001, "nb"),
            Person(fake_bot_api, 6_700_002, "sv"),
            Person(fake_bot_api, 6_700_003, "nb"),
        ]
        for person in people[:2]:
            if person.language_code == "sv":
                await person.start(campaign.code)
                await person.press("Svenska", expect=2)
            else:
                await person.start(campaign.code)
            await person.press(t(person.language_code, "consent.yes"))
        await people[2].start(campaign.code)  # no consent yet: a reminder too, the conversation is unfinished
        ctx = server.ctx
        async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as bot:
            assert await send_due_reminders(ctx, bot, now=utcnow() + timedelta(hours=1)) == 0  # not due yet
            later = utcnow() + timedelta(hours=3)
            sweeps = await asyncio.gather(*(send_due_reminders(ctx, bot, now=later) for _ in range(3)))
            assert sum(sweeps) == 3
            assert await send_due_reminders(ctx, bot, now=later + timedelta(hours=5)) == 0  # never twice
        for person in people:
            texts = [message["text"] for message in fake_bot_api.sent_messages(person.chat_id)]
            assert texts.count(t(person.language_code, "reminder.text", campaign=campaign.name)) == 1
        async with ctx.sessions() as session:
            conversations = (await session.exec(select(Conversation))).all()
            assert all(c.reminder_sent_at is not None and c.reminder_due_at is None for c in conversations)
        await people[0].say("Fotball på TV")  # answering after the reminder does not schedule another
        async with ctx.sessions() as session:
            assert all(c.reminder_due_at is None for c in (await session.exec(select(Conversation))).all())
    assert fake_bot_api.violations == []


async def test_a_reminder_to_a_blocked_chat_marks_it_unreachable(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    campaign = await campaign_in(sqlite_url, reminder_after_hours=1)
    async with running_server(fake_bot_api, sqlite_url, "webhook", reminder_interval=None) as server:
        person = Person(fake_bot_api, 6_700_010)
        await person.start(campaign.code)
        fake_bot_api.block_chat(person.chat_id)
        async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as bot:
            assert await send_due_reminders(server.ctx, bot, now=utcnow() + timedelta(hours=2)) == 0
        async with server.ctx.sessions() as session:
            assert (await session.exec(select(ChannelContact.unreachable))).all() == [True]
    assert [call.status for call in fake_bot_api.calls_to("sendMessage")][-1] == 403
    assert fake_bot_api.violations == []
