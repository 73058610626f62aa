"""The Alembic migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

from viktig.migrate import current_revision, downgrade, head_revision, schema_drift, upgrade


def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    assert current_revision(database_url) == head_revision()
    assert schema_drift(database_url) == []


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert schema_drift(database_url) == []


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    import asyncio

    from surveys.db import create_engine, ping

    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)

    async def touch() -> None:
        engine = create_engine(url)
        await ping(engine)
        await engine.dispose()

    asyncio.run(touch())
    with sqlite3.connect(tmp_path / "wal.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
