"""Shared fixtures: real databases (a SQLite file, a fresh PostgreSQL database) built by production code."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import add_unit, create_campaign
from surveys.db import create_engine, session_factory
from surveys.engine import ConversationEngine
from surveys.models import Campaign
from surveys.settings import Settings
from viktig.migrate import upgrade

TEST_SECRET = "test-secret-key-0123456789abcdef"


def _postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'viktig.db'}"
    upgrade(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, migrated to head, dropped afterwards."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL tests run in CI)")
    url = create_postgres_database(admin_url)
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(admin_url, url)


def create_postgres_database(admin_url: str) -> str:
    import psycopg

    name = f"viktig_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(admin_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psycopg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, secret_key=TEST_SECRET, host="127.0.0.1", port=8080)


@pytest.fixture
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(db_engine)


@pytest.fixture
def conversation_engine(sessions: async_sessionmaker[AsyncSession]) -> ConversationEngine:
    return ConversationEngine(sessions, secret_key=TEST_SECRET)


@pytest.fixture
def make_campaign(sessions: async_sessionmaker[AsyncSession]):
    """Create a unit (once) and a campaign through the same functions the CLI uses."""

    async def factory(
        name: str = "Hva er viktig for deg-dagen 2026", unit: str = "Hjemmetjenesten Øst", **options
    ) -> Campaign:
        async with sessions() as session, session.begin():
            from surveys.campaigns import get_unit_by_name

            unit_row = await get_unit_by_name(session, unit) or await add_unit(session, unit)
            return await create_campaign(session, name=name, unit=unit_row, **options)

    return factory
