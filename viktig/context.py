"""The composition root's bag of wired parts, built once per process from Settings and handed to whoever needs it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import create_engine, session_factory
from surveys.engine import ConversationEngine
from surveys.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    conversations: ConversationEngine

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        db = create_engine(settings.database_url)
        sessions = session_factory(db)
        return cls(settings, db, sessions, ConversationEngine(sessions, secret_key=settings.secret_key))

    async def close(self) -> None:
        await self.db.dispose()
