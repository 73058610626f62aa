"""SQLite: a whole turn in one hop to the database thread.

Through aiosqlite every cursor, execute, fetch and close is its own hop to aiosqlite's thread and back (19-29 per
update). Here the turn's coroutine runs inside one dedicated database thread on a synchronous connection to the
same file: the ORM calls it makes complete at once (`SessionFacade` gives a synchronous Session the AsyncSession
methods the engine uses, each finishing without suspending), so the coroutine is driven to its end with a single
`send` and the event loop waits for one future per turn. SQLite has one writer at a time anyway; the thread is
that writer's queue.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlmodel import Session

T = TypeVar("T")


class SessionFacade:
    """The AsyncSession methods the engine, `surveys.rights` and `surveys.campaigns` use, over a sync Session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def bind(self) -> Any:
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
    """One database thread and one connection; `run` executes a turn in one transaction there."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="viktig-sqlite")
        weakref.finalize(self, _close, self._thread, engine)

    async def run(self, turn: Callable[[SessionFacade], Coroutine[Any, Any, T]]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, turn)

    async def run_connection(self, turn: Callable[[ConnectionFacade], Coroutine[Any, Any, T]]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._on_connection, turn)

    def _on_connection(self, turn: Callable[[ConnectionFacade], Coroutine[Any, Any, T]]) -> T:
        with self._engine.connect() as connection, connection.begin():
            return run_to_end(turn(ConnectionFacade(connection)))

    def _run(self, turn: Callable[[SessionFacade], Coroutine[Any, Any, T]]) -> T:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            return run_to_end(turn(SessionFacade(session)))


def _close(thread: ThreadPoolExecutor, engine: Engine) -> None:
    thread.shutdown(wait=False)
    engine.dispose()
