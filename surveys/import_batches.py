"""Storing a validated import in chunks: a short transaction per few hundred rows, resumable after a crash.

One transaction for a 30 000-row file held SQLite's only write lock for the whole import (41-74 s in the outside
test), so a citizen's answer waited past the pool timeout and failed, and /readyz said 503. Here each chunk is its
own transaction, and the event loop gets a turn between chunks, so the web chat's turns slot in between.

A chunk's answers and the import's `stored_rows` are written in the same transaction, so the record always says
exactly how many of the file's rows (in file order) are stored. Uploading the same file again after a crash finds
the unfinished record by its fingerprint and stores only the rest: nothing is stored twice. The counter moves only
if it still has the value this worker read (`stored_rows = :start`), so two workers that both take over an import
cannot both store the same chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import affected_rows, lock_key
from surveys.import_columns import ImportProblem
from surveys.importer import AnswerImportError, PreparedImport, import_record, insert_answers
from surveys.models import AnswerImport, ImportStatus, as_utc, utcnow

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
# A running import writes its record at least once a chunk; one silent this long has lost its process.
STALE_AFTER = timedelta(seconds=60)

Progress = Callable[[int, int], Awaitable[None] | None]


async def begin_import(
    sessions: async_sessionmaker[AsyncSession], prepared: PreparedImport, *, actor: str
) -> AnswerImport:
    """The import's record: a new one, or the unfinished import of the same file, which then resumes.

    Raises AnswerImportError (`import_running`) while another worker is storing that same file.
    """
    async with sessions() as session, session.begin():
        await lock_key(session, f"import:{prepared.campaign_id}:{prepared.fingerprint}")
        unfinished = (
            await session.exec(
                select(AnswerImport)
                .where(
                    AnswerImport.campaign_id == prepared.campaign_id,
                    AnswerImport.fingerprint == prepared.fingerprint,
                    AnswerImport.total_rows == len(prepared.rows),
                    AnswerImport.status != ImportStatus.done.value,
                )
                .order_by(col(AnswerImport.id).desc())
            )
        ).first()
        now = utcnow()
        if unfinished is None:
            record = import_record(prepared, actor=actor)
            session.add(record)
            await session.flush()
            return record
        if unfinished.status == ImportStatus.running.value and as_utc(unfinished.updated_at) > now - STALE_AFTER:
            values = {"stored": unfinished.stored_rows, "total": unfinished.total_rows}
            raise AnswerImportError([ImportProblem("import_running", None, values)])
        log.info("import %s resumes at row %s of %s", unfinished.id, unfinished.stored_rows, unfinished.total_rows)
        unfinished.status, unfinished.updated_at, unfinished.actor = ImportStatus.running.value, now, actor
        return unfinished


@dataclass(frozen=True)
class _Chunk:
    stored: int  # rows of the file stored after this chunk (or, when not owned, what the record says)
    total: int
    owned: bool  # False: another worker took the import over, or it was stopped; nothing was stored


async def _store_next_chunk(
    sessions: async_sessionmaker[AsyncSession], prepared: PreparedImport, import_id: int, chunk_rows: int
) -> _Chunk:
    """One chunk's answers and the record's counter, in one short transaction."""
    async with sessions() as session, session.begin():
        record = await session.get_one(AnswerImport, import_id)
        start = record.stored_rows
        chunk = prepared.rows[start : start + chunk_rows]
        stored = start + len(chunk)
        finished = stored >= len(prepared.rows)
        now = utcnow()
        moved = await affected_rows(
            session,
            update(AnswerImport)
            .where(
                col(AnswerImport.id) == import_id,
                col(AnswerImport.stored_rows) == start,
                col(AnswerImport.status) == ImportStatus.running.value,
            )
            .values(
                stored_rows=stored,
                updated_at=now,
                status=(ImportStatus.done if finished else ImportStatus.running).value,
                finished_at=now if finished else None,
            ),
        )
        if moved != 1:
            return _Chunk(record.stored_rows, record.total_rows, owned=False)
        await insert_answers(session, chunk)
    return _Chunk(stored, len(prepared.rows), owned=True)


async def _let_chunk_end(step: asyncio.Future[_Chunk]) -> bool:
    """Wait for a chunk cut short by Ctrl-C or shutdown to end on its own; whether this worker still owns the import.

    A chunk cancelled half-way loses its connection with its transaction still open (SQLAlchemy invalidates a
    connection whose statement was cancelled), and on SQLite that transaction keeps the file's write lock until the
    process ends: marking the import interrupted then waited the whole busy timeout and failed, and the record said
    "running". A chunk takes well under a second, so Ctrl-C now waits for it.
    """
    with contextlib.suppress(Exception):
        return (await step).owned
    return True  # the chunk failed and rolled back: the import is still this worker's to mark


async def store_chunks(
    sessions: async_sessionmaker[AsyncSession],
    prepared: PreparedImport,
    import_id: int,
    *,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Progress | None = None,
) -> AnswerImport:
    """Store the rows the record does not have yet, `chunk_rows` a transaction; the finished record at the end.

    If this stops (an error, a cancelled task, Ctrl-C), it stops between chunks: a chunk under way is finished
    first, then the record is marked interrupted and says how many rows are stored; the same file uploaded again
    continues from there.
    """
    owned = True
    try:
        while True:
            step = asyncio.ensure_future(_store_next_chunk(sessions, prepared, import_id, chunk_rows))
            try:
                chunk = await asyncio.shield(step)
            except asyncio.CancelledError:
                owned = await _let_chunk_end(step)
                raise
            if not chunk.owned:  # another worker took the import over, or it was stopped
                owned = False
                values = {"stored": chunk.stored, "total": chunk.total}
                raise AnswerImportError([ImportProblem("import_running", None, values)])
            if on_progress is not None and (pending := on_progress(chunk.stored, chunk.total)) is not None:
                await pending
            if chunk.stored >= chunk.total:
                break
            await asyncio.sleep(0)  # the web chat's turns queue for the connection; let them have it first
    except BaseException:
        with contextlib.suppress(Exception):
            if owned:
                await mark_interrupted(sessions, import_id)
        raise
    async with sessions() as session:
        return await session.get_one(AnswerImport, import_id)


async def mark_interrupted(sessions: async_sessionmaker[AsyncSession], import_id: int) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(AnswerImport)
            .where(col(AnswerImport.id) == import_id, col(AnswerImport.status) == ImportStatus.running.value)
            .values(status=ImportStatus.interrupted.value, updated_at=utcnow())
        )


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    prepared: PreparedImport,
    *,
    actor: str,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Progress | None = None,
) -> tuple[AnswerImport, int]:
    """Begin (or resume) and store everything; the finished record and how many rows earlier runs had stored."""
    record = await begin_import(sessions, prepared, actor=actor)
    earlier = record.stored_rows
    assert record.id is not None
    done = await store_chunks(sessions, prepared, record.id, chunk_rows=chunk_rows, on_progress=on_progress)
    return done, earlier


async def unfinished_imports(session: AsyncSession, campaign_id: int) -> list[AnswerImport]:
    """Imports of this campaign that are running or stopped half-way, newest first (the entry page lists them)."""
    return list(
        (
            await session.exec(
                select(AnswerImport)
                .where(AnswerImport.campaign_id == campaign_id, AnswerImport.status != ImportStatus.done.value)
                .order_by(col(AnswerImport.id).desc())
            )
        ).all()
    )
