"""Rate limits for the citizens' web chat: per visitor and per client address, with a friendly message.

A person types a few messages a minute; a script sends hundreds. Each process counts messages in fixed one-minute
windows (VIKTIG_CHAT_LIMIT_PER_VISITOR, VIKTIG_CHAT_LIMIT_PER_ADDRESS), in memory and bounded in size, so a flood
costs no database writes. The address limit is higher because a day centre's tablets share one address. With
several processes each counts its own share; the reverse proxy's own limits can sit in front (docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from aiohttp import web

from surveys.i18n import normalise_language
from surveys.settings import Settings
from web.client_info import client_of
from web.i18n import chat_text

WINDOW_SECONDS = 60.0
MAX_KEYS = 50_000  # about 5 MB at most; the oldest windows go first


@dataclass
class WindowCounter:
    limit: int
    windows: OrderedDict[str, tuple[float, int]] = field(default_factory=OrderedDict)

    def hit(self, key: str, now: float) -> float | None:
        """Count one message; None if allowed, else the seconds until the window ends."""
        started, count = self.windows.pop(key, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        self.windows[key] = (started, count + 1)
        while len(self.windows) > MAX_KEYS:
            self.windows.popitem(last=False)
        return WINDOW_SECONDS - (now - started) if count + 1 > self.limit else None


@dataclass
class ChatLimits:
    per_visitor: WindowCounter
    per_address: WindowCounter

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatLimits:
        return cls(WindowCounter(settings.chat_limit_per_visitor), WindowCounter(settings.chat_limit_per_address))

    def check(self, visitor: str, address: str, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        waits = [wait for wait in (self.per_visitor.hit(visitor, now), self.per_address.hit(address, now)) if wait]
        return max(waits) if waits else None


CHAT_LIMITS = web.AppKey("web_chat_limits", ChatLimits)


def refuse_if_flooding(request: web.Request, visitor: str) -> web.Response | None:
    """None to go on; otherwise a 429 that tells the person, in their language, to wait a little."""
    wait = request.app[CHAT_LIMITS].check(visitor, client_of(request).address)
    if wait is None:
        return None
    header = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    language = normalise_language(header or None) or "nb"
    message = chat_text(language, "slow_down", seconds=max(1, math.ceil(wait)))
    headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    if "application/json" in request.headers.get("Accept", ""):
        body = {"duplicate": False, "language": language, "lines": [{"who": "bot", "text": message, "buttons": []}]}
        return web.json_response(body, status=429, headers=headers)
    import aiohttp_jinja2

    context = {"c": lambda key, **kw: chat_text(language, key, **kw), "lang": language, "message": message}
    response = aiohttp_jinja2.render_template("chat/closed.html", request, context, status=429)
    response.headers.update(headers)
    return response
