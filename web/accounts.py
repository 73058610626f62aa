"""Creating and resetting staff accounts; used by `viktig user add` and the admin page alike."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.errors import ViktigError
from surveys.ids import pk
from surveys.models import Area, StaffUser, Unit
from web.access import ROLES
from web.passwords import hash_password
from web.staff_sessions import end_all_sessions

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ViktigError):
    """The request cannot be carried out; `key` is the dashboard's catalogue key for the same problem."""

    def __init__(self, key: str, code: str, /, **params: Any) -> None:
        self.key = key
        super().__init__(code, **params)


async def find_user(session: AsyncSession, email: str) -> StaffUser | None:
    return (await session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower()))).first()


async def save_user(
    session: AsyncSession,
    *,
    email: str,
    role: str,
    unit: Unit | None,
    password: str,
    reset: bool = False,
    area: Area | None = None,
) -> tuple[StaffUser, bool]:
    """Create the account, or with reset=True set a new password (and role/unit/area) on an existing one.

    An area manager belongs to an area (and sees every unit under it); managers and staff to a unit.

    Returns the user and whether it was created.
    """
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError("users.bad_email", "account.bad_email", email=email)
    if role not in ROLES:
        raise AccountError("users.bad_role", "account.bad_role", roles=", ".join(ROLES))
    if role == "area_manager" and area is None:
        raise AccountError("users.need_area", "account.need_area")
    if role in ("staff", "manager") and unit is None:
        raise AccountError("users.need_unit", "account.need_unit")
    user = await find_user(session, email)
    if user is not None and not reset:
        raise AccountError("users.exists", "account.exists", email=email)
    created = user is None
    user = user or StaffUser(email=email, password_hash="", role=role)
    user.password_hash = hash_password(password)
    user.role = role
    user.unit_id = unit.id if unit and role != "area_manager" else None
    user.area_id = area.id if area and role == "area_manager" else None
    user.active = True
    session.add(user)
    await session.flush()
    if not created:  # a reset password ends every session that knew the old one
        await end_all_sessions(session, pk(user))
    return user, created
