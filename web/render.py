"""Rendering dashboard pages with the user's language, the CSRF token and the catalogue lookup in every template."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from surveys.models import StaffUser
from web.access import USER
from web.i18n import dashboard_text
from web.security import CSRF_FIELD, csrf_token, session_of


def language_of(request: web.Request) -> str:
    user: StaffUser | None = request.get(USER)
    if user is not None:
        return user.language
    return str(session_of(request).get("lang", "nb"))


def page(
    request: web.Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    lang = language_of(request)
    values = {
        "_": lambda key, **kw: dashboard_text(lang, key, **kw),
        "lang": lang,
        "user": request.get(USER),
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "path": request.path,
    }
    values.update(context or {})
    return aiohttp_jinja2.render_template(template, request, values, status=status)
