"""Logging for every `viktig` process: plain lines, no personal data, never the bot token."""

from __future__ import annotations

import logging

from bot.webhook_auth import webhook_secret
from surveys.logsafety import install_log_redaction, quiet_noisy_loggers
from surveys.settings import Settings


def setup_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if getattr(root, "_viktig_configured", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))  # schema checks on every command
    quiet_noisy_loggers()
    install_log_redaction(_secrets(settings), keep_addresses=settings.log_client_ip)
    root._viktig_configured = True  # type: ignore[attr-defined]  # a marker on the root logger itself, as tests reset it


def _secrets(settings: Settings) -> list[str]:
    """Everything that must never appear in a log line: the bot token, the secret key and the webhook secret
    derived from it (Telegram sends that one back in a header on every delivery)."""
    secrets = [settings.secret_key, webhook_secret(settings.secret_key)]
    if settings.telegram_bot_token:
        secrets.append(settings.telegram_bot_token)
    return secrets
