"""`viktig db copy --from URL --to URL`: move every row from one database to another (SQLite -> PostgreSQL).

Why a copy command and not a dump: the two databases differ in types (SQLite stores naive timestamps, 0/1
booleans and JSON text), so rows go through SQLAlchemy's column types, which convert them. The copy keeps ids (links
in exports, references shown to respondents and the access log stay valid), runs in one target transaction (a
failure leaves the target as it was), resets PostgreSQL sequences so new rows get fresh ids, and checks the row
count of every table afterwards. The action is registered by viktig/commands/database.py (`viktig db copy`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, event, func, select, text
from sqlmodel import SQLModel

import surveys.models  # noqa: F401 - registers every table in SQLModel.metadata
from surveys.db import sync_url
from surveys.settings import Settings, SettingsError, normalise_database_url
from viktig import migrate
from viktig.cli import UserError

DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        return self.source == self.target


def add_copy_action(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Called by viktig/commands/database.py to add `viktig db copy`."""
    copy = actions.add_parser(
        "copy",
        help="copy every row to another database (e.g. SQLite to PostgreSQL) and verify row counts",
        description="Upgrade the target's schema, copy every table in foreign-key order keeping ids, reset "
        "PostgreSQL sequences, and compare row counts per table. Stop `viktig serve` and `viktig worker` first.",
    )
    copy.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="source database, e.g. sqlite:///viktig.db"
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="target database, e.g. postgresql://user@host/viktig"
    )
    copy.add_argument("--force", action="store_true", help="empty a target that already holds rows before copying")
    copy.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help=f"rows per insert batch (default {DEFAULT_BATCH})"
    )
    copy.set_defaults(handler=_copy, no_context=True)


async def _copy(args: argparse.Namespace, _settings: Settings) -> int:
    try:
        source, target = normalise_database_url(args.source), normalise_database_url(args.target)
    except SettingsError as error:
        raise UserError(str(error)) from error
    counts = copy_database(source, target, force=args.force, batch_size=max(1, args.batch_size), out=sys.stdout)
    mismatched = [count for count in counts if not count.matches]
    if mismatched:
        names = ", ".join(f"{c.table} (source {c.source}, target {c.target})" for c in mismatched)
        raise UserError(
            f"row counts differ after the copy: {names}. Do not switch to the target; "
            "check for writes to the source during the copy and run again with --force."
        )
    return 0


def copy_database(
    source_url: str, target_url: str, *, force: bool = False, batch_size: int = DEFAULT_BATCH, out: TextIO | None = None
) -> list[TableCount]:
    """Copy every table; returns source and target row counts per table (the caller decides what a mismatch means)."""
    if source_url == target_url:
        raise UserError("--from and --to are the same database")
    head = migrate.head_revision()
    try:
        source_revision = migrate.current_revision(source_url)
    except Exception as error:
        raise UserError(f"cannot open the source database ({type(error).__name__}: {error})") from error
    if source_revision != head:
        raise UserError(
            f"the source database is at schema {source_revision or 'none'}, not {head}: "
            "run `viktig db upgrade` on it first (DATABASE_URL=<source>)"
        )
    try:
        migrate.upgrade(target_url)
    except Exception as error:
        raise UserError(f"cannot prepare the target database ({type(error).__name__}: {error})") from error
    tables = list(SQLModel.metadata.sorted_tables)  # parents before children
    with _engine(source_url) as source_engine, _engine(target_url) as target_engine:
        with _snapshot(source_engine) as source:
            source_counts = {table.name: _count(source, table) for table in tables}
            with target_engine.begin() as target:
                existing = {table.name: _count(target, table) for table in tables}
                if any(existing.values()) and not force:
                    filled = ", ".join(f"{name} ({rows})" for name, rows in existing.items() if rows)
                    raise UserError(f"the target database already holds rows: {filled}. Use --force to empty it first.")
                for table in reversed(tables):
                    if existing[table.name]:
                        target.execute(table.delete())
                for table in tables:
                    copied = _copy_table(source, target, table, batch_size)
                    if out is not None:
                        print(f"copied {table.name}: {copied} rows", file=out, flush=True)
                if target.dialect.name == "postgresql":
                    _reset_sequences(target, tables)
        with target_engine.connect() as target:
            counts = [TableCount(table.name, source_counts[table.name], _count(target, table)) for table in tables]
    if out is not None:
        _print_counts(counts, out)
    return counts


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(sync_url(url), hide_parameters=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, so reads share one snapshot
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction on the source, so every table and its count come from the same moment."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _copy_table(source: Connection, target: Connection, table: Table, batch_size: int) -> int:
    """Insert in primary-key order; a column pointing into its own table is filled in afterwards."""
    self_refs = [column.name for column in table.columns if any(fk.column.table is table for fk in column.foreign_keys)]
    primary = list(table.primary_key.columns)
    result = source.execution_options(stream_results=True, yield_per=batch_size).execute(
        select(table).order_by(*primary)
    )
    copied = 0
    later: list[dict[str, Any]] = []
    for batch in result.mappings().partitions(batch_size):
        rows = [_portable(dict(row)) for row in batch]
        for row in rows:
            if any(row.get(name) is not None for name in self_refs):
                later.append(
                    {**{f"pk_{c.name}": row[c.name] for c in primary}, **{name: row[name] for name in self_refs}}
                )
                row.update({name: None for name in self_refs})
        target.execute(table.insert(), rows)
        copied += len(rows)
    if later:
        condition = [column == bindparam(f"pk_{column.name}") for column in primary]
        target.execute(table.update().where(*condition).values({name: bindparam(name) for name in self_refs}), later)
    return copied


def _portable(row: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands back naive timestamps; Viktig stores UTC everywhere, so say so before PostgreSQL reads them."""
    return {
        key: value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value
        for key, value in row.items()
    }


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Kept ids leave the sequences at 1; move each to the table's highest id so new rows do not collide."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence is None:
                continue
            highest = connection.execute(select(func.max(column))).scalar()
            connection.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": highest or 1, "called": highest is not None},
            )


def _print_counts(counts: list[TableCount], out: TextIO) -> None:
    width = max(len(count.table) for count in counts)
    print(f"{'table':<{width}}  {'source':>9}  {'target':>9}", file=out)
    for count in counts:
        flag = "" if count.matches else "  MISMATCH"
        print(f"{count.table:<{width}}  {count.source:>9}  {count.target:>9}{flag}", file=out)
    total = sum(count.target for count in counts)
    verdict = "row counts match" if all(count.matches for count in counts) else "ROW COUNTS DIFFER"
    print(f"{total} rows in {len(counts)} tables; {verdict}", file=out)
