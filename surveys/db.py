"""Database engines and sessions for SQLite (embedded default) and PostgreSQL (several processes)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Engine, Insert, Update, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState, StaticPool
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_POOL_RECYCLE_SECONDS = 600


def async_url(database_url: str) -> str:
    """Map the sync URL from settings to the async driver we use for it."""
    if database_url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + database_url.removeprefix("sqlite://")
    if database_url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + database_url.removeprefix("postgresql://")
    return database_url


def sync_url(database_url: str) -> str:
    """The synchronous driver URL, for Alembic and scripts (psycopg for PostgreSQL)."""
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, durable commits, a busy timeout and writer-serialising transactions."""
    url = async_url(database_url)
    kwargs.setdefault("hide_parameters", True)  # answer text must never reach a log or a traceback
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:" and not path.startswith("file:"):  # file: URIs name existing files
            private_sqlite_file(path)
        # Every transaction takes SQLite's single write lock (BEGIN IMMEDIATE below). Several pooled connections
        # would wait for it in SQLite's busy handler, which sleeps in growing steps of up to 100 ms while the lock
        # is already free: at 50 concurrent respondents that was most of the latency. One connection makes the
        # pool's queue the wait line instead: FIFO, woken the moment the previous transaction ends. Other
        # processes (a CLI command beside `viktig serve`) still meet the busy timeout.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        # Rolled back on return only when in a transaction (`_roll_back_if_in_transaction`).
        kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine.sync_engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # No pre-ping (three round trips on every checkout): connections are recycled before servers or proxies drop
    # them, and the engine retries a turn whose connection turns out dead (`ConversationEngine.handle`).
    kwargs.setdefault("pool_recycle", POSTGRES_POOL_RECYCLE_SECONDS)
    return create_async_engine(url, **kwargs)


def private_sqlite_file(path: str) -> None:
    """Create the database file readable by its owner only (0600) before SQLite opens it, and tighten an old one.

    SQLite gives its -wal and -shm files the database file's permissions, so they follow.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # an existing file is never opened here: it may be read-only
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for companion in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        if companion.exists() and (mode := companion.stat().st_mode) & 0o077:
            companion.chmod(mode & 0o700)  # drop group and other bits only: a read-only file stays read-only


def configure_sqlite_connection(dbapi_connection: Any) -> None:
    """Everything a SQLite connection needs before its first statement, in one place.

    It runs once per connection the async engine's pool opens. A turn that runs in one thread hop
    (`surveys.engine.sqlite_turns`) runs on that same pooled connection, so it has every one of these settings and
    every setting made on the connection later (the full-disk test's `max_page_count`), with no second copy.
    """
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see `_begin_immediate`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # durable against a power cut, not only a crash
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # erased answers are overwritten, not left in free pages
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so read-then-write transactions wait instead of failing with
    # "database is locked" when another connection commits in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _roll_back_if_in_transaction(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
    """A connection goes back to the pool rolled back, but only if it is in a transaction (sqlite3 knows without a
    trip to the database thread): a turn run in one thread hop has committed there already, and the pool's
    unconditional rollback would be a second hop for nothing."""
    if not state.asyncio_safe or state.transaction_was_reset:
        return
    driver = record.driver_connection if record is not None else None
    if driver is None or driver.in_transaction:
        dbapi_connection.rollback()


def _configure_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", lambda dbapi_connection, _record: configure_sqlite_connection(dbapi_connection))
    event.listen(engine, "begin", _begin_immediate)
    event.listen(engine, "reset", _roll_back_if_in_transaction)


class _Lent:
    """The pool's sqlite3 connection as seen by a synchronous engine during a turn: closing it leaves it open,
    because the async engine's pool owns it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def lent_sqlite_engine(connection: sqlite3.Connection) -> Engine:
    """A synchronous engine whose one connection is `connection`, a sqlite3 connection the async engine's pool
    opened and configured (`configure_sqlite_connection`), for running a whole turn inside aiosqlite's thread.

    Nothing is configured again here but the BEGIN IMMEDIATE hook, which belongs to SQLAlchemy's transactions
    rather than to the connection.
    """
    lent = _Lent(connection)
    engine = create_sync_engine("sqlite://", creator=lambda: lent, poolclass=StaticPool, hide_parameters=True)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def lock_number(key: str) -> int:
    """The PostgreSQL advisory-lock number of a key (a respondent's pseudonym, an import)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


async def lock_key(session: AsyncSession, key: str) -> None:
    """Serialise work on one key (a respondent) across processes until the transaction ends.

    PostgreSQL uses a transaction-scoped advisory lock; on SQLite the transaction already holds the single
    write lock (BEGIN IMMEDIATE), which serialises everything.
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_number(key)})


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def affected_rows(session: AsyncSession, statement: Delete | Update | Insert) -> int:
    """Run a bulk DELETE, UPDATE or INSERT ... SELECT and return how many rows it touched.

    SQLModel's `execute()` is typed as returning a plain `Result`; for DML it is a `CursorResult`, which has the count.
    """
    result = cast("CursorResult[Any]", await session.execute(statement))
    return int(result.rowcount or 0)
