"""The webhook route: Telegram POSTs updates here; we answer 2xx only once the update is stored.

Only Telegram knows the secret token we registered with setWebhook, so a request without it gets 403 and is not
read. The body is never logged (it holds the person's words and ids).
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.processing import StorageUnavailable, UpdateProcessor
from bot.webhook_auth import SECRET_HEADER

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"


def webhook_handler(processor: UpdateProcessor, secret: str):  # type: ignore[no-untyped-def]
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an object with an integer update_id")
            update = Update.de_json(data, processor.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as error:  # PTB's parsers raise any of these
            log.warning("webhook body is not an update: %s", type(error).__name__)
            return web.Response(status=400, text="not an update")
        try:
            await processor.handle(update)
        except StorageUnavailable:
            return web.Response(status=503, text="storage unavailable, deliver again")
        return web.Response(status=200)

    return handle
