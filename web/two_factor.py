"""Two-factor login: TOTP codes (RFC 6238, computed by pyotp) and one-time recovery codes.

Admins must use it; staff and managers must when their unit requires it (Unit.requires_totp), and anyone may
turn it on. A code is accepted for the current 30-second step or one step either side (clock drift), and each
step only once per user: the accepted step is stored with a conditional UPDATE, so a code seen over someone's
shoulder, or sent twice in parallel, is refused the second time. Recovery codes are random, shown once and stored
as keyed hashes; using one marks it used in the same kind of conditional UPDATE.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, or_, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import affected_rows
from surveys.models import RecoveryCode, StaffUser, Unit, utcnow
from web.cookies import keyed_digest

ISSUER = "Viktig"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE = re.compile(r"^\d{6}$")


def totp_required(user: StaffUser, unit: Unit | None) -> bool:
    return user.role == "admin" or bool(unit is not None and unit.requires_totp)


def has_totp(user: StaffUser) -> bool:
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step (current or one either side) whose code this is, or None."""
    code = code.replace(" ", "").strip()
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def use_totp_code(session: AsyncSession, user: StaffUser, code: str) -> bool:
    """True once per time step: the step is recorded atomically, so a replayed code is refused."""
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code)
    if step is None:
        return False
    result = await affected_rows(
        session,
        update(StaffUser)
        .where(
            col(StaffUser.id) == user.id,
            or_(col(StaffUser.totp_last_step).is_(None), col(StaffUser.totp_last_step) < step),
        )
        .values(totp_last_step=step),
    )
    return result == 1


def looks_like_recovery_code(text: str) -> bool:
    return len(_normalise(text)) == 12


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def recovery_hash(secret_key: str, code: str) -> str:
    return keyed_digest(secret_key, "recovery-code", _normalise(code))


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


async def replace_recovery_codes(session: AsyncSession, secret_key: str, user_id: int) -> list[str]:
    """New codes (the old ones stop working); the caller shows them once, only their hashes are kept."""
    await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = new_recovery_codes()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=recovery_hash(secret_key, code)) for code in codes)
    return codes


async def use_recovery_code(session: AsyncSession, secret_key: str, user_id: int, code: str) -> bool:
    result = await affected_rows(
        session,
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user_id,
            col(RecoveryCode.code_hash) == recovery_hash(secret_key, code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow()),
    )
    return result == 1


async def remaining_recovery_codes(session: AsyncSession, user_id: int) -> int:
    from sqlalchemy import func, select

    return int(
        await session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None))
        )
        or 0
    )


async def reset_two_factor(session: AsyncSession, user: StaffUser) -> None:
    """An admin's reset for someone who lost the phone and the codes: they enrol again at the next login."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.add(user)
    await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
