"""Login throttling in the database, so it holds across processes and restarts.

Failed attempts are counted per account and per client address within a window; only keyed hashes of the e-mail
address and the IP address are stored.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import LoginAttempt, utcnow
from web.cookies import keyed_digest

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 10


def attempt_keys(secret: str, email: str, address: str) -> tuple[str, str]:
    return (
        f"account:{keyed_digest(secret, 'login-account', email.strip().lower())}",
        f"ip:{keyed_digest(secret, 'login-ip', address)}",
    )


async def is_throttled(session: AsyncSession, account_key: str, address_key: str) -> bool:
    since = utcnow() - WINDOW
    rows = await session.execute(
        select(col(LoginAttempt.key), func.count())
        .where(col(LoginAttempt.key).in_([account_key, address_key]), col(LoginAttempt.at) >= since)
        .group_by(col(LoginAttempt.key))
    )
    counts: dict[str, int] = {key: count for key, count in rows.all()}
    return counts.get(account_key, 0) >= MAX_PER_ACCOUNT or counts.get(address_key, 0) >= MAX_PER_ADDRESS


async def record_failure(session: AsyncSession, account_key: str, address_key: str) -> None:
    now = utcnow()
    session.add_all([LoginAttempt(key=account_key, at=now), LoginAttempt(key=address_key, at=now)])
    await session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < now - WINDOW * 4))


async def clear_account(session: AsyncSession, account_key: str) -> None:
    await session.execute(delete(LoginAttempt).where(col(LoginAttempt.key) == account_key))
