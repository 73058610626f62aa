"""What the web part needs from the composition root, as typed application keys.

The root (viktig.server) puts these in the app through `setup_web`; views read them from `request.app`. web/
knows nothing else of the root, so it imports neither `viktig` nor `analysis`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.engine import ConversationEngine
from surveys.public_page import LabelFor
from surveys.settings import Settings

# Analyse a campaign (by code) and keep its themes; returns how many themes it has now. Bound by the root to its
# one analysis process pool; None when the analysis package is not installed.
Analyse = Callable[[str], Awaitable[int]]

SETTINGS = web.AppKey("web_settings", Settings)
SESSIONS = web.AppKey("web_sessions", async_sessionmaker[AsyncSession])
CONVERSATIONS = web.AppKey("web_conversations", ConversationEngine)
ANALYSE: web.AppKey[Analyse | None] = web.AppKey("web_analyse")
# A taxonomy theme's label in a reader's language, for the public page; bound by the root when the analysis package
# (which owns the taxonomy) is installed, else None and the stored labels are shown.
THEME_LABELS: web.AppKey[LabelFor | None] = web.AppKey("web_theme_labels")
