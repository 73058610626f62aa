"""Pacing and message shapes: token buckets, 4096-character pieces, callback data, measured against the fake."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import telegram

from bot.limits import OutgoingLimiter, SendLimits, TokenBucket
from bot.outgoing import Delivery, Sender, keyboard, split_text
from surveys.messages import Button, OutgoingMessage
from tests.support.fake_bot_api import FakeBotApi


def test_split_text_keeps_everything_and_cuts_at_boundaries() -> None:
    lines = [f"Linje {n}: " + "ord " * 40 for n in range(200)]
    text = "\n".join(lines)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(piece) <= 4096 for piece in pieces)
    assert "\n".join(pieces) == text  # cut at line breaks: nothing lost, nothing added
    one_word = "x" * 9000
    assert "".join(split_text(one_word)) == one_word
    assert split_text("kort") == ["kort"]
    emoji = "🌷" * 3000  # two UTF-16 units each: Telegram counts 6000
    assert all(len(piece.encode("utf-16-le")) // 2 <= 4096 for piece in split_text(emoji))
    assert "".join(split_text(emoji)) == emoji


def test_keyboard_keeps_rows_and_refuses_long_callback_data() -> None:
    markup = keyboard(((Button("1", "3.s:1"), Button("2", "3.s:2")), (Button("Hopp over", "3.skip"),)))
    assert markup is not None and [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["3.s:1", "3.s:2"],
        ["3.skip"],
    ]
    assert keyboard(()) is None
    keyboard(((Button("ok", "æ" * 32),),))  # 64 bytes is allowed
    with pytest.raises(ValueError):
        keyboard(((Button("too long", "æ" * 33),),))


async def test_token_bucket_allows_the_burst_then_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float, *args: Any) -> Any:
        waits.append(delay)
        return await real_sleep(delay, *args)

    monkeypatch.setattr(asyncio, "sleep", recorded_sleep)
    bucket = TokenBucket(rate=20, burst=3)
    started = time.monotonic()
    for _ in range(3):
        await bucket.take()
    assert waits == []  # the burst never waits (counted, not timed: a busy machine cannot make this flaky)
    for _ in range(4):
        await bucket.take()
    assert time.monotonic() - started >= 4 / 20 - 0.01


async def test_default_limits_pace_one_chat_and_all_chats(fake_bot_api: FakeBotApi) -> None:
    """Measured on the fake's clock: per chat a burst of 3 then ~1/s; overall at most ~30 in any second."""
    chats = list(range(6_600_001, 6_600_041))
    for chat in chats:
        await fake_bot_api.push(fake_bot_api.message(chat, "hei"))
    async with telegram.Bot(fake_bot_api.token, base_url=fake_bot_api.base_url) as bot:
        sender = Sender(bot, OutgoingLimiter(SendLimits()), on_blocked=_never)
        one_chat = asyncio.gather(
            *(sender.send_messages(chats[0], [OutgoingMessage(f"melding {n}")], "x") for n in range(5))
        )
        many = asyncio.gather(*(sender.send_messages(chat, [OutgoingMessage("hei")], "x") for chat in chats[1:]))
        outcomes = await asyncio.gather(one_chat, many)
    assert {o for group in outcomes for o in group} == {Delivery.sent}
    calls = fake_bot_api.calls_to("sendMessage")
    first_chat = [call.time for call in calls if call.params["chat_id"] == chats[0]]
    assert first_chat[3] - first_chat[0] >= 0.9 and first_chat[4] - first_chat[3] >= 0.9
    times = sorted(call.time for call in calls)
    assert max(sum(1 for other in times if start <= other < start + 1) for start in times) <= 31
    assert times[-1] - times[0] >= 1.0  # 44 messages cannot all go out within one second
    assert fake_bot_api.violations == []


async def _never(_user_ref: str) -> None:
    raise AssertionError("nobody blocked the bot")
