"""Can the database take a write right now? And if not, a reason an operator can act on.

Reading is not enough: a SQLite file (or its -wal/-shm companions) without write permission opens, answers
SELECT 1, and then fails every message. The probe runs a real write statement and rolls it back.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

# A write that changes nothing and is rolled back anyway; the table always exists at the current schema.
_PROBE = text("UPDATE key_fingerprint SET fingerprint = fingerprint WHERE purpose = 'probe'")


class StorageProblem(Exception):
    """The database cannot store anything; `kind` is read-only | full | unreachable, the message says what to do."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


async def check_writable(engine: AsyncEngine, database_url: str) -> None:
    """Raise StorageProblem unless a write transaction on this database would go through."""
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                await connection.execute(_PROBE)
            finally:
                await transaction.rollback()
    except Exception as error:  # every failure becomes a reason; the type is kept
        raise describe(error, database_url) from error


def describe(error: BaseException, database_url: str) -> StorageProblem:
    """What a storage error means for the operator, without any data from the statement."""
    message = str(error.orig if isinstance(error, DBAPIError) else error).lower()
    if "readonly" in message or "read-only" in message or "read only" in message:
        return StorageProblem("read-only", read_only_reason(database_url))
    if "disk is full" in message or "no space" in message or "disk full" in message:
        return StorageProblem("full", "the disk holding the database is full: free space there, then retry")
    return StorageProblem("unreachable", f"the database cannot be reached ({type(error).__name__})")


def read_only_reason(database_url: str) -> str:
    if not database_url.startswith("sqlite:///"):
        return (
            "database is read-only: PostgreSQL refuses writes (a standby server, or default_transaction_read_only "
            "is on for this database or user)"
        )
    path = Path(database_url.removeprefix("sqlite:///").removeprefix("file:").split("?", 1)[0]).resolve()
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    blocked = [file.name for file in files if file.exists() and not os.access(file, os.W_OK)]
    if not os.access(path.parent, os.W_OK):
        blocked.append(f"{path.parent} (the directory)")
    found = f" (not writable now: {', '.join(blocked)})" if blocked else ""
    return (
        f"database is read-only: check the permissions of {path.name}, {path.name}-wal, {path.name}-shm and their "
        f"directory {path.parent}; the user running viktig must be able to write all of them{found}"
    )
