"""The shared test factories: campaigns and counts made through the same functions production uses.

One home, so tests (tests/conftest.py, tests/bot, tests/web, tests/e2e) and benchmarks (bench/) build their data the
same way.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import add_unit, create_campaign, get_unit_by_name
from surveys.db import create_engine, session_factory
from surveys.models import Campaign

CAMPAIGN_NAME = "Hva er viktig for deg-dagen 2026"
UNIT_NAME = "Hjemmetjenesten Øst"


class CampaignFactory(Protocol):
    def __call__(self, name: str = ..., unit: str = ..., **options: Any) -> Awaitable[Campaign]: ...


async def make_campaign(
    sessions: async_sessionmaker[AsyncSession], name: str = CAMPAIGN_NAME, unit: str = UNIT_NAME, **options: Any
) -> Campaign:
    """A campaign in `unit` (created on first use), through the functions the CLI uses."""
    async with sessions() as session, session.begin():
        unit_row = await get_unit_by_name(session, unit) or await add_unit(session, unit)
        return await create_campaign(session, name=name, unit=unit_row, **options)


def campaign_factory(sessions: async_sessionmaker[AsyncSession]) -> CampaignFactory:
    """`make_campaign` bound to one database, as the `make_campaign` fixture hands it out."""

    async def factory(name: str = CAMPAIGN_NAME, unit: str = UNIT_NAME, **options: Any) -> Campaign:
        return await make_campaign(sessions, name, unit, **options)

    return factory


async def campaign_in(database_url: str, name: str = CAMPAIGN_NAME, unit: str = UNIT_NAME, **options: Any) -> Campaign:
    """A campaign in the database at `database_url` (for tests and benchmarks that hold a URL, not sessions)."""
    engine = create_engine(database_url)
    try:
        return await make_campaign(session_factory(engine), name, unit, **options)
    finally:
        await engine.dispose()


async def count(sessions: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> int:
    """How many rows of `model` match all of `where`."""
    async with sessions() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(await session.scalar(query) or 0)
