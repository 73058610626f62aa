"""Sealed channel addresses: a Telegram chat id kept so a person can be told something later, unreadable without
VIKTIG_SECRET_KEY.

Pseudonyms (surveys.pseudonyms) are one-way HMACs, which is right for recognising a person but useless for writing
to them: sending needs the chat id itself. So the few addresses kept for "tell me what you did" are encrypted with
AES-256-GCM (the `cryptography` package: a standard authenticated cipher rather than one of our own), under a key
derived from VIKTIG_SECRET_KEY:

    sealed = "v2." + base64(nonce(12) || AES-GCM(key, nonce, address, associated data "v2."))

A random nonce per seal means the same chat id seals differently every time (rows cannot be matched with each other
or with a list of ids), and GCM's tag means a changed or foreign value is refused, not misread. A database copy alone
yields nothing; whoever also holds the key can open the addresses (as they could recompute pseudonyms), which is why
the key is kept apart from the database and its backups (docs/privacy.md). After a deliberate key rotation the old
seals no longer open; the sender then deletes those contacts instead of guessing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v2."
_NONCE = 12
_TAG = 16
MAX_ADDRESS_BYTES = 64  # a Telegram chat id is at most 20 characters; room for other channels' addresses


class SealBroken(ValueError):
    """The sealed value was not made under this key (rotated key, or damaged): it cannot be opened."""


def _cipher(secret_key: str) -> AESGCM:
    # The secret key is a passphrase-like string of any length; one HMAC gives a 256-bit key bound to this purpose,
    # so the same secret used for pseudonyms never doubles as an encryption key.
    return AESGCM(hmac.new(secret_key.encode(), b"viktig address seal v2", hashlib.sha256).digest())


def seal(secret_key: str, address: str) -> str:
    """The address encrypted and authenticated under a key derived from `secret_key`."""
    plain = address.encode()
    if not 0 < len(plain) <= MAX_ADDRESS_BYTES:
        raise ValueError(f"an address to seal must be 1-{MAX_ADDRESS_BYTES} bytes")
    nonce = secrets.token_bytes(_NONCE)
    sealed = _cipher(secret_key).encrypt(nonce, plain, _VERSION.encode())
    return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret_key: str, sealed: str) -> str:
    """The address back; SealBroken when the value was not sealed under this key."""
    if not sealed.startswith(_VERSION):
        raise SealBroken("unknown seal version")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :].encode())
    except (ValueError, binascii.Error) as error:
        raise SealBroken("not a sealed value") from error
    if len(raw) <= _NONCE + _TAG:
        raise SealBroken("not a sealed value")
    try:
        plain = _cipher(secret_key).decrypt(raw[:_NONCE], raw[_NONCE:], _VERSION.encode())
    except InvalidTag as error:
        raise SealBroken("sealed under another key") from error
    return plain.decode()
