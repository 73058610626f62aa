"""Admin pages: units and users (a new user's generated password is shown once), and the access log."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import CampaignError, add_unit
from surveys.models import AccessLogEntry, Campaign, StaffUser, Unit
from web.access import ROLES, require_user, sessions_of
from web.access_log_text import action_text, detail_text
from web.accounts import AccountError, save_user
from web.passwords import generate_password
from web.render import language_of, page

ACCESS_LOG_ROWS = 300


async def _users_context(session: AsyncSession) -> dict[str, Any]:
    users = (await session.exec(select(StaffUser).order_by(col(StaffUser.email)))).all()
    units = (await session.exec(select(Unit).order_by(col(Unit.name)))).all()
    return {"users": users, "units": units, "unit_names": {u.id: u.name for u in units}, "roles": ROLES}


async def users_page(request: web.Request) -> web.Response:
    await require_user(request, "admin")
    async with sessions_of(request)() as session:
        context = await _users_context(session)
    return page(request, "users.html", {**context, "error": None, "created": None})


async def add_user(request: web.Request) -> web.Response:
    await require_user(request, "admin")
    form = await request.post()
    password = generate_password()
    error = None
    created = None
    try:
        async with sessions_of(request)() as session, session.begin():
            unit_id = str(form.get("unit_id", ""))
            unit = await session.get(Unit, int(unit_id)) if unit_id.isdigit() else None
            user, _ = await save_user(
                session, email=str(form.get("email", "")), role=str(form.get("role", "")), unit=unit, password=password
            )
            created = {"email": user.email, "password": password}
    except AccountError as problem:
        error = problem.key
    async with sessions_of(request)() as session:
        context = await _users_context(session)
    return page(request, "users.html", {**context, "error": error, "created": created}, status=400 if error else 200)


async def set_active(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    form = await request.post()
    async with sessions_of(request)() as session, session.begin():
        user = await session.get(StaffUser, int(request.match_info["user"]))
        if user is None:
            raise web.HTTPNotFound(text="404: no such user.")
        if user.id != admin.id:  # an admin cannot lock themselves out
            user.active = form.get("active") == "1"
            session.add(user)
    raise web.HTTPSeeOther("/admin/users")


async def create_unit(request: web.Request) -> web.Response:
    await require_user(request, "admin")
    form = await request.post()
    try:
        async with sessions_of(request)() as session, session.begin():
            await add_unit(session, str(form.get("name", "")))
    except CampaignError as problem:  # the specific reason (empty name, name taken), in the reader's language
        async with sessions_of(request)() as session:
            context = await _users_context(session)
        reason = problem.message(language_of(request))
        return page(request, "users.html", {**context, "reason": reason, "created": None}, status=400)
    raise web.HTTPSeeOther("/admin/users")


async def set_min_group(request: web.Request) -> web.Response:
    """The unit's "minste gruppe" for small-number protection (1 turns it off; the default is 5)."""
    await require_user(request, "admin")
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
    raise web.HTTPSeeOther("/admin/users")


async def access_log(request: web.Request) -> web.Response:
    await require_user(request, "admin")
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
    app.router.add_post("/admin/units", create_unit)
    app.router.add_post(r"/admin/units/{unit:\d+}/min-group", set_min_group)
    app.router.add_get("/admin/access-log", access_log)
