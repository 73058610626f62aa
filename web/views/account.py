"""The account page (active sessions, two-factor status) and the two-factor steps: enrol with a QR code, log in
with a code or a recovery code."""

from __future__ import annotations

from aiohttp import web

from surveys.ids import pk
from surveys.models import StaffUser, Unit, utcnow
from web.access import current_user, require_user, session_limits, sessions_of
from web.client_info import client_of
from web.keys import SETTINGS
from web.qr import qr_svg
from web.render import page
from web.security import session_of
from web.staff_sessions import end_all_sessions, sessions_of_user, token_id
from web.throttle import attempt_succeeded, login_keys
from web.two_factor import (
    has_totp,
    looks_like_recovery_code,
    new_secret,
    provisioning_uri,
    remaining_recovery_codes,
    replace_recovery_codes,
    totp_required,
    use_recovery_code,
    use_totp_code,
)
from web.views.auth import complete_login, pending_next, pending_user_id, reserve, throttled_page


async def account_page(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        rows = await sessions_of_user(session, pk(user), session_limits(request))
        unit = await session.get(Unit, user.unit_id) if user.unit_id else None
        remaining = await remaining_recovery_codes(session, pk(user))
    token = session_of(request).get("sid")
    mine = token_id(token) if isinstance(token, str) else ""
    return page(
        request,
        "account.html",
        {
            "sessions": rows,
            "current_id": mine,
            "has_totp": has_totp(user),
            "totp_required": totp_required(user, unit),
            "remaining_codes": remaining,
            "ended": request.query.get("ended", "") if request.query.get("ended", "").isdigit() else "",
            "idle": request.app[SETTINGS].session_idle_minutes,
            "lifetime": request.app[SETTINGS].session_lifetime_hours,
        },
    )


async def end_other_sessions(request: web.Request) -> web.Response:
    user = await require_user(request)
    token = session_of(request).get("sid")
    async with sessions_of(request)() as session, session.begin():
        ended = await end_all_sessions(session, pk(user), keep_token=token if isinstance(token, str) else None)
    raise web.HTTPSeeOther(f"/account?ended={ended}")


async def _enrolling_user(request: web.Request) -> tuple[StaffUser, bool]:
    """The logged-in user, or the one who gave the right password and must enrol before anything else."""
    user = await current_user(request)
    if user is not None:
        return user, False
    pending = pending_user_id(request)
    if pending is not None:
        async with sessions_of(request)() as session:
            found = await session.get(StaffUser, pending)
        if found is not None and found.active and not has_totp(found):
            return found, True
    raise web.HTTPSeeOther("/login")


async def enrol_form(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    user, pending = await _enrolling_user(request)
    if has_totp(user):
        raise web.HTTPSeeOther("/account")
    async with sessions_of(request)() as session, session.begin():
        row = await session.get_one(StaffUser, user.id)
        if row.totp_secret is None:
            row.totp_secret = new_secret()
            session.add(row)
        secret = row.totp_secret
    uri = provisioning_uri(secret, user.email)
    return page(
        request,
        "two_factor_enrol.html",
        {"qr": qr_svg(uri, scale=5, title="otpauth"), "secret": secret, "uri": uri, "pending": pending, "error": error},
        status=status,
    )


async def enrol_form_view(request: web.Request) -> web.Response:
    return await enrol_form(request)


async def enrol_confirm(request: web.Request) -> web.Response:
    user, pending = await _enrolling_user(request)
    form = await request.post()
    keys = login_keys(request.app[SETTINGS].secret_key, user.email, client_of(request).address, step="totp")
    wait = await reserve(request, keys)
    if wait is not None:
        return throttled_page(
            request, "two_factor_enrol.html", wait, {"qr": "", "secret": "", "uri": "", "pending": pending}
        )
    async with sessions_of(request)() as session, session.begin():
        row = await session.get(StaffUser, user.id)
        ok = row is not None and not has_totp(row) and await use_totp_code(session, row, str(form.get("code", "")))
        codes: list[str] = []
        if ok and row is not None:
            row.totp_confirmed_at = utcnow()
            session.add(row)
            codes = await replace_recovery_codes(session, request.app[SETTINGS].secret_key, pk(user))
            await attempt_succeeded(session, keys)
    if not ok:
        return await enrol_form(request, error="two_factor.wrong_code", status=400)
    target = pending_next(request) if pending else "/account"
    if pending:
        await complete_login(request, user)
    return page(request, "two_factor_codes.html", {"codes": codes, "next": target})


async def new_recovery_codes(request: web.Request) -> web.Response:
    user = await require_user(request)
    if not has_totp(user):
        raise web.HTTPSeeOther("/account/two-factor")
    async with sessions_of(request)() as session, session.begin():
        codes = await replace_recovery_codes(session, request.app[SETTINGS].secret_key, pk(user))
    return page(request, "two_factor_codes.html", {"codes": codes, "next": "/account"})


async def second_step_form(request: web.Request) -> web.Response:
    if pending_user_id(request) is None:
        raise web.HTTPSeeOther("/login")
    return page(request, "two_factor_login.html", {"error": None})


async def second_step(request: web.Request) -> web.Response:
    user_id = pending_user_id(request)
    if user_id is None:
        raise web.HTTPSeeOther("/login")
    form = await request.post()
    code = str(form.get("code", "")).strip()
    secret_key = request.app[SETTINGS].secret_key
    async with sessions_of(request)() as session:
        user = await session.get(StaffUser, user_id)
    if user is None or not user.active or not has_totp(user):
        raise web.HTTPSeeOther("/login")
    keys = login_keys(secret_key, user.email, client_of(request).address, step="totp")
    wait = await reserve(request, keys)
    if wait is not None:
        return throttled_page(request, "two_factor_login.html", wait, {})
    async with sessions_of(request)() as session, session.begin():
        if looks_like_recovery_code(code):
            ok = await use_recovery_code(session, secret_key, user_id, code)
        else:
            ok = await use_totp_code(session, user, code)
        if ok:
            await attempt_succeeded(session, keys)
    if not ok:
        return page(request, "two_factor_login.html", {"error": "two_factor.wrong_code"}, status=401)
    target = pending_next(request)
    await complete_login(request, user)
    raise web.HTTPSeeOther(target)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/account", account_page)
    app.router.add_post("/account/sessions/end-others", end_other_sessions)
    app.router.add_get("/account/two-factor", enrol_form_view)
    app.router.add_post("/account/two-factor", enrol_confirm)
    app.router.add_post("/account/two-factor/recovery-codes", new_recovery_codes)
    app.router.add_get("/login/two-factor", second_step_form)
    app.router.add_post("/login/two-factor", second_step)
