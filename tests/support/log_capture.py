"""The production logging set-up, at DEBUG for every library, written to a buffer a privacy test can scan.

Libraries are forced to DEBUG after the set-up on purpose: whatever quietens a noisy logger in production must not be
what keeps a token or an answer out of the log; the redaction has to hold at any level.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from surveys.settings import Settings
from viktig.logging_setup import remove_logging, setup_logging

LIBRARY_LOGGERS = (
    "aiohttp",
    "aiohttp.access",
    "aiohttp.server",
    "aiohttp.web",
    "httpx",
    "httpcore",
    "telegram",
    "telegram.ext",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncio",
    "viktig",
    "surveys",
    "bot",
    "web",
)


@contextmanager
def debug_log_capture(bot_token: str | None = None) -> Iterator[io.StringIO]:
    remove_logging()  # a set-up left by an earlier in-process command would keep this one from running
    root = logging.getLogger()
    saved_handlers = list(root.handlers)
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    setup_logging(Settings(secret_key="x" * 16, telegram_bot_token=bot_token, log_level="DEBUG"))
    buffer = io.StringIO()
    for handler in root.handlers:
        if handler not in saved_handlers and isinstance(handler, logging.StreamHandler):
            handler.setStream(buffer)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        remove_logging()  # its handler, the root level and the redaction filter on pytest's handlers
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(levels.get(name, logging.NOTSET))
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
