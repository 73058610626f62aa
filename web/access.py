"""Who is logged in, what their role allows, and which unit's campaigns they may see, checked on the server.

Roles are ordered: staff (create, open, close campaigns, enter answers) < manager (also read answers and themes,
export) < admin (also units, users, the access log; every unit). A campaign of another unit answers 404, so its
existence is not revealed.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Campaign, StaffUser, utcnow
from web.keys import SESSIONS, SETTINGS
from web.security import session_of
from web.staff_sessions import SessionLimits, find_session, needs_touch, touch

ROLES = ("staff", "manager", "admin")
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


def can_see(user: StaffUser, campaign: Campaign) -> bool:
    return user.role == "admin" or (user.unit_id is not None and user.unit_id == campaign.unit_id)


async def load_campaign(session: AsyncSession, user: StaffUser, campaign_id: str) -> Campaign:
    """The campaign if this user's unit owns it (admins: any); 404 otherwise, for missing and foreign alike."""
    campaign = await session.get(Campaign, int(campaign_id)) if campaign_id.isdigit() else None
    if campaign is None or not can_see(user, campaign):
        raise web.HTTPNotFound(text="404: no such campaign.")
    return campaign
