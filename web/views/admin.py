"""Admin pages: units and users (a new user's generated password is shown once), and the access log.

Every change an admin makes here (users, units, roles, sessions, two-factor resets) and every look at the access
log itself is written to the access log, so admins are accountable too.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.areas import area_tree
from surveys.campaigns import CampaignError, add_unit
from surveys.ids import pk
from surveys.models import AccessLogEntry, Area, Campaign, StaffUser, Unit
from web.access import ROLES, require_user, sessions_of
from web.access_log_text import action_text, detail_text
from web.accounts import AccountError, save_user
from web.passwords import generate_password
from web.render import language_of, page
from web.staff_sessions import end_all_sessions
from web.two_factor import reset_two_factor

ACCESS_LOG_ROWS = 300


async def _users_context(session: AsyncSession) -> dict[str, Any]:
    users = (await session.exec(select(StaffUser).order_by(col(StaffUser.email)))).all()
    units = (await session.exec(select(Unit).order_by(col(Unit.name)))).all()
    nodes = await area_tree(session)
    return {
        "users": users,
        "units": units,
        "unit_names": {u.id: u.name for u in units},
        "roles": ROLES,
        "areas": nodes,
        "area_names": {node.area.id: node.label for node in nodes},
    }


async def users_page(request: web.Request) -> web.Response:
    await require_user(request, "admin")
    async with sessions_of(request)() as session:
        context = await _users_context(session)
    return page(request, "users.html", {**context, "error": None, "created": None, "notice": None})


async def add_user(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    form = await request.post()
    password = generate_password()
    error = None
    created = None
    try:
        async with sessions_of(request)() as session, session.begin():
            unit_id = str(form.get("unit_id", ""))
            unit = await session.get(Unit, int(unit_id)) if unit_id.isdigit() else None
            area_id = str(form.get("area_id", ""))
            area = await session.get(Area, int(area_id)) if area_id.isdigit() else None
            user, _ = await save_user(
                session,
                email=str(form.get("email", "")),
                role=str(form.get("role", "")),
                unit=unit,
                area=area,
                password=password,
            )
            created = {"email": user.email, "password": password}
            await record_access(
                session, actor=admin.email, action="add_user", campaign_id=None, detail=f"{user.email} role={user.role}"
            )
    except AccountError as problem:
        error = problem.key
    async with sessions_of(request)() as session:
        context = await _users_context(session)
    return page(request, "users.html", {**context, "error": error, "created": created}, status=400 if error else 200)


async def _user_or_404(session: AsyncSession, request: web.Request) -> StaffUser:
    user = await session.get(StaffUser, int(request.match_info["user"]))
    if user is None:
        raise web.HTTPNotFound(text="404: no such user.")
    return user


async def set_active(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    form = await request.post()
    async with sessions_of(request)() as session, session.begin():
        user = await _user_or_404(session, request)
        if user.id != admin.id:  # an admin cannot lock themselves out
            user.active = form.get("active") == "1"
            session.add(user)
            if not user.active:
                await end_all_sessions(session, pk(user))
            action = "activate_user" if user.active else "deactivate_user"
            await record_access(session, actor=admin.email, action=action, campaign_id=None, detail=user.email)
    raise web.HTTPSeeOther("/admin/users")


async def log_out_everywhere(request: web.Request) -> web.Response:
    """End every session of a user (a lost laptop, a shared password): they must log in again everywhere."""
    admin = await require_user(request, "admin")
    async with sessions_of(request)() as session, session.begin():
        user = await _user_or_404(session, request)
        ended = await end_all_sessions(session, pk(user))
        await record_access(
            session,
            actor=admin.email,
            action="log_out_everywhere",
            campaign_id=None,
            detail=f"{user.email} sessions={ended}",
        )
    async with sessions_of(request)() as session:
        context = await _users_context(session)
    notice = {"key": "users.logged_out", "email": user.email, "count": ended}
    return page(request, "users.html", {**context, "error": None, "created": None, "notice": notice})


async def reset_totp(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    async with sessions_of(request)() as session, session.begin():
        user = await _user_or_404(session, request)
        await reset_two_factor(session, user)
        await end_all_sessions(session, pk(user))
        await record_access(session, actor=admin.email, action="reset_two_factor", campaign_id=None, detail=user.email)
    raise web.HTTPSeeOther("/admin/users")


async def unit_two_factor(request: web.Request) -> web.Response:
    """Require two-factor login of a unit's staff and managers, or stop requiring it."""
    admin = await require_user(request, "admin")
    form = await request.post()
    async with sessions_of(request)() as session, session.begin():
        unit = await session.get(Unit, int(request.match_info["unit"]))
        if unit is None:
            raise web.HTTPNotFound(text="404: no such unit.")
        unit.requires_totp = form.get("required") == "1"
        session.add(unit)
        await record_access(
            session,
            actor=admin.email,
            action="unit_two_factor",
            campaign_id=None,
            detail=f"{unit.name} required={unit.requires_totp}",
        )
    raise web.HTTPSeeOther("/admin/users")


