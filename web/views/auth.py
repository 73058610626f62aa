"""Login (throttled, with a second step for two-factor users), logout, change password and the language switch."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from sqlmodel import select

from surveys.ids import pk
from surveys.models import StaffUser, Unit, utcnow
from web.access import current_user, require_user, sessions_of
from web.client_info import client_of
from web.i18n import DASHBOARD_LANGUAGES
from web.keys import SETTINGS
from web.passwords import hash_password, password_problem, verify_password
from web.render import page
from web.security import mark_session_changed, new_session, session_of
from web.staff_sessions import end_all_sessions, end_session, start_session
from web.throttle import ThrottleKey, attempt_succeeded, login_keys, reserve_attempt
from web.two_factor import has_totp, totp_required

PENDING_SECONDS = 600  # between a right password and the second step
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$")


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no //host, no backslash or control characters (also when decoded)."""
    if not target or not _SAFE_PATH.match(target):
        return "/campaigns"
    decoded = unquote(unquote(target))
    if decoded.startswith("//") or "\\" in decoded or any(ch < " " or ch == "\x7f" for ch in decoded):
        return "/campaigns"
    return target


async def login_form(request: web.Request) -> web.Response:
    if await current_user(request) is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return page(request, "login.html", {"next": safe_next(request.query.get("next")), "error": None, "email": ""})


def throttled_page(request: web.Request, template: str, wait: int, context: dict[str, Any]) -> web.Response:
    minutes = max(1, -(-wait // 60))
    response = page(request, template, {**context, "error": "login.throttled", "minutes": minutes}, status=429)
    response.headers["Retry-After"] = str(wait)
    return response


async def reserve(request: web.Request, keys: list[ThrottleKey]) -> int | None:
    async with sessions_of(request)() as session, session.begin():
        return await reserve_attempt(session, keys)


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    keys = login_keys(request.app[SETTINGS].secret_key, email, client_of(request).address)
    context = {"next": target, "email": email}
    wait = await reserve(request, keys)
    if wait is not None:
        return throttled_page(request, "login.html", wait, context)
    async with sessions_of(request)() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.email == email))).first()
        unit = await session.get(Unit, user.unit_id) if user is not None and user.unit_id else None
    # argon2 takes tens of milliseconds of CPU: off the event loop, so chats keep flowing meanwhile.
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return page(request, "login.html", {**context, "error": "login.failed"}, status=401)
    async with sessions_of(request)() as session, session.begin():
        await attempt_succeeded(session, keys)
    if has_totp(user) or totp_required(user, unit):
        data = session_of(request)
        data["pending"] = {"uid": user.id, "at": int(time.time()), "next": target}
        mark_session_changed(request)
        raise web.HTTPSeeOther("/login/two-factor" if has_totp(user) else "/account/two-factor")
    await complete_login(request, user)
    raise web.HTTPSeeOther(target)


def pending_user_id(request: web.Request) -> int | None:
    """The user who gave the right password and still owes the second step (for a few minutes)."""
    pending = session_of(request).get("pending")
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return int(pending["uid"]) if str(pending.get("uid", "")).isdigit() else None


def pending_next(request: web.Request) -> str:
    pending = session_of(request).get("pending") or {}
    return safe_next(pending.get("next") if isinstance(pending, dict) else None)


async def complete_login(request: web.Request, user: StaffUser) -> None:
    """A server-side session for this browser, in a fresh cookie (so nothing seen before login is worth anything)."""
    lang = session_of(request).get("lang")
    async with sessions_of(request)() as session, session.begin():
        token = await start_session(session, pk(user), request.headers.get("User-Agent", ""))
        row = await session.get_one(StaffUser, user.id)
        row.last_login_at = utcnow()
        session.add(row)
    data = new_session(request)
    data["sid"] = token
    if lang:
        data["lang"] = lang


async def logout(request: web.Request) -> web.Response:
    data = session_of(request)
    lang, token = data.get("lang"), data.get("sid")
    if isinstance(token, str):
        async with sessions_of(request)() as session, session.begin():
            await end_session(session, token)
    data = new_session(request)
    if lang:
        data["lang"] = lang
    raise web.HTTPSeeOther("/login")


async def password_form(request: web.Request) -> web.Response:
    await require_user(request)
    return page(request, "password.html", {"error": None, "done": request.query.get("done") == "1"})


async def change_password(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    current, new, repeat = (str(form.get(name, "")) for name in ("current", "new", "repeat"))
    error = None
    if not await asyncio.to_thread(verify_password, user.password_hash, current):
        error = "password.wrong_current"
    elif new != repeat:
        error = "password.mismatch"
    else:
        error = password_problem(new, (user.email.split("@")[0],))
    if error:
        return page(request, "password.html", {"error": error, "done": False}, status=400)
    async with sessions_of(request)() as session, session.begin():
        row = await session.get(StaffUser, user.id)
        if row is None:  # deleted meanwhile
            raise web.HTTPSeeOther("/login")
        row.password_hash = hash_password(new)
        session.add(row)
        await end_all_sessions(session, pk(user))
    await complete_login(request, user)
    raise web.HTTPSeeOther("/account/password?done=1")


async def set_language(request: web.Request) -> web.Response:
    form = await request.post()
    lang = str(form.get("language", "nb"))
    if lang not in DASHBOARD_LANGUAGES:
        raise web.HTTPBadRequest(text="400: unknown language")
    user = await current_user(request)
    if user is not None:
        async with sessions_of(request)() as session, session.begin():
            row = await session.get(StaffUser, user.id)
            if row is not None:
                row.language = lang
                session.add(row)
    session_of(request)["lang"] = lang
    mark_session_changed(request)
    raise web.HTTPSeeOther(safe_next(str(form.get("next", ""))))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/account/password", password_form)
    app.router.add_post("/account/password", change_password)
    app.router.add_post("/account/language", set_language)
