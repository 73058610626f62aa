"""Which VIKTIG_SECRET_KEY a database belongs to, so a changed key stops start-up instead of splitting the data.

Pseudonyms, erasure references and the webhook secret are HMACs under the key: with another key a returning person
becomes a stranger and their erasure reference no longer finds their answers, without any error. The database keeps
an HMAC of a constant under the key (never the key itself); every command that opens the database compares it.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import KeyFingerprint, utcnow

PURPOSE = "VIKTIG_SECRET_KEY"
_CONSTANT = b"viktig secret key fingerprint v1"


class SecretKeyMismatch(Exception):
    """The database was set up with another VIKTIG_SECRET_KEY; the message says what to do."""


def fingerprint(secret_key: str) -> str:
    """Identifies the key without revealing it (and without being usable as it)."""
    return hmac.new(secret_key.encode(), _CONSTANT, hashlib.sha256).hexdigest()[:32]


MISMATCH = (
    "VIKTIG_SECRET_KEY is not the key this database was set up with (its fingerprint differs). With another key "
    "returning people are not recognised and erasure references no longer match. Start with the original key; to "
    "change keys on purpose read 'Rotating VIKTIG_SECRET_KEY' in docs/deploy.md."
)


async def verify_secret_key(sessions: async_sessionmaker[AsyncSession], secret_key: str) -> bool:
    """Raise SecretKeyMismatch if the database belongs to another key; record the key on first use (True then)."""
    wanted = fingerprint(secret_key)
    async with sessions() as session:
        stored = await session.get(KeyFingerprint, PURPOSE)
    if stored is not None:
        if not hmac.compare_digest(stored.fingerprint, wanted):
            raise SecretKeyMismatch(MISMATCH)
        return False
    try:
        async with sessions() as session, session.begin():
            session.add(KeyFingerprint(purpose=PURPOSE, fingerprint=wanted))
    except IntegrityError:  # another process recorded it first: compare with that one
        return await verify_secret_key(sessions, secret_key)
    return True


async def accept_secret_key(sessions: async_sessionmaker[AsyncSession], secret_key: str) -> None:
    """Record this key as the database's key from now on (a deliberate rotation; see docs/deploy.md)."""
    async with sessions() as session, session.begin():
        stored = await session.get(KeyFingerprint, PURPOSE) or KeyFingerprint(purpose=PURPOSE, fingerprint="")
        stored.fingerprint = fingerprint(secret_key)
        stored.recorded_at = utcnow()
        session.add(stored)
