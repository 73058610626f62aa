"""Keyed pseudonyms: the raw channel user id never reaches the database."""

from __future__ import annotations

import hashlib
import hmac

# Crockford-style alphabet without letters that are easy to confuse when read aloud or typed (I, L, O, U).
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def pseudonym(secret_key: str, channel: str, external_id: str) -> str:
    """HMAC-SHA256 of channel and external id; stable for the same key, unlinkable without it."""
    message = f"{channel}:{external_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def reference_for(pseudonym_value: str) -> str:
    """A short reference shown to the respondent, which staff can use to carry out an erasure request."""
    digest = hashlib.sha256(("reference:" + pseudonym_value).encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(8):
        number, remainder = divmod(number, 32)
        chars.append(_REFERENCE_ALPHABET[remainder])
    code = "".join(chars)
    return f"R-{code[:4]}-{code[4:]}"


def normalise_reference(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.removeprefix("R")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return f"R-{cleaned[:4]}-{cleaned[4:8]}" if len(cleaned) == 8 else text.strip().upper()
