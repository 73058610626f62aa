"""Looking in the database itself, past the application: raw rows per table, and the SQLite file's bytes.

Privacy tests use these to check that erased or purged data is really gone, not only hidden from our queries.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

import surveys.models  # noqa: F401 - registers every table in the metadata


def table_names() -> list[str]:
    return [table.name for table in SQLModel.metadata.sorted_tables]


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on a plain driver connection (sqlite3 or psycopg), not through the application."""
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as connection:
            rows = connection.execute(sql, params).fetchall()
        connection.close()
        return rows
    import psycopg

    with psycopg.connect("postgresql://" + url.split("://", 1)[1], autocommit=True) as pg:
        statement = sql.replace("?", "%s") if params else sql
        cursor = pg.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    return {name: sorted(query(url, f'SELECT * FROM "{name}"'), key=repr) for name in table_names()}


def row_count(url: str, table: str, where: str = "1=1", params: tuple[Any, ...] = ()) -> int:
    return int(query(url, f'SELECT count(*) FROM "{table}" WHERE {where}', params)[0][0])


def sqlite_file_bytes(url: str, *, checkpoint: bool = True) -> dict[str, bytes]:
    """The database file and its -wal file, after (optionally) moving the WAL into the file and truncating it."""
    path = sqlite_path(url)
    if checkpoint:
        connection = sqlite3.connect(path)
        try:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0, "the checkpoint could not finish: a connection still holds an old snapshot"
        finally:
            connection.close()
    files = {}
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")):
        if candidate.exists():
            files[candidate.name] = candidate.read_bytes()
    return files


def texts_in(blobs: dict[str, bytes], texts: list[str]) -> dict[str, list[str]]:
    """Which of the texts occur (UTF-8, as SQLite stores them) in which file; empty when none does."""
    found: dict[str, list[str]] = {}
    for name, blob in blobs.items():
        hits = [text for text in texts if text.encode("utf-8") in blob]
        if hits:
            found[name] = hits
    return found
