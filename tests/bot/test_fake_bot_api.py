"""The fake Bot API server, exercised through python-telegram-bot's real network stack.

If the fake accepted what Telegram refuses (or refused what Telegram accepts), every bot test
built on it would prove nothing; these tests pin its behaviour to the specification.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import BotCommand, BotCommandScopeAllPrivateChats, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from tests.support.bot_api_spec import default_spec
from tests.support.fake_bot_api import SECRET_HEADER, FakeBotApi

CHAT = 4711001
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as bot:
        yield bot


@pytest.fixture
async def known_chat(fake_bot_api: FakeBotApi) -> int:
    """Telegram lets a bot write only to users who wrote to it first."""
    await fake_bot_api.push(fake_bot_api.command(CHAT, "start"))
    return CHAT


class Receiver:
    """A tiny webhook endpoint that records deliveries and can fail on purpose."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=200)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/telegram/webhook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/telegram/webhook"
        return self

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    @property
    def update_ids(self) -> list[int]:
        return [body["update_id"] for _headers, body in self.requests]


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def start(failures: int = 0) -> Receiver:
        receiver = await Receiver(failures).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        if receiver.runner is not None and receiver.runner.server is not None:
            await receiver.stop()


async def raw_call(fake: FakeBotApi, method: str, **form: str) -> dict[str, Any]:
    """A form POST like python-telegram-bot's, for parameters PTB itself would not let through."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{fake.token}/{method}", data=form) as response,
    ):
        envelope: dict[str, Any] = await response.json()
        assert response.status == envelope.get("error_code", 200)
        return envelope


async def eventually(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# -- sending and validation ---------------------------------------------------------------------


async def test_send_message_round_trip_returns_a_message(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja", callback_data="consent:yes"),
                InlineKeyboardButton("Nei", callback_data="consent:no"),
            ]
        ]
    )

    first = await bot.send_message(known_chat, "Hva er viktig for deg?", reply_markup=keyboard)
    second = await bot.send_message(known_chat, "<b>Takk!</b>", parse_mode="HTML")

    assert isinstance(first, telegram.Message)
    assert first.chat.id == known_chat and first.from_user is not None and first.from_user.username == "viktig_test_bot"
    assert first.text == "Hva er viktig for deg?"
    assert first.reply_markup is not None and first.reply_markup.inline_keyboard[0][1].callback_data == "consent:no"
    # The user's /start took message_id 1 in this chat; Telegram numbers both sides together.
    assert (first.message_id, second.message_id) == (2, 3)
    sent = fake_bot_api.sent_messages(known_chat)
    assert [message["text"] for message in sent] == ["Hva er viktig for deg?", "<b>Takk!</b>"]
    assert sent[0]["reply_markup"] == keyboard.to_dict()
    assert fake_bot_api.calls_to("sendMessage")[0].params["chat_id"] == known_chat
    assert fake_bot_api.violations == []


async def test_text_limit_is_4096_characters(fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int) -> None:
    await bot.send_message(known_chat, "å" * 4096)
    assert fake_bot_api.violations == []

    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(known_chat, "å" * 4097)

    assert len(fake_bot_api.violations) == 1 and "4097 characters" in fake_bot_api.violations[0]
    assert len(fake_bot_api.sent_messages(known_chat)) == 1


async def test_empty_text_and_broken_html_are_violations(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    with pytest.raises(BadRequest, match="(?i)empty"):
        await bot.send_message(known_chat, "   ")
    with pytest.raises(BadRequest, match="(?i)parse entities"):
        await bot.send_message(known_chat, "<b>fet</i>", parse_mode="HTML")

    assert len(fake_bot_api.violations) == 2


async def test_callback_data_is_limited_to_64_bytes_not_characters(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    await bot.send_message(
        known_chat, "Velg", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ø" * 32)]])
    )
    assert fake_bot_api.violations == []

    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(
            known_chat,
            "Velg",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="a" * 65)]]),
        )
    with pytest.raises(BadRequest, match="(?i)66 bytes"):
        await bot.send_message(
            known_chat,
            "Velg",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ø" * 33)]]),
        )

    assert len(fake_bot_api.violations) == 2
    assert all("callback_data" in violation for violation in fake_bot_api.violations)


async def test_unknown_parameter_and_unknown_method_are_violations(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    with pytest.raises(BadRequest, match="(?i)unknown parameter 'colour'"):
        await bot.send_message(known_chat, "Hei", api_kwargs={"colour": "red"})
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": known_chat})

    assert fake_bot_api.violations == [
        "sendMessage: unknown parameter 'colour'",
        "sendTelepathy: no such method in Bot API 10.1",
    ]


async def test_wrong_type_is_a_violation(fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int) -> None:
    not_a_boolean = await raw_call(
        fake_bot_api, "sendMessage", chat_id=str(known_chat), text="Hei", disable_notification="perhaps"
    )
    button_without_text = await raw_call(
        fake_bot_api,
        "sendMessage",
        chat_id=str(known_chat),
        text="Hei",
        reply_markup=json.dumps({"inline_keyboard": [[{"callback_data": "x"}]]}),
    )
    not_json = await raw_call(
        fake_bot_api, "sendMessage", chat_id=str(known_chat), text="Hei", reply_markup="{inline_keyboard"
    )

    assert not_a_boolean["description"] == "Bad Request: 'disable_notification' must be a Boolean, got 'perhaps'"
    assert (
        button_without_text["description"]
        == "Bad Request: 'reply_markup.inline_keyboard[0][0]' (InlineKeyboardButton) lacks required field 'text'"
    )
    assert "JSON-serialized" in not_json["description"]
    assert len(fake_bot_api.violations) == 3


async def test_unknown_token_is_unauthorized(fake_bot_api: FakeBotApi) -> None:
    stranger = telegram.Bot("42:wrong-token", base_url=fake_bot_api.base_url)
    try:
        with pytest.raises(InvalidToken, match="(?i)rejected by the server"):
            await stranger.initialize()
    finally:
        await stranger.shutdown()
    async with aiohttp.ClientSession() as session, session.get(f"{fake_bot_api.base_url}42:wrong/getMe") as response:
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert fake_bot_api.violations == []


async def test_query_string_and_json_bodies_are_understood(fake_bot_api: FakeBotApi, known_chat: int) -> None:
    url = f"{fake_bot_api.base_url}{fake_bot_api.token}"
    markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/getMe") as response:
            me = await response.json()
        async with session.post(
            f"{url}/sendMessage", json={"chat_id": known_chat, "text": "Hei", "reply_markup": markup}
        ) as response:
            sent = await response.json()
        async with session.get(
            f"{url}/SENDMESSAGE", params={"chat_id": str(known_chat), "text": "Hei igjen"}
        ) as response:
            again = await response.json()
        async with session.post(f"{url}/nonsense") as response:
            missing = (response.status, await response.json())

    assert me["ok"] and me["result"]["username"] == "viktig_test_bot"
    assert sent["ok"] and sent["result"]["reply_markup"] == markup
    assert again["ok"] and again["result"]["text"] == "Hei igjen"
    assert missing == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


# -- getting updates -----------------------------------------------------------------------------


async def test_application_polling_receives_pushed_updates(fake_bot_api: FakeBotApi) -> None:
    received: list[tuple[str, list[str]]] = []

    async def on_start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received.append(("start", list(context.args or [])))
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id,
            "Velkommen",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="consent:yes")]]),
        )

    async def on_text(update: telegram.Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        received.append(("text", [update.message.text]))

    async def on_button(update: telegram.Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None and update.callback_query.data is not None
        received.append(("button", [update.callback_query.data]))
        await update.callback_query.answer()

    app = Application.builder().token(fake_bot_api.token).base_url(fake_bot_api.base_url).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    await app.initialize()
    updater = app.updater
    assert updater is not None
    await updater.start_polling(poll_interval=0, timeout=5)
    await app.start()
    try:
        await fake_bot_api.push(fake_bot_api.command(CHAT, "start", "HVA2026"))
        await fake_bot_api.wait_for_messages(CHAT, 1)
        await fake_bot_api.push(fake_bot_api.press(CHAT, "Ja"))
        await fake_bot_api.push(fake_bot_api.message(CHAT, "Å kunne bo hjemme"))
        await eventually(lambda: len(received) == 3)
        await fake_bot_api.wait_idle(5)
    finally:
        await updater.stop()
        await app.stop()
        await app.shutdown()

    assert received == [("start", ["HVA2026"]), ("button", ["consent:yes"]), ("text", ["Å kunne bo hjemme"])]
    assert fake_bot_api.unanswered_callbacks == set()
    assert fake_bot_api.violations == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake_bot_api: FakeBotApi, bot: telegram.Bot) -> None:
    async def push_later() -> None:
        await asyncio.sleep(0.2)
        await fake_bot_api.push(fake_bot_api.message(CHAT, "Hei"))

    pusher = asyncio.create_task(push_later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    elapsed = time.monotonic() - started
    await pusher

    assert [update.message.text for update in updates if update.message] == ["Hei"]
    assert 0.15 < elapsed < 8  # well before the 10 s poll timeout, with room for a busy machine
    # Not confirmed yet: the same update comes again until an offset passes it.
    again = await bot.get_updates(timeout=0)
    assert [update.update_id for update in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    await fake_bot_api.wait_idle(1)


async def test_a_second_poller_terminates_the_first(fake_bot_api: FakeBotApi, bot: telegram.Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_bot_api.wait_for_calls("getUpdates", 1)
    async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as second_process:
        second = await second_process.get_updates(timeout=0)

    with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
        await first
    assert second == ()


# -- webhooks ------------------------------------------------------------------------------------


async def test_webhook_delivery_carries_the_secret_and_retries_after_500(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    receiver = await receivers(failures=1)
    assert await bot.set_webhook(receiver.url, secret_token="s3cret_Token-1", max_connections=5)
    update = fake_bot_api.message(CHAT, "Tryggheit")

    await fake_bot_api.push(update)
    await fake_bot_api.wait_idle(5)

    assert receiver.update_ids == [update["update_id"], update["update_id"]]
    assert all(headers[SECRET_HEADER] == "s3cret_Token-1" for headers, _body in receiver.requests)
    assert receiver.requests[1][1] == update
    assert [attempt.status for attempt in fake_bot_api.delivery_log] == [500, 200]
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0 and info.max_connections == 5
    assert info.last_error_message == "Wrong response from the webhook: 500"
    with pytest.raises(Conflict, match="(?i)webhook is active"):
        await bot.get_updates()
    assert fake_bot_api.violations == []


async def test_secret_token_alphabet_is_enforced(fake_bot_api: FakeBotApi, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)secret token"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="not allowed!")
    assert len(fake_bot_api.violations) == 1


async def test_webhook_targets_round_robin_and_fail_over(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    one, two = await receivers(), await receivers()
    await bot.set_webhook(one.url, secret_token="secret")
    fake_bot_api.webhook_targets = [one.url, two.url]

    first_batch = [fake_bot_api.message(CHAT + chat, "Hei") for chat in range(6)]
    await fake_bot_api.push(*first_batch)
    await fake_bot_api.wait_idle(5)
    assert len(one.requests) == 3 and len(two.requests) == 3

    await two.stop()  # one process dies: everything still arrives, at the other one
    second_batch = [fake_bot_api.message(CHAT + chat, "Igjen") for chat in range(6)]
    await fake_bot_api.push(*second_batch)
    await fake_bot_api.wait_idle(5)

    assert sorted(one.update_ids[3:]) == [update["update_id"] for update in second_batch]
    assert any(attempt.target == two.url and isinstance(attempt.status, str) for attempt in fake_bot_api.delivery_log)
    assert fake_bot_api.dropped_updates == []


async def test_one_chat_is_delivered_in_order_and_duplicates_arrive_twice(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    receiver = await receivers(failures=2)
    await bot.set_webhook(receiver.url)
    updates = [fake_bot_api.message(CHAT, f"svar {number}") for number in range(5)]
    fake_bot_api.duplicate([updates[2]["update_id"]])

    await fake_bot_api.push(*updates)
    await fake_bot_api.wait_idle(5)

    ids = [update["update_id"] for update in updates]
    delivered = [update_id for update_id, _target, status in fake_bot_api.delivery_log if status == 200]
    assert delivered == [ids[0], ids[1], ids[2], ids[2], ids[3], ids[4]]
    assert SECRET_HEADER not in receiver.requests[0][0]


async def test_delete_webhook_returns_to_polling(fake_bot_api: FakeBotApi, bot: telegram.Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/unreachable")
    await bot.delete_webhook(drop_pending_updates=True)
    await fake_bot_api.push(fake_bot_api.message(CHAT, "Hei"))

    updates = await bot.get_updates(timeout=1)

    assert len(updates) == 1 and (await bot.get_webhook_info()).url == ""


# -- refusals and injected errors ----------------------------------------------------------------


async def test_injected_429_raises_retry_after(fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int) -> None:
    fake_bot_api.inject_error("sendMessage", chat_id=known_chat, error_code=429, retry_after=3)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(known_chat, "Hei")
    await bot.send_message(known_chat, "Hei")  # times=1: the next call goes through

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        retry_after = raised.value.retry_after
    assert retry_after in (3, dtm.timedelta(seconds=3))
    assert [call.status for call in fake_bot_api.calls_to("sendMessage")] == [429, 200]
    assert fake_bot_api.violations == []


async def test_injected_403_raises_forbidden_and_blocked_chats_stay_blocked(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    fake_bot_api.inject_error("sendMessage", error_code=403)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(known_chat, "Hei")

    fake_bot_api.block_chat(known_chat)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(known_chat, "Påminnelse")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "Til en fremmed")
    assert fake_bot_api.violations == []
    assert fake_bot_api.sent_messages(known_chat) == []


async def test_edits_and_callback_answers_behave_like_telegram(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Bokmål", callback_data="lang:nb")]])
    message = await bot.send_message(known_chat, "Velg språk", reply_markup=keyboard)
    press = fake_bot_api.press(known_chat, "Bokmål")
    await fake_bot_api.push(press)
    query_id = press["callback_query"]["id"]

    assert await bot.answer_callback_query(query_id, text="Valgt")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    edited = await bot.edit_message_text("Språk: bokmål", chat_id=known_chat, message_id=message.message_id)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Språk: bokmål", chat_id=known_chat, message_id=message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("Nytt", chat_id=known_chat, message_id=999)

    assert isinstance(edited, telegram.Message) and edited.reply_markup is None and edited.edit_date is not None
    assert fake_bot_api.answered_callbacks == [{"callback_query_id": query_id, "text": "Valgt"}]
    assert fake_bot_api.sent_messages(known_chat)[0] | {} == {
        "message_id": message.message_id,
        "method": "sendMessage",
        "text": "Språk: bokmål",
        "reply_markup": None,
        "parse_mode": None,
        "edited": 1,
    }
    assert len(fake_bot_api.violations) == 1 and "callback answer text" in fake_bot_api.violations[0]
    assert len(fake_bot_api.rejections) == 3


async def test_set_my_commands_per_language_is_validated(fake_bot_api: FakeBotApi, bot: telegram.Bot) -> None:
    norwegian = [BotCommand("start", "Start samtalen"), BotCommand("slett_mine_data", "Slett svarene mine")]
    assert await bot.set_my_commands(norwegian, language_code="nb")
    assert await bot.set_my_commands(
        [BotCommand("start", "Start")], scope=BotCommandScopeAllPrivateChats(), language_code="en"
    )

    assert [command.command for command in await bot.get_my_commands(language_code="nb")] == [
        "start",
        "slett_mine_data",
    ]
    assert await bot.get_my_commands(language_code="sv") == ()
    assert fake_bot_api.commands("en", {"type": "all_private_chats"}) == [{"command": "start", "description": "Start"}]
    assert fake_bot_api.violations == []

    with pytest.raises(BadRequest, match="(?i)language_code"):
        await bot.set_my_commands(norwegian, language_code="nob")
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Start")], language_code="nb")
    with pytest.raises(BadRequest, match="(?i)description"):
        await bot.set_my_commands([BotCommand("start", "")], language_code="nb")
    with pytest.raises(BadRequest, match="(?i)at most 100"):
        await bot.set_my_commands([BotCommand(f"c{number}", "x") for number in range(101)])
    assert len(fake_bot_api.violations) == 4

    assert await bot.delete_my_commands(language_code="nb")
    assert await bot.get_my_commands(language_code="nb") == ()


# -- simulated users -----------------------------------------------------------------------------


async def test_every_builder_makes_a_valid_update_that_ptb_parses(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    await bot.send_message(
        known_chat, "Velg", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    )
    updates = {
        "message": fake_bot_api.message(known_chat, "Hei", language_code="sv"),
        "command": fake_bot_api.command(known_chat, "start", "KODE1"),
        "edited": fake_bot_api.edited_message(known_chat, 1, "Rettet svar"),
        "callback": fake_bot_api.callback(known_chat, "yes"),
        "stale callback": fake_bot_api.callback(known_chat, "old", message_id=1),
        "sticker": fake_bot_api.sticker(known_chat),
        "photo": fake_bot_api.photo(known_chat, caption="Bilde"),
        "voice": fake_bot_api.voice(known_chat),
        "video": fake_bot_api.video(known_chat),
        "document": fake_bot_api.document(known_chat),
        "location": fake_bot_api.location(known_chat),
        "contact": fake_bot_api.contact(known_chat, phone_number="+4799999999"),
        "group": fake_bot_api.group_message(-100123, "Hei alle"),
        "group command": fake_bot_api.command(-100123, "start", chat_type="supergroup", user_id=5),
    }
    spec = default_spec()
    ids = [update["update_id"] for update in updates.values()]
    assert ids == sorted(set(ids))
    for name, update in updates.items():
        assert spec.check_object("Update", update) == [], name
        parsed = telegram.Update.de_json(update, bot)
        assert parsed.update_id == update["update_id"]
        assert parsed.effective_chat is not None, name

    assert updates["command"]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert updates["group command"]["message"]["text"] == "/start@viktig_test_bot"
    assert updates["edited"]["edited_message"]["message_id"] == 1
    stale = telegram.Update.de_json(updates["stale callback"], bot).callback_query
    assert stale is not None and stale.message is not None and stale.message.is_accessible is False
    contact = telegram.Update.de_json(updates["contact"], bot).message
    assert contact is not None and contact.contact is not None and contact.contact.phone_number == "+4799999999"


async def test_fake_messages_match_the_specification(
    fake_bot_api: FakeBotApi, bot: telegram.Bot, known_chat: int
) -> None:
    url = f"{fake_bot_api.base_url}{fake_bot_api.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/sendMessage",
            data={
                "chat_id": str(known_chat),
                "text": "Hei",
                "reply_markup": json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}),
            },
        ) as response:
            message = (await response.json())["result"]
        async with session.get(f"{url}/getMe") as response:
            me = (await response.json())["result"]
        async with session.get(f"{url}/getWebhookInfo") as response:
            info = (await response.json())["result"]
    spec = default_spec()
    assert spec.check_object("Message", message) == []
    assert spec.check_object("User", me) == []
    assert spec.check_object("WebhookInfo", info) == []


def test_standalone_server_prints_its_base_url(unused_tcp_port: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_bot_api", "--port", str(unused_tcp_port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert f"http://127.0.0.1:{unused_tcp_port}/bot" in line
