"""Telling the people who answered, through the real python-telegram-bot stack and the fake Bot API.

20 people answer on Telegram and 12 say yes to "Vil du få vite hva vi gjør med svarene?". Publishing the public page
sends exactly those 12 one message each, in their language, paced by the bot's send limits; publishing again and
re-running the sender send nothing. /stopp and /slett (and a blocked bot) stop the message about the next change
(an action becoming gjennomført); a third change in the same month is over the cap. No chat id of the 20, yes or
no, is in the database file's bytes (the yes-people's are sealed).
"""

from __future__ import annotations

import asyncio

import telegram

from bot.limits import OutgoingLimiter, SendLimits
from bot.notifications import send_due_notifications
from bot.outgoing import Sender
from surveys.actions import add_action, read_action
from surveys.commands import COMMAND_NAMES, Command
from surveys.i18n import t
from surveys.models import Campaign, NotifyContact, NotifyDelivery, Theme
from surveys.notify import DeliveryStatus
from surveys.public_page import set_published
from tests.bot.fixtures import Person, RunningServer, campaign_in, running_server
from tests.support.factories import count
from tests.support.fake_bot_api import FakeBotApi
from tests.support.raw_database import sqlite_file_bytes, texts_in

FIRST_ID = 7_391_845_200  # realistic 10-digit Telegram user ids; in a private chat the chat id is the same number
LANGUAGES = ("nb", "nn", "sv", "en")
LANGUAGE_BUTTON = {"nn": "Nynorsk", "sv": "Svenska", "en": "English"}
WAIT = 60  # seconds a person waits for each reply (under `make test -n auto` other files share the cores)
RATE = 10.0  # messages per second for the notification sender: 12 messages take at least 11/10 s


async def answer_and_reply(person: Person, code: str, wants: bool) -> None:
    """From the deep link to the thanks, then yes or no to the question after it."""
    lang = person.language_code or "nb"
    await person.start(code, timeout=WAIT)
    if lang != "nb":  # another client language is offered the choice first
        await person.press(LANGUAGE_BUTTON[lang], expect=2, timeout=WAIT)
    await person.press(t(lang, "consent.yes"), timeout=WAIT)
    await person.say(f"Turer i skogen, sier {person.chat_id % 100}", timeout=WAIT)
    await person.press(t(lang, "question.no_more"), timeout=WAIT)
    await person.say("Mer tid til en prat", timeout=WAIT)
    thanks, reference = await person.press(t(lang, "summary.send"), expect=2, timeout=WAIT)
    assert thanks == t(lang, "done.thanks") and reference.endswith(t(lang, "notify.ask"))
    choice = await person.press(t(lang, "notify.yes" if wants else "notify.no"), timeout=WAIT)
    assert choice == [t(lang, "notify.saved" if wants else "notify.declined")]


async def send(server: RunningServer, fake: FakeBotApi, people: list[Person]) -> list[dict[str, object]]:
    """Run the sender as the bot's process does, and return the sendMessage calls it made (the people have seen
    what was delivered)."""
    before = len(fake.calls_to("sendMessage"))
    async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
        limiter = OutgoingLimiter(SendLimits(overall_per_second=RATE, per_chat_per_second=1, per_chat_burst=1))
        sender = Sender(bot, limiter, lambda ref: server.ctx.conversations.mark_unreachable("telegram", ref))
        sent = await send_due_notifications(server.ctx, bot, sender=sender)
    calls = fake.calls_to("sendMessage")[before:]
    assert sent == sum(call.status == 200 for call in calls)
    for person in people:
        person.seen = len(fake.sent_messages(person.chat_id))
    return [dict(call.params, time=call.time, status=call.status) for call in calls]


async def action_done(server: RunningServer, campaign: Campaign, key: str, label: str, what: str) -> None:
    """A manager adds an action marked gjennomført to a new theme of the campaign (as the themes page does)."""
    async with server.ctx.sessions() as session, session.begin():
        row = await session.get(Campaign, campaign.id)
        assert row is not None and row.id is not None
        theme = Theme(campaign_id=row.id, key=key, label=label)
        session.add(theme)
        await session.flush()
        await add_action(session, row, theme, read_action(what, status="done"))


