"""Dashboard logins stored on the server (table staff_session), so ending one really ends it.

The signed cookie carries a random token; the table keeps only its SHA-256. A session is valid while its row
exists, it is younger than the absolute lifetime (VIKTIG_SESSION_LIFETIME_HOURS, 12 h by default) and was used
within the idle timeout (VIKTIG_SESSION_IDLE_MINUTES, 30 min). Logout deletes the row; a new password,
deactivation and an admin's "log out everywhere" delete all rows of the user, so a copied cookie is worthless.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import affected_rows
from surveys.models import StaffSession, as_utc, utcnow

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often, to spare SQLite's write lock
CLIENT_CHARS = 120


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, idle_minutes: int, lifetime_hours: int) -> SessionLimits:
        return cls(timedelta(minutes=idle_minutes), timedelta(hours=lifetime_hours))

    def alive(self, row: StaffSession, now: datetime) -> bool:
        return as_utc(row.created_at) > now - self.lifetime and as_utc(row.last_seen_at) > now - self.idle


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(session: AsyncSession, user_id: int, client: str) -> str:
    """A new login; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StaffSession(
            id=token_id(token), user_id=user_id, created_at=now, last_seen_at=now, client=client[:CLIENT_CHARS]
        )
    )
    return token


async def find_session(session: AsyncSession, token: str, limits: SessionLimits) -> StaffSession | None:
    row = await session.get(StaffSession, token_id(token))
    return row if row is not None and limits.alive(row, utcnow()) else None


def needs_touch(row: StaffSession, now: datetime) -> bool:
    return as_utc(row.last_seen_at) < now - TOUCH_EVERY


async def touch(session: AsyncSession, session_id: str, now: datetime) -> None:
    await session.execute(update(StaffSession).where(col(StaffSession.id) == session_id).values(last_seen_at=now))


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(StaffSession).where(col(StaffSession.id) == token_id(token)))


async def end_all_sessions(session: AsyncSession, user_id: int, *, keep_token: str | None = None) -> int:
    """Delete every session of the user (except the one of `keep_token`); returns how many ended."""
    statement = delete(StaffSession).where(col(StaffSession.user_id) == user_id)
    if keep_token is not None:
        statement = statement.where(col(StaffSession.id) != token_id(keep_token))
    result = await affected_rows(session, statement)
    return result


async def sessions_of_user(session: AsyncSession, user_id: int, limits: SessionLimits) -> Sequence[StaffSession]:
    rows = (
        await session.exec(
            select(StaffSession).where(StaffSession.user_id == user_id).order_by(col(StaffSession.last_seen_at).desc())
        )
    ).all()
    now = utcnow()
    return [row for row in rows if limits.alive(row, now)]


async def purge_expired(session: AsyncSession, limits: SessionLimits, now: datetime | None = None) -> int:
    now = now or utcnow()
    result = await affected_rows(
        session,
        delete(StaffSession).where(
            (col(StaffSession.created_at) <= now - limits.lifetime)
            | (col(StaffSession.last_seen_at) <= now - limits.idle)
        ),
    )
    return result
