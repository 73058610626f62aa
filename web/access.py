"""Who is logged in, what their role allows, and which unit's campaigns they may see, checked on the server.

Roles are ordered: staff (create, open, close campaigns, enter answers) < manager (also read answers and themes,
export) < area_manager ("leder for område": a manager of every unit under an area, however deep, with the area's
campaigns and roll-ups) < admin (also units, areas, users, the access log; every unit). Which units a user may see is
decided in one place, `unit_scope`; a campaign outside it answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import false, true
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.areas import all_areas, descendants, unit_ids_under
from surveys.models import Campaign, StaffUser, utcnow
from web.keys import SESSIONS, SETTINGS
from web.security import session_of
from web.staff_sessions import SessionLimits, find_session, needs_touch, touch

ROLES = ("staff", "manager", "area_manager", "admin")
USER: web.RequestKey[StaffUser | None] = web.RequestKey("web_user")


def role_at_least(user: StaffUser, role: str) -> bool:
    return ROLES.index(user.role) >= ROLES.index(role)


def sessions_of(request: web.Request) -> async_sessionmaker[AsyncSession]:
    return request.app[SESSIONS]


def session_limits(request: web.Request) -> SessionLimits:
    settings = request.app[SETTINGS]
    return SessionLimits.of(settings.session_idle_minutes, settings.session_lifetime_hours)


async def current_user(request: web.Request) -> StaffUser | None:
    """The user of this request's server-side session (see web.staff_sessions), or None."""
    if USER in request:
        return request[USER]
    token = session_of(request).get("sid")
    user = None
    if isinstance(token, str):
        async with sessions_of(request)() as session:
            row = await find_session(session, token, session_limits(request))
            found = await session.get(StaffUser, row.user_id) if row is not None else None
        if row is not None and found is not None and found.active:
            user = found
            now = utcnow()
            if needs_touch(row, now):
                async with sessions_of(request)() as session, session.begin():
                    await touch(session, row.id, now)
    request[USER] = user
    return user


async def require_user(request: web.Request, role: str = "staff") -> StaffUser:
    user = await current_user(request)
    if user is None:
        target = request.path_qs if request.method == "GET" else "/campaigns"
        raise web.HTTPSeeOther(f"/login?next={quote(target)}")
    if not role_at_least(user, role):
        raise web.HTTPForbidden(text="403: your role does not allow this page.")
    return user


@dataclass(frozen=True)
class UnitScope:
    """The units a user may see: every unit (admins), or a set (their unit; an area manager's units under the area)."""

    everything: bool
    unit_ids: frozenset[int]

    def allows(self, unit_id: int | None) -> bool:
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)

    def where(self, column: Any) -> Any:
        """A WHERE clause limiting `column` (a unit id column) to this scope."""
        if self.everything:
            return true()
        return col(column).in_(sorted(self.unit_ids)) if self.unit_ids else false()


async def unit_scope(session: AsyncSession, user: StaffUser) -> UnitScope:
    """The one answer to "which units may this user see": admins all; an area manager every unit under the area (at
    any depth, as the tree is now); everyone else their own unit."""
    if user.role == "admin":
        return UnitScope(True, frozenset())
    if user.role == "area_manager":
        ids = await unit_ids_under(session, user.area_id) if user.area_id is not None else set()
        return UnitScope(False, frozenset(ids))
    return UnitScope(False, frozenset({user.unit_id} if user.unit_id is not None else ()))


async def area_scope(session: AsyncSession, user: StaffUser) -> set[int] | None:
    """The areas whose pages (area campaigns, roll-ups) a user may open: None for every area (admins), an area
    manager's area and the areas under it, and none for other roles."""
    if user.role == "admin":
        return None
    if user.role == "area_manager" and user.area_id is not None:
        return descendants(await all_areas(session), user.area_id)
    return set()


async def load_campaign(session: AsyncSession, user: StaffUser, campaign_id: str) -> Campaign:
    """The campaign if it belongs to a unit in this user's scope; 404 otherwise, for missing and foreign alike."""
    campaign = await session.get(Campaign, int(campaign_id)) if campaign_id.isdigit() else None
    if campaign is None or not (await unit_scope(session, user)).allows(campaign.unit_id):
        raise web.HTTPNotFound(text="404: no such campaign.")
    return campaign
