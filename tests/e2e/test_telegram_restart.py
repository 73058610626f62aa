"""kill -9 of a real `viktig serve` (SQLite file, webhook mode) in the middle of a campaign, then a restart.

Telegram (the fake) redelivers every update it got no 2xx for; the engine committed before answering, so every
conversation continues where it was. A person whose reply was lost in the crash (stored, but killed before the
reply went out) does what people do: opens the link again and carries on from what the bot shows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from surveys.i18n import t
from surveys.models import Answer, Conversation, ConversationStatus
from tests.bot.fixtures import bound_socket, campaign_in
from tests.conftest import TEST_SECRET
from tests.support.fake_bot_api import FakeBotApi
from tests.support.serve_cluster import wait_until_ready

PEOPLE = 20
ROOT = Path(__file__).resolve().parents[2]
VIKTIG = str(Path(sys.executable).with_name("viktig"))


def serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([VIKTIG, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def person(fake: FakeBotApi, chat_id: int, code: str) -> list[str]:
    """Acts on whatever the bot showed last; returns the answers it wrote (each written once)."""
    written: list[str] = []
    seen = 0

    async def act(update: dict[str, Any]) -> None:
        nonlocal seen
        await fake.push(update)
        try:
            messages = await fake.wait_for_messages(chat_id, seen + 1, timeout=8)
        except TimeoutError:  # the reply was lost in the crash: open the link again
            await fake.push(fake.command(chat_id, "start", code))
            messages = await fake.wait_for_messages(chat_id, seen + 1, timeout=30)
        del messages
        # A reply may be several messages, and after the crash a redelivered update's reply may come after the
        # reply to the repeated /start: act only on the last message once the chat has been quiet for a moment.
        seen = len(fake.sent_messages(chat_id))
        while True:
            await asyncio.sleep(0.3)
            if len(fake.sent_messages(chat_id)) == seen:
                break
            seen = len(fake.sent_messages(chat_id))

    await act(fake.command(chat_id, "start", code))
    for _step in range(30):
        last = fake.sent_messages(chat_id)[-1]["text"]
        if t("nb", "done.thanks") in last or "referanse" in last.lower():
            return written
        if t("nb", "consent.ask") in last:
            await act(fake.press(chat_id, t("nb", "consent.yes")))
        elif t("nb", "summary.intro") in last:
            await act(fake.press(chat_id, t("nb", "summary.send")))
        elif last.startswith("Er det noe mer") and len(written) >= 2:
            await act(fake.press(chat_id, t("nb", "question.no_more")))
        else:  # a question, or "anything more?"
            written.append(f"Svar {len(written) + 1} fra {chat_id}")
            await act(fake.message(chat_id, written[-1]))
    raise AssertionError(f"chat {chat_id} did not finish: {[m['text'][:40] for m in fake.sent_messages(chat_id)]}")


@pytest.mark.slow
async def test_kill_9_mid_campaign_and_restart_loses_nothing(sqlite_url: str) -> None:
    campaign = await campaign_in(sqlite_url)
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}"
    async with FakeBotApi(retry_delay=0.05, max_retry_delay=0.5, max_delivery_attempts=400) as fake:
        env = os.environ | {
            "DATABASE_URL": sqlite_url,
            "VIKTIG_SECRET_KEY": TEST_SECRET,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "VIKTIG_PUBLIC_URL": url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "VIKTIG_LOG_LEVEL": "WARNING",
        }
        process = serve(env)
        try:
            await wait_until_ready(url, process, time.monotonic() + 30)
            people = asyncio.gather(*(person(fake, 6_300_000 + n, campaign.code) for n in range(PEOPLE)))
            await fake.wait_until(
                lambda: sum(len(fake.sent_messages(6_300_000 + n)) for n in range(PEOPLE)) >= PEOPLE * 3,
                120,
                lambda: f"fewer than {PEOPLE * 3} messages sent before the kill",
            )
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            killed_at = sum(len(fake.sent_messages(6_300_000 + n)) for n in range(PEOPLE))
            await asyncio.sleep(0.5)  # deliveries fail meanwhile and are retried
            process = serve(env)
            written = await asyncio.wait_for(people, timeout=120)
        finally:
            process.terminate()
            process.wait(timeout=30)
        assert killed_at < PEOPLE * 7  # the kill really was mid-campaign
        assert any(not isinstance(attempt.status, int) for attempt in fake.delivery_log)  # deliveries failed meanwhile
        assert fake.dropped_updates == []
        assert fake.violations == []
    from surveys.db import create_engine, session_factory

    engine = create_engine(sqlite_url)
    async with session_factory(engine)() as session:
        stored = sorted((await session.exec(select(Answer.text))).all())
        statuses = (
            await session.exec(select(Conversation.status).where(col(Conversation.campaign_id) == campaign.id))
        ).all()
    await engine.dispose()
    assert stored == sorted(text for answers in written for text in answers)  # each once, none lost
    assert list(statuses) == [ConversationStatus.completed.value] * PEOPLE
