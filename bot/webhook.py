"""The webhook route: Telegram POSTs updates here; we answer 2xx only once the update is stored.

Only Telegram knows the secret token we registered with setWebhook, so a request without it gets 403 and is not
read. The body is never logged (it holds the person's words and ids).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update

from bot.processing import StorageUnavailable, UpdateProcessor
from bot.webhook_auth import SECRET_HEADER

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"


def webhook_handler(processor: UpdateProcessor, secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        update = parse_update(await request.read(), processor)
        if update is None:
            return web.Response(status=400, text="not an update")
        try:
            await processor.handle(update)
        except StorageUnavailable:
            return web.Response(status=503, text="storage unavailable, deliver again")
        return web.Response(status=200)

    return handle


def parse_update(body: bytes, processor: UpdateProcessor) -> Update | None:
    """The update in a webhook body, or None (logged once, by error type only) for anything else.

    Valid JSON that is not an update (a list, a number, an object without an integer update_id, a message without
    its date) is a bad request, not a server error: Telegram never sends it, so there is nothing to deliver again.
    """
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise TypeError("no integer update_id")
        return Update.de_json(data, processor.bot)
    except Exception as error:  # noqa: BLE001 - any shape PTB cannot read: 400, never 500
        log.warning("webhook body is not an update: %s", type(error).__name__)
        return None
