"""kill -9 of a real `viktig serve` in the middle of a campaign, then a restart: webhook and polling, SQLite and
PostgreSQL.

Telegram (the fake) delivers again every update it got no 2xx for (webhook) or that was not confirmed by the next
getUpdates offset (polling). The engine committed before answering, and a reply counts as delivered only once it is
recorded, so after the restart every update in flight is either processed or recognised as stored-but-unanswered and
its reply rebuilt. Nobody has to write /start again: a person who gets no reply within the time limit fails the test.
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
REPLY_WAIT = 40  # seconds: covers the restart (a few seconds) and the fake's retry back-off
ROOT = Path(__file__).resolve().parents[2]
VIKTIG = str(Path(sys.executable).with_name("viktig"))


def serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(os.environ.get("VIKTIG_TEST_SERVE_LOG", os.devnull), "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen([VIKTIG, "serve"], env=env, cwd=ROOT, stdout=log, stderr=log)


async def person(fake: FakeBotApi, chat_id: int, code: str) -> list[str]:
    """Acts on whatever the bot showed last; returns the answers it wrote (each written once)."""
    written: list[str] = []
    seen = 0

    async def act(update: dict[str, Any]) -> None:
        nonlocal seen
        await fake.push(update)
        try:
            await fake.wait_for_messages(chat_id, seen + 1, timeout=REPLY_WAIT)
        except TimeoutError as error:  # the person sits waiting: what this test must never see
            raise AssertionError(f"chat {chat_id} got no reply within {REPLY_WAIT} s") from error
        # A reply may be several messages: act only on the last one once the chat has been quiet for a moment.
        seen = len(fake.sent_messages(chat_id))
        while True:
            await asyncio.sleep(0.3)
            if len(fake.sent_messages(chat_id)) == seen:
                break
            seen = len(fake.sent_messages(chat_id))

    await act(fake.command(chat_id, "start", code))
    for _step in range(30):
        texts = [message["text"] for message in fake.sent_messages(chat_id)]
        last = texts[-1]
        if "referanse" in last.lower():
            assert any(t("nb", "done.thanks") in text for text in texts)  # the thanks and the reference both came
            return written
        if t("nb", "done.thanks") in last:  # the reference follows in a message of its own
            await fake.wait_for_messages(chat_id, len(texts) + 1, timeout=REPLY_WAIT)
            continue
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
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_kill_9_mid_campaign_and_restart_loses_nothing_and_leaves_nobody_waiting(
    database_url: str, mode: str
) -> None:
    campaign = await campaign_in(database_url)
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}"
    async with FakeBotApi(retry_delay=0.05, max_retry_delay=0.5, max_delivery_attempts=400) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
        env |= {
            "DATABASE_URL": database_url,
            "VIKTIG_SECRET_KEY": TEST_SECRET,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "VIKTIG_LOG_LEVEL": os.environ.get("VIKTIG_TEST_SERVE_LOG_LEVEL", "WARNING"),
        }
        if mode == "webhook":
            env["VIKTIG_PUBLIC_URL"] = url
        process = serve(env)
        try:
            await wait_until_ready(url, process, time.monotonic() + 90)  # a loaded machine starts slowly
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
            written = await asyncio.wait_for(people, timeout=180)
        finally:
            process.terminate()
            process.wait(timeout=120)  # SIGTERM waits for the analysis warm-up if one is running
        assert killed_at < PEOPLE * 7  # the kill really was mid-campaign
        if mode == "webhook":
            assert any(not isinstance(attempt.status, int) for attempt in fake.delivery_log)  # deliveries failed
        assert fake.dropped_updates == []
        assert fake.violations == []
        assert fake.unanswered_callbacks == set()
    from surveys.db import create_engine, session_factory

    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        stored = sorted((await session.exec(select(Answer.text))).all())
        statuses = (
            await session.exec(select(Conversation.status).where(col(Conversation.campaign_id) == campaign.id))
        ).all()
    await engine.dispose()
    assert stored == sorted(text for answers in written for text in answers)  # each once, none lost
    assert list(statuses) == [ConversationStatus.completed.value] * PEOPLE
