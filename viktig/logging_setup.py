"""Logging for every `viktig` process: plain lines, no personal data, never the bot token."""

from __future__ import annotations

import logging

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
    try:
        from surveys.logsafety import install_log_redaction, quiet_noisy_loggers
    except ImportError:  # pragma: no cover - the module ships with the package
        pass
    else:
        quiet_noisy_loggers()
        install_log_redaction([settings.telegram_bot_token] if settings.telegram_bot_token else [])
    root._viktig_configured = True  # type: ignore[attr-defined]
