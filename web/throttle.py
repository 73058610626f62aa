"""Login throttling in the database, so it holds across processes and restarts, and cannot be raced.

Every attempt is counted *before* the password is checked, in one short transaction that locks the rows of its
keys (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers). So 40 parallel
guesses get at most the free attempts checked, whichever process they reach.

Keys are per (account, client address) and per client address, never per account alone: an attacker elsewhere
cannot lock a real user out. After the free attempts a key must wait, and each further failure doubles the wait
(exponential back-off, capped). Only keyed hashes of the e-mail address and the IP address are stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import LoginThrottle, as_utc, utcnow
from web.cookies import keyed_digest

FREE_PER_ACCOUNT_AND_ADDRESS = 5
FREE_PER_ADDRESS = 10
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
FORGET_AFTER = timedelta(minutes=15)  # failures this old, with no wait running, start again from zero


@dataclass(frozen=True)
class ThrottleKey:
    key: str
    free: int


def login_keys(secret: str, email: str, address: str, *, step: str = "password") -> list[ThrottleKey]:
    account = keyed_digest(secret, f"login-{step}", f"{email.strip().lower()}|{address}")
    return [
        ThrottleKey(f"{step}:{account}", FREE_PER_ACCOUNT_AND_ADDRESS),
        ThrottleKey(f"ip:{keyed_digest(secret, 'login-ip', address)}", FREE_PER_ADDRESS),
    ]


def wait_after(failures: int, free: int) -> timedelta:
    wait: timedelta = FIRST_WAIT * 2 ** max(failures - free, 0)
    return min(wait, LONGEST_WAIT)


async def _ensure_rows(session: AsyncSession, keys: list[str], now: datetime) -> None:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for key in keys:
        statement = insert(LoginThrottle).values(key=key, failures=0, updated_at=now)
        await session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


async def reserve_attempt(session: AsyncSession, keys: list[ThrottleKey], now: datetime | None = None) -> int | None:
    """Count one attempt on every key; None if it may go ahead, else the seconds until it may (nothing counted).

    Call it in a transaction of its own, before the (slow) password check, so the row locks are held briefly.
    """
    now = now or utcnow()
    free = {item.key: item.free for item in keys}
    names = sorted(free)  # one lock order for everyone: no deadlocks
    await _ensure_rows(session, names, now)
    rows = (
        await session.exec(
            select(LoginThrottle)
            .where(col(LoginThrottle.key).in_(names))
            .order_by(col(LoginThrottle.key))
            .with_for_update()
        )
    ).all()
    waits = [as_utc(row.blocked_until) - now for row in rows if row.blocked_until and as_utc(row.blocked_until) > now]
    if waits:
        return max(1, math.ceil(max(waits).total_seconds()))
    for row in rows:
        if row.blocked_until is None and as_utc(row.updated_at) < now - FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.updated_at = now
        row.blocked_until = now + wait_after(row.failures, free[row.key]) if row.failures >= free[row.key] else None
        session.add(row)
    return None


async def attempt_succeeded(session: AsyncSession, keys: list[ThrottleKey], now: datetime | None = None) -> None:
    """The right answer: forget the account's failures and take this attempt back from the address's count."""
    now = now or utcnow()
    account, *addresses = keys
    await session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == account.key))
    for item in addresses:
        row = (await session.exec(select(LoginThrottle).where(LoginThrottle.key == item.key).with_for_update())).first()
        if row is None:
            continue
        row.failures = max(row.failures - 1, 0)
        if row.failures < item.free:
            row.blocked_until = None
        row.updated_at = now
        session.add(row)
