"""The composition root's bag of wired parts, built once per process from Settings and handed to whoever needs it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import create_engine, session_factory
from surveys.settings import Settings

if TYPE_CHECKING:
    from surveys.engine import ConversationEngine


@dataclass
class AppContext:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        db = create_engine(settings.database_url)
        return cls(settings, db, session_factory(db))

    @cached_property
    def conversations(self) -> ConversationEngine:
        """Built on first use: only the chat channels need it, and its import (de-identification, metrics) would
        otherwise be paid by every command."""
        from surveys.engine import ConversationEngine

        return ConversationEngine(self.sessions, secret_key=self.settings.secret_key)

    async def close(self) -> None:
        await self.db.dispose()
