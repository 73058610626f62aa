"""Security for every response and every form: headers, the signed session cookie and CSRF tokens.

The Content-Security-Policy allows only the app's own files (no inline scripts or styles, no framing), so even an
answer containing markup cannot run in a manager's browser.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

from aiohttp import web

from web.cookies import SESSION_COOKIE, SESSION_MAX_AGE, VISITOR_COOKIE, decode_signed, encode_signed, keyed_digest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"
CSRF_FIELD = "csrf_token"
CSRF_EXEMPT_PREFIXES = ("/telegram/",)  # Telegram authenticates its webhook with a secret header instead
SESSION = web.AppKey("web_session_secret", str)
SECURE = web.AppKey("web_cookies_secure", bool)
SESSION_DATA = web.RequestKey("web_session", dict)
SESSION_CHANGED = web.RequestKey("web_session_changed", bool)


def session_of(request: web.Request) -> dict[str, Any]:
    return request[SESSION_DATA]


def mark_session_changed(request: web.Request) -> None:
    request[SESSION_CHANGED] = True


def new_session(request: web.Request) -> dict[str, Any]:
    """A fresh session (on login and logout) so a token seen before login is worthless after it."""
    request[SESSION_DATA] = {"iat": int(time.time()), "csrf": secrets.token_urlsafe(24)}
    mark_session_changed(request)
    return request[SESSION_DATA]


def csrf_token(request: web.Request) -> str:
    return str(session_of(request)["csrf"])


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    secret = request.app[SESSION]
    data = decode_signed(secret, "session", request.cookies.get(SESSION_COOKIE))
    if data is None or "csrf" not in data:
        new_session(request)
    else:
        request[SESSION_DATA] = data
        if time.time() - data.get("iat", 0) > SESSION_MAX_AGE / 2:  # sliding renewal
            data["iat"] = int(time.time())
            mark_session_changed(request)
    return await handler(request)


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return await handler(request)
    sent = request.headers.get("X-CSRF-Token")
    if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if request.path.startswith("/s/"):
        expected = chat_csrf(request.app[SESSION], request.cookies.get(VISITOR_COOKIE, ""))
    else:
        expected = csrf_token(request)
    if not sent or not hmac.compare_digest(str(sent), expected):
        raise web.HTTPForbidden(
            text="403: the form has expired or did not come from this site. Go back, reload and try again."
        )
    return await handler(request)


async def on_response_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """Headers on every response (also errors and static files) and the session cookie when it changed."""
    from web.client_info import client_of

    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    secure = request.app[SECURE] or client_of(request).secure
    if secure:  # VIKTIG_PUBLIC_URL is https, or a trusted proxy says the client came over https
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.path.startswith(("/campaigns", "/admin", "/account", "/login", "/s/")):
        response.headers.setdefault("Cache-Control", "no-store")
    if request.get(SESSION_CHANGED) and SESSION_DATA in request:
        # aiohttp has already turned response.cookies into headers by now, so add the header itself.
        cookie = SimpleCookie()
        cookie[SESSION_COOKIE] = encode_signed(request.app[SESSION], "session", request[SESSION_DATA])
        morsel = cookie[SESSION_COOKIE]
        morsel["max-age"] = str(SESSION_MAX_AGE)
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        morsel["path"] = "/"
        if secure:
            morsel["secure"] = True
        response.headers.add("Set-Cookie", morsel.OutputString())


def chat_csrf(secret: str, visitor: str) -> str:
    """The web chat's CSRF token is bound to the visitor cookie, so the chat needs no session of its own."""
    return keyed_digest(secret, "chat-csrf", visitor)
