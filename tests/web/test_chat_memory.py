"""A flood of large web-chat messages cannot grow the server's memory: the transcript store stays within its bounds.

The outside test added 1.2 GB in 43 s by posting big texts (also refused ones, also to codes that do not exist).
Here up to 10 000 large messages go to the real server: to an unknown code, over-long ones the engine refuses, and
accepted ones from many visitors; the store must hold nothing for the first two and stay within its per-visit
and total byte bounds for the third.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from surveys.campaigns import add_unit, create_campaign
from surveys.engine import MAX_ANSWER_CHARS
from surveys.i18n import t
from surveys.settings import Settings
from tests.web.chat_visit import ChatVisit
from tests.web.conftest import Client
from viktig.context import AppContext
from viktig.migrate import upgrade
from viktig.server import create_app
from web.transcript import TranscriptStore
from web.views.chat import TRANSCRIPTS

VISIT_BYTES = 64 * 1024
TOTAL_BYTES = 1024 * 1024
# 1 000 messages by default (about a minute on a busy machine: each one is a database transaction);
# VIKTIG_FLOOD_SCALE=10 sends the 10 000 of the acceptance test (measured: see docs/privacy.md).
SCALE = int(os.environ.get("VIKTIG_FLOOD_SCALE", "1"))
COUNT_UNKNOWN, COUNT_TOO_LONG, COUNT_EACH = 400 * SCALE, 400 * SCALE, 5 * SCALE


@pytest.fixture
def memory_sqlite_url() -> Iterator[str]:
    """A SQLite file in RAM (/dev/shm when there is one): the flood measures memory, not the disk's fsync."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as directory:
        url = f"sqlite:///{directory}/flood.db"
        upgrade(url)
        yield url


@pytest.fixture
async def bounded_server(memory_sqlite_url: str) -> AsyncIterator[tuple[str, web.Application, AppContext]]:
    settings = Settings(
        database_url=memory_sqlite_url,
        secret_key="web-test-secret-0123456789abcdef",
        chat_transcript_visit_bytes=VISIT_BYTES,
        chat_transcript_total_bytes=TOTAL_BYTES,
        # The flood must reach the transcripts to test their bound, so the chat's rate limits are lifted here.
        chat_limit_per_visitor=1_000_000,
        chat_limit_per_address=1_000_000,
    )
    ctx = AppContext.create(settings)
    app = create_app(ctx, with_telegram=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", app, ctx
    finally:
        await runner.cleanup()
        await ctx.close()


def held_bytes(store: TranscriptStore) -> int:
    """The text bytes really held, counted independently of the store's own bookkeeping."""
    return sum(len(line.text.encode()) for transcript in store._visits.values() for line in transcript.lines)


async def flood(visit: ChatVisit, texts: list[str], gate: asyncio.Semaphore) -> None:
    for text in texts:
        async with gate:  # a few requests at a time: SQLite's single writer would otherwise time requests out
            await _post(visit, text)


async def _post(visit: ChatVisit, text: str) -> None:
    visit.texts.append(text[:1])
    response = await visit.client.post(
        f"/s/{visit.code}", {"text": text, "nonce": f"flood-{len(visit.texts)}"}, headers={"Accept": "application/json"}
    )
    assert response.status == 200, response.status
    await response.read()


@pytest.mark.slow
async def test_a_flood_of_large_messages_keeps_the_transcripts_bounded(bounded_server) -> None:
    base, app, ctx = bounded_server
    store = app[TRANSCRIPTS]
    async with ctx.sessions() as session, session.begin():
        unit = await add_unit(session, "Hjemmetjenesten Øst")
        campaign = await create_campaign(session, name="Flomtest", unit=unit, languages="nb")
    clients = [Client(base) for _ in range(40)]
    try:
        visits = [ChatVisit(client, campaign.code) for client in clients]
        for visit in visits:
            await visit.open()
            await visit.press(t("nb", "consent.yes"))
        big = "Å gå tur i skogen med hunden og drikke kaffe etterpå. " * 270  # ~15 000 characters, accepted
        too_long = "x" * (MAX_ANSWER_CHARS + 10_000)  # refused by the engine
        huge = "y" * 60_000
        stranger = ChatVisit(Client(base), "ukjentkode99")
        clients.append(stranger.client)
        await stranger.client.get("/s/" + campaign.code)  # a visitor cookie and CSRF token, then the wrong code
        gate = asyncio.Semaphore(4)
        jobs = [flood(stranger, [huge] * COUNT_UNKNOWN, gate), flood(visits[0], [too_long] * COUNT_TOO_LONG, gate)]
        jobs += [flood(visit, [f"{n} {big}" for n in range(COUNT_EACH)], gate) for visit in visits]  # 2 000 accepted
        await asyncio.gather(*jobs)
        sent = COUNT_UNKNOWN + COUNT_TOO_LONG + COUNT_EACH * len(visits)
        assert sent >= 1000
        assert "ukjentkode99" not in {code for _, code in store._visits}
        assert not any(too_long in line.text for tr in store._visits.values() for line in tr.lines)
        assert all(transcript.size <= VISIT_BYTES for transcript in store._visits.values())
        assert store.size <= TOTAL_BYTES and held_bytes(store) <= TOTAL_BYTES
        assert held_bytes(store) > TOTAL_BYTES // 2  # the accepted messages did fill it: the bound is what held
        print(
            f"\ntranscript store after {sent} messages: {store.size} bytes counted, {held_bytes(store)} bytes of text, "
            f"{len(store)} visits"
        )
    finally:
        for client in clients:
            await client.close()
