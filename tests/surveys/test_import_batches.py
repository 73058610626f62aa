"""Imports stored in chunks: validated first, a short transaction per chunk, resumed (never doubled) after a crash."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from surveys.deidentify import redact
from surveys.import_batches import begin_import, run_import, store_chunks, unfinished_imports
from surveys.importer import SEPARATE_PROCESS_BYTES, AnswerImportError, import_targets, prepare_import
from surveys.models import Answer, AnswerImport, Campaign, ImportStatus, utcnow
from surveys.retention import run_purge
from tests.support.factories import count


def cards(rows: int, *, bad_line: int | None = None) -> bytes:
    lines = ["Tekst;Språk"] + [f"Svar nummer {n};{'xx' if n + 1 == bad_line else 'nb'}" for n in range(1, rows + 1)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


async def prepared_file(sessions, campaign, raw: bytes):
    async with sessions() as session:
        targets = await import_targets(session, campaign)
    return await prepare_import(targets, raw, filename="kort.csv")


async def texts(sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.exec(select(Answer.text).order_by(col(Answer.id)))).all())


async def test_a_valid_file_is_stored_in_chunks_with_progress(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    prepared = await prepared_file(sessions, campaign, cards(1_200))
    seen: list[tuple[int, int]] = []
    record, earlier = await run_import(
        sessions, prepared, actor="test", chunk_rows=500, on_progress=lambda s, t: seen.append((s, t))
    )
    assert seen == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)] and earlier == 0
    assert (record.status, record.stored_rows, record.total_rows) == ("done", 1_200, 1_200)
    assert await texts(sessions) == [f"Svar nummer {n}" for n in range(1, 1_201)]


async def test_a_bad_row_anywhere_stores_nothing(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    async with sessions() as session:
        targets = await import_targets(session, campaign)
    with pytest.raises(AnswerImportError) as caught:
        await prepare_import(targets, cards(1_200, bad_line=1_150), filename="kort.csv")
    assert caught.value.problems == [
        "line 1150: unknown language 'xx' (use nb, nn, sv, en, or bokmål, nynorsk, svensk, engelsk)"
    ]
    assert await count(sessions, Answer) == 0 and await count(sessions, AnswerImport) == 0


async def test_an_import_stopped_half_way_resumes_and_stores_nothing_twice(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    prepared = await prepared_file(sessions, campaign, cards(1_200))

    def stop_after_two_chunks(stored: int, total: int) -> None:
        if stored == 1_000:
            raise KeyboardInterrupt  # Ctrl-C between chunks

    with pytest.raises(KeyboardInterrupt):
        await run_import(sessions, prepared, actor="test", chunk_rows=500, on_progress=stop_after_two_chunks)
    async with sessions() as session:
        (stopped,) = await unfinished_imports(session, campaign.id)
    assert (stopped.status, stopped.stored_rows) == (ImportStatus.interrupted.value, 1_000)
    assert await count(sessions, Answer) == 1_000

    again = await prepared_file(sessions, campaign, cards(1_200))
    record, earlier = await run_import(sessions, again, actor="test", chunk_rows=500)
    assert (record.id, record.status, earlier) == (stopped.id, "done", 1_000)
    assert await texts(sessions) == [f"Svar nummer {n}" for n in range(1, 1_201)]


async def test_ctrl_c_in_the_middle_of_a_chunk_lets_it_end_and_marks_the_import_at_once(
    sessions, db_engine: AsyncEngine, make_campaign
) -> None:
    """Cancelled half-way, a chunk's connection kept SQLite's write lock: the record stayed "running" after a 30 s
    wait. Now the chunk under way ends first, and the record says "interrupted" with exactly what is stored."""
    campaign = await make_campaign()
    prepared = await prepared_file(sessions, campaign, cards(2_000))
    record = await begin_import(sessions, prepared, actor="test")
    assert record.id is not None
    task = asyncio.ensure_future(store_chunks(sessions, prepared, record.id, chunk_rows=500))
    inserts = 0

    def ctrl_c_at_the_second_insert(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal inserts
        if statement.lstrip().upper().startswith("INSERT INTO ANSWER "):
            inserts += 1
            if inserts == 2:
                task.cancel()  # delivered at the statement's own await: in the middle of the transaction

    event.listen(db_engine.sync_engine, "before_cursor_execute", ctrl_c_at_the_second_insert)
    started = time.monotonic()
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", ctrl_c_at_the_second_insert)
    assert time.monotonic() - started < 10  # not the busy timeout (30 s)
    async with sessions() as session:
        stopped = await session.get_one(AnswerImport, record.id)
    assert stopped.status == ImportStatus.interrupted.value and 0 < stopped.stored_rows < 2_000
    assert await count(sessions, Answer) == stopped.stored_rows


async def test_a_killed_import_is_taken_over_only_once_it_has_gone_quiet(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    prepared = await prepared_file(sessions, campaign, cards(700))
    record = await begin_import(sessions, prepared, actor="killed process")  # never stored, status running
    with pytest.raises(AnswerImportError) as caught:
        await run_import(sessions, prepared, actor="too soon")
    assert "being imported right now (0 of 700 rows" in caught.value.problems[0]
    async with sessions() as session, session.begin():
        quiet = utcnow() - timedelta(minutes=2)
        await session.execute(update(AnswerImport).where(col(AnswerImport.id) == record.id).values(updated_at=quiet))
    resumed, _ = await run_import(sessions, prepared, actor="later")
    assert resumed.id == record.id and resumed.stored_rows == 700
    assert await count(sessions, Answer) == 700 and await count(sessions, AnswerImport) == 1


async def test_two_workers_on_one_import_store_each_chunk_once(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    prepared = await prepared_file(sessions, campaign, cards(2_000))
    record = await begin_import(sessions, prepared, actor="test")
    assert record.id is not None
    outcomes = await asyncio.gather(
        *(store_chunks(sessions, prepared, record.id, chunk_rows=100) for _ in range(2)), return_exceptions=True
    )
    assert any(isinstance(outcome, AnswerImport) for outcome in outcomes), outcomes
    assert sorted(await texts(sessions), key=lambda t: int(t.split()[-1])) == [
        f"Svar nummer {n}" for n in range(1, 2_001)
    ]


async def test_a_big_file_is_checked_in_a_process_of_its_own_with_the_same_result(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    raw = cards(20_000)
    assert len(raw) >= SEPARATE_PROCESS_BYTES
    async with sessions() as session:
        targets = await import_targets(session, campaign)
    elsewhere = await prepare_import(targets, raw, filename="kort.csv")
    here = await prepare_import(targets, raw, filename="kort.csv", redact=default_redact_here)
    assert (
        [r["text"] for r in elsewhere.rows]
        == [r["text"] for r in here.rows]
        == [f"Svar nummer {n}" for n in range(1, 20_001)]
    )
    assert elsewhere.fingerprint == here.fingerprint
    with pytest.raises(AnswerImportError) as caught:  # the reasons come back from the other process
        await prepare_import(targets, cards(20_000, bad_line=19_999), filename="kort.csv")
    assert [p.line for p in caught.value.reasons] == [19_999]


def default_redact_here(text: str, language: str) -> str:
    """The production de-identification, but not `is` the default, so the file is checked in this process."""
    return redact(text, language)


async def test_the_import_records_go_when_the_campaign_is_purged(sessions, make_campaign) -> None:
    campaign = await make_campaign(retention_months=1)
    await run_import(sessions, await prepared_file(sessions, campaign, cards(3)), actor="test")
    async with sessions() as session, session.begin():
        closed = utcnow() - timedelta(days=40)
        await session.execute(
            update(Campaign).where(col(Campaign.id) == campaign.id).values(status="closed", closed_at=closed)
        )
    await run_purge(sessions)
    assert await count(sessions, Answer) == 0 and await count(sessions, AnswerImport) == 0
