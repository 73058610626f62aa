"""The shared secret Telegram sends with every webhook delivery.

Kept apart from the webhook handler so that the logging set-up of every `viktig` command can redact it without
importing python-telegram-bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(secret_key: str) -> str:
    """Derived from the secret key, so every process of one installation agrees without another setting.

    Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -; URL-safe base64 without padding fits.
    """
    digest = hmac.new(secret_key.encode(), b"viktig telegram webhook secret", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
