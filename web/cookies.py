"""Signed cookies: the staff session lives in an HMAC-signed cookie, so any process can check it without storage.

The payload holds only ids and tokens, never answer text. A session names a fingerprint of the password hash, so
changing the password (or deactivating the account) ends every other session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

SESSION_COOKIE = "viktig_session"
SESSION_MAX_AGE = 12 * 3600
VISITOR_COOKIE = "viktig_visitor"  # the web chat's random, pseudonymous visitor id
VISITOR_MAX_AGE = 90 * 24 * 3600


def _sign(secret: str, purpose: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), purpose.encode() + b"\x00" + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_signed(secret: str, purpose: str, data: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_sign(secret, purpose, body.encode())}"


def decode_signed(
    secret: str, purpose: str, value: str | None, *, max_age: int = SESSION_MAX_AGE
) -> dict[str, Any] | None:
    if not value or "." not in value:
        return None
    body, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(secret, purpose, body.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or time.time() - float(data.get("iat", 0)) > max_age:
        return None
    return data


def keyed_digest(secret: str, purpose: str, value: str) -> str:
    """A keyed hash for values we must compare but not keep (e-mail and IP in the throttle table, CSRF tokens)."""
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
