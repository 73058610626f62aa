"""Logging for every `viktig` process: plain lines, no personal data, never the bot token.

A process sets logging up once (`setup_logging` is idempotent). `remove_logging` undoes it: tests that run the
production set-up in-process (viktig.cli.main, the privacy captures) must not leave its handler, its levels or its
redaction filter on pytest's own log handlers behind for the tests after them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.webhook_auth import webhook_secret
from surveys.logsafety import NOISY_LOGGERS, RedactingFilter, install_log_redaction, quiet_noisy_loggers
from surveys.settings import Settings


@dataclass
class _Installed:
    """What setup_logging changed, so that remove_logging can put it back."""

    handler: logging.Handler
    redacting: RedactingFilter
    levels: dict[str, int]  # logger name ("" for the root) -> its level before


_installed: _Installed | None = None


def setup_logging(settings: Settings) -> None:
    """One stream handler on the root logger, libraries' noise quietened, every handler's records redacted.
    A second call (a test running several commands in one process) changes nothing."""
    global _installed
    if _installed is not None:
        return
    root = logging.getLogger()
    changed = ("", "alembic", *NOISY_LOGGERS)
    levels = {name: logging.getLogger(name or None).level for name in changed}
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))  # schema checks on every command
    quiet_noisy_loggers()
    redacting = install_log_redaction(_secrets(settings), keep_addresses=settings.log_client_ip)
    _installed = _Installed(handler, redacting, levels)


def remove_logging() -> None:
    """Undo setup_logging (if it ran): its handler, the levels it set and its filter on every handler it joined."""
    global _installed
    if _installed is None:
        return
    installed, _installed = _installed, None
    logging.getLogger().removeHandler(installed.handler)
    installed.redacting.uninstall()
    for name, level in installed.levels.items():
        logging.getLogger(name or None).setLevel(level)


def _secrets(settings: Settings) -> list[str]:
    """Everything that must never appear in a log line: the bot token, the secret key and the webhook secret
    derived from it (Telegram sends that one back in a header on every delivery)."""
    secrets = [settings.secret_key, webhook_secret(settings.secret_key)]
    if settings.telegram_bot_token:
        secrets.append(settings.telegram_bot_token)
    return secrets
