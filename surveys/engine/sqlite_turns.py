"""SQLite: a whole turn in one hop to the database thread, on the pool's own connection.

Through aiosqlite every cursor, execute, fetch and close is its own hop to aiosqlite's thread and back (19 per
update). Here the turn's coroutine runs inside that same thread, on the same sqlite3 connection the async engine's
pool holds, through a synchronous SQLAlchemy engine lent that connection (`surveys.db.lent_sqlite_engine`): the
calls the turn makes complete at once (the facades give a synchronous Session or Connection the async methods the
engine uses, each finishing without suspending), so the coroutine is driven to its end with a single `send` and the
event loop waits for one future per turn.

It is the pool's connection, not a second one, for two reasons. Every setting on it reaches the turn: the pragmas
of `surveys.db.configure_sqlite_connection` and anything set on the connection later (a test's `max_page_count`
that fills the disk). And the turn waits for the connection in the pool's FIFO queue like every other writer in the
process (the delivery ledger, reminders, the dashboard), instead of meeting them in SQLite's busy handler, which
sleeps in growing steps while the lock is already free.

aiosqlite has no public call for "run this function in your thread" or "your sqlite3 connection"; `_execute` and
`_conn` are what its own methods use (SQLAlchemy's adapter uses its queue the same way). tests/surveys cover it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session

from surveys.db import lent_sqlite_engine

T = TypeVar("T")

_LENT_ENGINE = "viktig.lent_sqlite_engine"  # key in the pooled connection's `info`: (driver connection, engine)


class SessionFacade:
    """The AsyncSession methods the engine, `surveys.rights` and `surveys.campaigns` use, over a sync Session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def bind(self) -> Any:
        return self._session.get_bind()

    def get_bind(self) -> Any:
        return self._session.get_bind()

    def add(self, instance: Any) -> None:
        self._session.add(instance)

    def expunge(self, instance: Any) -> None:
        self._session.expunge(instance)

    async def exec(self, statement: Any, **kwargs: Any) -> Any:
        return self._session.exec(statement, **kwargs)

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self._session.execute(statement, params, **kwargs)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self._session.scalar(statement, params, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self._session.get(entity, ident, **kwargs)

    async def delete(self, instance: Any) -> None:
        self._session.delete(instance)

    async def flush(self) -> None:
        self._session.flush()


class ConnectionFacade:
    """The AsyncConnection methods a Core turn uses, over a sync Connection; `session()` is an ORM session in the
    same transaction, for the few steps that keep the ORM (an erasure)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> Any:
        return self._connection.dialect

    async def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._connection.execute(statement, parameters, **kwargs)

    async def scalar(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._connection.scalar(statement, parameters, **kwargs)

    async def scalars(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._connection.scalars(statement, parameters, **kwargs)

    def session(self) -> SessionFacade:
        return SessionFacade(Session(bind=self._connection, expire_on_commit=False))


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never waits; one that tries to wait is a bug here, and says so."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise RuntimeError("a SQLite turn tried to wait for something outside the database thread")


class SQLiteTurns:
    """Runs a turn in one transaction, in one hop to the thread of the pooled aiosqlite connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run_session(self, turn: Callable[[SessionFacade], Coroutine[Any, Any, T]]) -> T:
        return await self._hop(partial(_in_session, turn))

    async def run_connection(self, turn: Callable[[ConnectionFacade], Coroutine[Any, Any, T]]) -> T:
        return await self._hop(partial(_on_connection, turn))

    async def _hop(self, work: Callable[[Engine], T]) -> T:
        # The pool hands out its connection in turn (FIFO); checking it out and in again costs no hop (the pool
        # rolls back on return only a connection left in a transaction, `surveys.db`).
        async with self._engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            driver: aiosqlite.Connection | None = pooled.driver_connection
            assert driver is not None, "a checked-out connection has its driver connection"
            lent = pooled.info.get(_LENT_ENGINE)
            if lent is None or lent[0] is not driver:  # a new connection after an invalidated one
                lent = pooled.info[_LENT_ENGINE] = (driver, lent_sqlite_engine(driver._conn))
            result: T = await driver._execute(work, lent[1])
            return result


def _in_session(turn: Callable[[SessionFacade], Coroutine[Any, Any, T]], engine: Engine) -> T:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return run_to_end(turn(SessionFacade(session)))


def _on_connection(turn: Callable[[ConnectionFacade], Coroutine[Any, Any, T]], engine: Engine) -> T:
    with engine.connect() as connection, connection.begin():
        return run_to_end(turn(ConnectionFacade(connection)))


def one_hop_engine(bind: object) -> AsyncEngine | None:
    """The async engine whose turns can run in one hop: a SQLite database through aiosqlite."""
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite" and bind.dialect.driver == "aiosqlite":
        return bind
    return None
