"""Creating and resetting staff accounts; used by `viktig user add` and the admin page alike."""

from __future__ import annotations

import re

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import StaffUser, Unit
from web.access import ROLES
from web.passwords import hash_password
from web.staff_sessions import end_all_sessions

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """The request cannot be carried out; `key` is the dashboard catalogue key, the message is for the CLI."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


async def find_user(session: AsyncSession, email: str) -> StaffUser | None:
    return (await session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower()))).first()


async def save_user(
    session: AsyncSession, *, email: str, role: str, unit: Unit | None, password: str, reset: bool = False
) -> tuple[StaffUser, bool]:
    """Create the account, or with reset=True set a new password (and role/unit) on an existing one.

    Returns the user and whether it was created.
    """
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError("users.bad_email", f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError("users.bad_role", f"role must be one of {', '.join(ROLES)}")
    if role != "admin" and unit is None:
        raise AccountError("users.need_unit", "managers and staff need --unit")
    user = await find_user(session, email)
    if user is not None and not reset:
        raise AccountError("users.exists", f"a user {email} exists already (use --reset to set a new password)")
    created = user is None
    user = user or StaffUser(email=email, password_hash="", role=role)
    user.password_hash = hash_password(password)
    user.role = role
    user.unit_id = unit.id if unit else None
    user.active = True
    session.add(user)
    await session.flush()
    if not created:  # a reset password ends every session that knew the old one
        await end_all_sessions(session, user.id)  # type: ignore[arg-type]
    return user, created