async def create_unit(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    form = await request.post()
    try:
        async with sessions_of(request)() as session, session.begin():
            unit = await add_unit(session, str(form.get("name", "")))
            await record_access(session, actor=admin.email, action="add_unit", campaign_id=None, detail=unit.name)
    except CampaignError as problem:  # the specific reason (empty name, name taken), in the reader's language
        async with sessions_of(request)() as session:
            context = await _users_context(session)
        reason = problem.message(language_of(request))
        return page(request, "users.html", {**context, "reason": reason, "created": None}, status=400)
    raise web.HTTPSeeOther("/admin/users")


async def set_min_group(request: web.Request) -> web.Response:
    """The unit's "minste gruppe" for small-number protection (1 turns it off; the default is 5)."""
    admin = await require_user(request, "admin")
    form = await request.post()
    value = str(form.get("min_group", "")).strip()
    async with sessions_of(request)() as session, session.begin():
        unit = await session.get(Unit, int(request.match_info["unit"]))
        if unit is None:
            raise web.HTTPNotFound(text="404: no such unit.")
        if not value.isdigit() or not 1 <= int(value) <= 100:
            context = await _users_context(session)
            return page(request, "users.html", {**context, "error": "users.bad_min_group", "created": None}, status=400)
        unit.min_group = int(value)
        session.add(unit)
        await record_access(session, actor=admin.email, action="unit_min_group", campaign_id=None, detail=unit.name)
    raise web.HTTPSeeOther("/admin/users")


async def access_log(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    async with sessions_of(request)() as session, session.begin():
        await record_access(session, actor=admin.email, action="view_access_log", campaign_id=None)
    async with sessions_of(request)() as session:
        entries = (
            await session.exec(select(AccessLogEntry).order_by(col(AccessLogEntry.id).desc()).limit(ACCESS_LOG_ROWS))
        ).all()
        ids = {entry.campaign_id for entry in entries if entry.campaign_id is not None}
        names = (
            dict((await session.exec(select(Campaign.id, Campaign.name).where(col(Campaign.id).in_(ids)))).all())
            if ids
            else {}
        )
    context = {"entries": entries, "names": names, "action_text": action_text, "detail_text": detail_text}
    return page(request, "access_log.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/users", users_page)
    app.router.add_post("/admin/users", add_user)
    app.router.add_post(r"/admin/users/{user:\d+}/active", set_active)
    app.router.add_post(r"/admin/users/{user:\d+}/logout", log_out_everywhere)
    app.router.add_post(r"/admin/users/{user:\d+}/two-factor-reset", reset_totp)
    app.router.add_post("/admin/units", create_unit)
    app.router.add_post(r"/admin/units/{unit:\d+}/two-factor", unit_two_factor)
    app.router.add_post(r"/admin/units/{unit:\d+}/min-group", set_min_group)
    app.router.add_get("/admin/access-log", access_log)
