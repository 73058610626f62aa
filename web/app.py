"""The web part of the server: the staff dashboard and the citizens' web chat, added to the app by create_app.

Server-rendered (aiohttp-jinja2), every asset served by the app itself, no inline scripts (the CSP forbids them).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.engine import ConversationEngine
from surveys.i18n import pick
from surveys.models import as_utc
from surveys.public_page import LabelFor
from surveys.settings import Settings
from web.keys import ANALYSE, CONVERSATIONS, SESSIONS, SETTINGS, THEME_LABELS, Analyse
from web.security import SECURE, SESSION, csrf_middleware, on_response_prepare, session_middleware

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCAL_TIME = ZoneInfo("Europe/Oslo")  # dashboard users are in Norway; the database keeps UTC


def setup_web(
    app: web.Application,
    *,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    conversations: ConversationEngine,
    analyse: Analyse | None,
    theme_labels: LabelFor | None = None,
) -> None:
    """Add the dashboard and the web chat to `app`, with what they need from the root (see web.keys)."""
    from web.views import (
        account,
        actions,
        admin,
        answers,
        areas,
        auth,
        campaigns,
        chat,
        entry,
        erasure,
        public,
        themes,
    )

    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["when"] = _when
    env.filters["dtlocal"] = _datetime_local
    env.filters["pick"] = _pick
    app[SETTINGS], app[SESSIONS], app[CONVERSATIONS], app[ANALYSE] = settings, sessions, conversations, analyse
    app[THEME_LABELS] = theme_labels
    app[SESSION] = settings.secret_key
    app[SECURE] = (settings.public_url or "").startswith("https://")
    app.middlewares.extend([session_middleware, entry.upload_limit_middleware, csrf_middleware])
    app.cleanup_ctx.append(entry.import_tasks)
    app.on_response_prepare.append(on_response_prepare)
    app.router.add_static("/static", STATIC, append_version=False)
    for module in (auth, account, campaigns, answers, entry, themes, actions, public, admin, areas, erasure, chat):
        module.add_routes(app)


def _when(moment: datetime | None) -> str:
    return as_utc(moment).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M") if moment else "–"


def _datetime_local(moment: datetime | None) -> str:
    """The value format of <input type=datetime-local>, in Norwegian time."""
    return as_utc(moment).astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _pick(texts: dict[str, str] | None, language: str) -> str:
    """A per-language text from a survey or campaign ({"nb": ..., "en": ...}) in the reader's language."""
    return pick(texts or {}, language)
