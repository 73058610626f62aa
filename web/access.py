"""Who is logged in, what their role allows, and which unit's campaigns they may see, checked on the server.

Roles are ordered: staff (create, open, close campaigns, enter answers) < manager (also read answers and themes,
export) < admin (also units, users, the access log; every unit). A campaign of another unit answers 404, so its
existence is not revealed.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Campaign, StaffUser
from web.keys import SESSIONS
from web.security import session_of

ROLES = ("staff", "manager", "admin")
USER: web.RequestKey[StaffUser | None] = web.RequestKey("web_user")


def role_at_least(user: StaffUser, role: str) -> bool:
    return ROLES.index(user.role) >= ROLES.index(role)


def password_fingerprint(user: StaffUser) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def sessions_of(request: web.Request) -> async_sessionmaker[AsyncSession]:
    return request.app[SESSIONS]


async def current_user(request: web.Request) -> StaffUser | None:
    if USER in request:
        return request[USER]
    data = session_of(request)
    user = None
    if "uid" in data:
        async with sessions_of(request)() as session:
            found = await session.get(StaffUser, int(data["uid"]))
        if found is not None and found.active and data.get("fp") == password_fingerprint(found):
            user = found
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
