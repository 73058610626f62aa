"""Login (throttled), logout, change password and the dashboard language switch."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import select

from surveys.models import StaffUser, utcnow
from web.access import current_user, password_fingerprint, require_user, sessions_of
from web.i18n import DASHBOARD_LANGUAGES
from web.keys import SETTINGS
from web.passwords import hash_password, password_problem, verify_password
from web.render import page
from web.security import mark_session_changed, new_session, session_of
from web.throttle import attempt_keys, clear_account, is_throttled, record_failure


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/campaigns"


async def login_form(request: web.Request) -> web.Response:
    if await current_user(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    return page(request, "login.html", {"next": _safe_next(request.query.get("next")), "error": None, "email": ""})


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    secret = request.app[SETTINGS].secret_key
    account_key, address_key = attempt_keys(secret, email, request.remote or "unknown")
    async with sessions_of(request)() as session, session.begin():
        if await is_throttled(session, account_key, address_key):
            return page(request, "login.html", {"next": target, "error": "login.throttled", "email": email}, status=429)
        user = (await session.exec(select(StaffUser).where(StaffUser.email == email))).first()
        ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
        if not ok or user is None:
            await record_failure(session, account_key, address_key)
        else:
            await clear_account(session, account_key)
            user.last_login_at = utcnow()
            session.add(user)
    if not ok or user is None:
        return page(request, "login.html", {"next": target, "error": "login.failed", "email": email}, status=401)
    data = new_session(request)
    data.update(uid=user.id, fp=password_fingerprint(user))
    raise web.HTTPSeeOther(target)


async def logout(request: web.Request) -> web.Response:
    lang = session_of(request).get("lang")
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
    if not verify_password(user.password_hash, current):
        error = "password.wrong_current"
    elif new != repeat:
        error = "password.mismatch"
    else:
        error = password_problem(new)
    if error:
        return page(request, "password.html", {"error": error, "done": False}, status=400)
    async with sessions_of(request)() as session, session.begin():
        row = await session.get(StaffUser, user.id)
        if row is None:  # deleted meanwhile
            raise web.HTTPSeeOther("/login")
        row.password_hash = hash_password(new)
        session.add(row)
        fingerprint = password_fingerprint(row)
    data = new_session(request)
    data.update(uid=user.id, fp=fingerprint)
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
    raise web.HTTPSeeOther(_safe_next(str(form.get("next", ""))))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/account/password", password_form)
    app.router.add_post("/account/password", change_password)
    app.router.add_post("/account/language", set_language)
