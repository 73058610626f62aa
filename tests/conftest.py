"""Shared fixtures: real databases (a SQLite file, a fresh PostgreSQL database) built by production code.

Every test gets its own database, migrated to head by the real migrations, but the migrations run once per test
session: into a template SQLite file that each test copies (a file copy takes well under a millisecond), and into a
template PostgreSQL database that each test's database is created from (`CREATE DATABASE ... TEMPLATE`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import create_engine, session_factory
from surveys.engine import ConversationEngine
from surveys.settings import Settings
from tests.support.databases import TEST_SECRET as TEST_SECRET  # re-exported: tests import these from here
from tests.support.databases import create_postgres_database as create_postgres_database
from tests.support.databases import drop_postgres_database as drop_postgres_database
from tests.support.factories import CampaignFactory, campaign_factory
from viktig.logging_setup import remove_logging
from viktig.migrate import upgrade


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow or browser tests run first. `make test` hands whole files to its workers (--dist loadfile)
    in this order, so a long file handed out last keeps one core busy while the other idles; longest-first keeps
    the end of the run to short files. A stable sort: each file's tests stay together and in their order."""
    heavy = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in heavy)


@pytest.fixture(autouse=True)
def _no_viktig_logging_left_behind() -> Iterator[None]:
    """A test that runs `viktig` in-process (viktig.cli.main) gets the production logging set-up; undo it after the
    test, or its redaction filter stays on pytest's log handlers and rewrites the records of later tests."""
    yield
    remove_logging()


def _postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, checkpointed so that the one file holds everything."""
    path = tmp_path_factory.mktemp("template") / "viktig.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "viktig.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per session; tests' databases are created from it."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL tests run in CI)")
    url = create_postgres_database(admin_url)
    try:
        upgrade(url)  # its engine is disposed afterwards: a template must have no open connections
        yield url
    finally:
        drop_postgres_database(admin_url, url)


@pytest.fixture(scope="session")
def database_dropper() -> Iterator[ThreadPoolExecutor]:
    """Drops test databases in the background (a DROP takes up to a second); the session waits for all at its end."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database") as dropper:
        yield dropper


@pytest.fixture
def postgres_url(postgres_template: str, database_dropper: ThreadPoolExecutor) -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, migrated to head (a copy of the template), dropped afterwards."""
    admin_url = _postgres_admin_url()
    assert admin_url is not None
    url = create_postgres_database(admin_url, template=postgres_template)
    try:
        yield url
    finally:
        database_dropper.submit(drop_postgres_database, admin_url, url)


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
def make_campaign(sessions: async_sessionmaker[AsyncSession]) -> CampaignFactory:
    """Create a unit (once) and a campaign through the same functions the CLI uses."""
    return campaign_factory(sessions)