async def test_twelve_yes_of_twenty_hear_once_per_change_and_stop_when_they_say_so(
    fake_bot_api: FakeBotApi, sqlite_url: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    people = [Person(fake_bot_api, FIRST_ID + n, LANGUAGES[n % 4]) for n in range(20)]
    yes, no = people[:12], people[12:]
    async with running_server(fake_bot_api, sqlite_url, "webhook", reminder_interval=None) as server:
        await asyncio.gather(*(answer_and_reply(person, campaign.code, person in yes) for person in people))
        assert await count(server.ctx.sessions, NotifyContact) == 12

        async with server.ctx.sessions() as session, session.begin():
            row = await session.get(Campaign, campaign.id)
            assert row is not None
            page, _ = await set_published(session, row, True)
            await set_published(session, row, True)  # a double click: one publication
        link = f"{server.url}/p/{page.token}"
        published = await send(server, fake_bot_api, people)
        assert sorted(int(str(call["chat_id"])) for call in published) == [person.chat_id for person in yes]
        for call in published:
            person = next(p for p in yes if p.chat_id == call["chat_id"])
            lang = person.language_code or "nb"
            assert call["text"] == t(lang, "notify.page_published", campaign=campaign.name, link=link)
        times = sorted(float(str(call["time"])) for call in published)  # on the fake's clock, as they arrived
        assert times[-1] - times[0] >= 11 / RATE * 0.7, "the sends were not paced by the limiter"
        assert await send(server, fake_bot_api, people) == []  # once per change: a re-run sends nothing

        stoppers, erasers, blocked = yes[0:2], yes[2:4], yes[4]
        for person in stoppers:
            lang = person.language_code or "nb"
            assert await person.say(f"/{COMMAND_NAMES[lang][Command.stop]}") == [t(lang, "notify.stopped")]
        for person in erasers:
            lang = person.language_code or "nb"
            await person.say(f"/{COMMAND_NAMES[lang][Command.delete]}")
            assert await person.press(t(lang, "delete.yes")) == [t(lang, "delete.done")]
        fake_bot_api.block_chat(blocked.chat_id)

        await action_done(server, campaign, "kaffe", "Kaffe og prat", "Kaffe hver fredag")
        done = await send(server, fake_bot_api, people)
        still = yes[5:]
        assert sorted(int(str(call["chat_id"])) for call in done if call["status"] == 200) == [
            person.chat_id for person in still
        ]
        assert [call["status"] for call in done].count(403) == 1  # the blocked chat, tried once
        nb_text = t("nb", "notify.action_done", campaign=campaign.name, action="Kaffe hver fredag", link=link)
        assert nb_text in [call["text"] for call in done]
        assert await count(server.ctx.sessions, NotifyContact) == len(still)  # the blocked one is gone too

        await action_done(server, campaign, "tur", "Turer", "Tur hver tirsdag")
        assert await send(server, fake_bot_api, people) == []  # two this month already: over the cap
        capped = NotifyDelivery.status == DeliveryStatus.capped
        assert await count(server.ctx.sessions, NotifyDelivery, capped) == len(still)

    blobs = sqlite_file_bytes(sqlite_url)
    assert texts_in(blobs, ["Mer tid til en prat"]), "the scan reads the real file"
    assert texts_in(blobs, [str(person.chat_id) for person in no]) == {}
    assert texts_in(blobs, [str(person.chat_id) for person in people]) == {}  # sealed, not in plain text
    assert fake_bot_api.unanswered_callbacks == set()
    assert fake_bot_api.violations == []


async def test_the_running_bot_sends_what_the_dashboard_queued(fake_bot_api: FakeBotApi, sqlite_url: str) -> None:
    """No call from the dashboard to Telegram: the channel's own sweep finds the queued row and sends it."""
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, "polling", reminder_interval=0.05) as server:
        person = Person(fake_bot_api, FIRST_ID + 99)
        await answer_and_reply(person, campaign.code, True)
        async with server.ctx.sessions() as session, session.begin():
            row = await session.get(Campaign, campaign.id)
            assert row is not None
            await set_published(session, row, True)
        [message] = (await fake_bot_api.wait_for_messages(person.chat_id, person.seen + 1, timeout=WAIT))[-1:]
        assert message["text"].startswith("Nå kan du lese hva dere sa")
    assert fake_bot_api.violations == []
