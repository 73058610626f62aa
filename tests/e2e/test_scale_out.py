"""Two `viktig serve` processes on one PostgreSQL database behind the fake Telegram's webhook round-robin.

300 people answer at once, some updates arrive twice, and one process is killed with SIGKILL mid-run: every answer
must be stored exactly once, in each person's order, with nothing lost (Telegram redelivers to the other process).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from surveys.db import create_engine, session_factory
from surveys.models import Answer
from tests.bot.fixtures import campaign_in
from tests.conftest import TEST_SECRET
from tests.support.fake_bot_api import FakeBotApi
from tests.support.serve_cluster import ServeCluster, answer_survey

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

RESPONDENTS = 300
ANSWERS_EACH = 3
FIRST_CHAT = 7_000_001


def _answers(chat_id: int) -> list[str]:
    return [f"Svar {number} fra person {chat_id}: å være med familien" for number in range(1, ANSWERS_EACH + 1)]


async def _stored_answers(url: str) -> dict[int | None, list[str]]:
    engine = create_engine(url)
    by_conversation: dict[int | None, list[str]] = defaultdict(list)
    async with session_factory(engine)() as session:
        for answer in await session.exec(select(Answer).order_by(col(Answer.conversation_id), col(Answer.position))):
            by_conversation[answer.conversation_id].append(answer.text)
    await engine.dispose()
    return by_conversation


async def test_two_processes_300_respondents_duplicates_and_a_kill(postgres_url: str, tmp_path: Path) -> None:
    code = (await campaign_in(postgres_url, languages="nb")).code
    fake = FakeBotApi(
        retry_delay=0.05, max_retry_delay=0.5, max_delivery_attempts=200, duplicate_probability=0.1, seed=4
    )
    async with fake:
        # Telegram's 30 messages/s per bot would make this a test of patience; it tests correctness under load.
        cluster = ServeCluster(postgres_url, fake, 2, tmp_path, TEST_SECRET, extra_env={"TELEGRAM_SEND_RATE": "2000"})
        try:
            await cluster.start()
            chats = [FIRST_CHAT + index for index in range(RESPONDENTS)]
            # Patience, not a speed limit: with the suite on every core another test file shares the machine, and
            # replies then take longer than 8 s (hundreds were counted as missing); a cut-off reply still never comes.
            runs = [
                asyncio.create_task(answer_survey(fake, chat, code, _answers(chat), reply_timeout=30)) for chat in chats
            ]

            # Kill the second process once a third of all answers are in (mid-run: many updates in flight).
            third = RESPONDENTS * (2 + ANSWERS_EACH) // 3
            await fake.wait_until(
                lambda: sum(len(fake.sent_messages(chat)) for chat in chats) >= third,
                120,
                lambda: f"fewer than {third} messages sent before the kill",
            )
            cluster.kill(1)
            killed_at = len(fake.delivery_log)

            results = await asyncio.wait_for(asyncio.gather(*runs), timeout=150)
            await fake.wait_idle(timeout=60)
        except BaseException:
            print(cluster.logs())
            raise
        finally:
            codes = await cluster.stop()

    stored = await _stored_answers(postgres_url)
    expected = sorted(_answers(chat) for chat in chats)
    # Exactly once and in order: each conversation holds exactly its person's answers, in the order sent.
    assert sorted(stored.values()) == expected
    assert sum(len(texts) for texts in stored.values()) == RESPONDENTS * ANSWERS_EACH

    assert not fake.dropped_updates and not fake.violations
    delivered_ids = [entry.update_id for entry in fake.delivery_log if entry.status == 200]
    assert len(delivered_ids) - len(set(delivered_ids)) >= 50, "the fake should have delivered some updates twice"
    after_kill = fake.delivery_log[killed_at:]
    dead = cluster.processes[1].base_url
    assert any(entry.target.startswith(dead) and not isinstance(entry.status, int) for entry in after_kill), (
        "deliveries to the killed process failed"
    )
    # A person may miss a reply only for an update the killed process was handling when it died (it may have
    # committed the answer but not sent the reply; the redelivered update is then a duplicate and gets none).
    cut_off = {
        entry.update_id
        for entry in after_kill
        if entry.target.startswith(dead) and entry.status not in (200, "ClientConnectorError")
    }
    missing = sum(run.missing_replies for run in results)
    print(
        f"scale-out: {sum(r.updates for r in results)} updates, "
        f"{len(delivered_ids) - len(set(delivered_ids))} delivered twice, "
        f"{len(cut_off)} cut off by the kill, {missing} replies missing, statuses to the dead process after the kill: "
        f"{sorted({str(e.status) for e in after_kill if e.target.startswith(dead)})}"
    )
    assert missing <= len(cut_off)
    assert codes[0] == 0, "the surviving process shuts down cleanly on SIGTERM"


async def test_one_respondents_burst_split_over_two_processes_is_serialised(postgres_url: str) -> None:
    """Without waiting for replies, 40 people each send 10 answers spread over two engines (two pools, as two
    processes), some also redelivered to the other one at the same moment: each answer is stored once, and positions
    stay 1..10 with no gaps or repeats, which needs the per-respondent advisory lock across connections."""
    from surveys.engine import ConversationEngine
    from surveys.messages import Incoming, IncomingKind

    code = (await campaign_in(postgres_url, languages="nb")).code
    first, second = create_engine(postgres_url), create_engine(postgres_url)
    engines = [ConversationEngine(session_factory(db), secret_key=TEST_SECRET) for db in (first, second)]

    async def person(number: int) -> None:
        who: dict[str, Any] = {"channel": "telegram", "user_ref": str(9_000_000 + number), "language_hint": "nb"}
        started = await engines[0].handle(Incoming(kind=IncomingKind.command, command="start", argument=code, **who))
        consent = next(b.payload for m in started.messages for b in m.flat_buttons if b.label == "Ja, jeg vil svare")
        await engines[1].handle(Incoming(kind=IncomingKind.choice, payload=consent, **who))
        sends = []
        for index in range(10):
            message = Incoming(
                kind=IncomingKind.text,
                text=f"Person {number} svar {index}",
                update_key=f"burst:{number}:{index}",
                **who,
            )
            sends.append(engines[index % 2].handle(message))
            if index % 3 == 0:  # a redelivery racing the original, on the other process
                sends.append(engines[(index + 1) % 2].handle(message))
        replies = await asyncio.gather(*sends)
        assert sum(reply.duplicate for reply in replies) == 4

    try:
        await asyncio.gather(*(person(number) for number in range(40)))
    finally:
        await first.dispose()
        await second.dispose()
    engine = create_engine(postgres_url)
    async with session_factory(engine)() as session:
        answers = list(await session.exec(select(Answer)))
    await engine.dispose()
    by_conversation: dict[int | None, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_conversation[answer.conversation_id].append(answer)
    assert len(by_conversation) == 40 and len(answers) == 400
    for stored in by_conversation.values():
        assert sorted(answer.position for answer in stored) == list(range(1, 11))
        assert len({answer.text for answer in stored}) == 10


async def test_sigterm_finishes_in_flight_updates_and_a_new_process_takes_over(
    postgres_url: str, tmp_path: Path
) -> None:
    """A deploy: SIGTERM while 100 people are mid-survey. In-flight updates finish (answer stored and reply sent), so
    nobody misses a reply; the next process receives what Telegram still holds, and nothing is stored twice."""
    code = (await campaign_in(postgres_url, languages="nb")).code
    async with FakeBotApi(retry_delay=0.05, max_retry_delay=0.5, max_delivery_attempts=400) as fake:
        old = ServeCluster(
            postgres_url, fake, 1, tmp_path / "old", TEST_SECRET, extra_env={"TELEGRAM_SEND_RATE": "2000"}
        )
        new = ServeCluster(
            postgres_url, fake, 1, tmp_path / "new", TEST_SECRET, extra_env={"TELEGRAM_SEND_RATE": "2000"}
        )
        chats = [FIRST_CHAT + 10_000 + index for index in range(100)]
        try:
            await old.start()
            runs = [
                asyncio.create_task(answer_survey(fake, chat, code, _answers(chat), reply_timeout=30)) for chat in chats
            ]
            await fake.wait_until(
                lambda: sum(len(fake.sent_messages(chat)) for chat in chats) >= 150,
                120,
                lambda: "fewer than 150 messages sent before the rolling restart",
            )
            [exit_code] = await old.stop()  # SIGTERM, then wait
            await new.start()
            results = await asyncio.wait_for(asyncio.gather(*runs), timeout=90)
            await fake.wait_idle(timeout=30)
        except BaseException:
            print(old.logs(), new.logs())
            raise
        finally:
            await new.stop()
    assert exit_code == 0
    assert sum(run.missing_replies for run in results) == 0
    stored = await _stored_answers(postgres_url)
    assert sorted(stored.values()) == sorted(_answers(chat) for chat in chats)
