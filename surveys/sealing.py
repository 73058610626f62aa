"""Sealed channel addresses: a Telegram chat id kept so a person can be told something later, unreadable without
VIKTIG_SECRET_KEY.

Pseudonyms (surveys.pseudonyms) are one-way HMACs, which is right for recognising a person but useless for writing
to them: sending needs the chat id itself. So the few addresses kept for "tell me what you did" are encrypted with
keys derived from VIKTIG_SECRET_KEY, using only HMAC-SHA256 from the standard library (no new dependency):

    keystream = HMAC(enc_key, nonce)                (a PRF in counter mode; an address is shorter than one block)
    sealed    = "v1." + base64(nonce || (address XOR keystream) || HMAC(mac_key, nonce || ciphertext)[:16])

A random 16-byte nonce per seal means the same chat id seals differently every time (rows cannot be matched with
each other or with a list of ids), and the tag means a changed or foreign value is refused, not misread. A database
copy alone yields nothing; whoever also holds the key can open the addresses (as they could recompute pseudonyms),
which is why the key is kept apart from the database and its backups (docs/privacy.md). After a deliberate key
rotation the old seals no longer open; the sender then deletes those contacts instead of guessing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_VERSION = "v1."
_NONCE = 16
_TAG = 16
_BLOCK = hashlib.sha256().digest_size
MAX_ADDRESS_BYTES = _BLOCK  # a Telegram chat id is at most 20 characters; one block is plenty


class SealBroken(ValueError):
    """The sealed value was not made under this key (rotated key, or damaged): it cannot be opened."""


def _key(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), b"viktig address seal v1 " + purpose, hashlib.sha256).digest()


def seal(secret_key: str, address: str) -> str:
    """The address encrypted and authenticated under keys derived from `secret_key`."""
    plain = address.encode()
    if not 0 < len(plain) <= MAX_ADDRESS_BYTES:
        raise ValueError(f"an address to seal must be 1-{MAX_ADDRESS_BYTES} bytes")
    nonce = secrets.token_bytes(_NONCE)
    stream = hmac.new(_key(secret_key, b"enc"), nonce, hashlib.sha256).digest()
    cipher = bytes(a ^ b for a, b in zip(plain, stream, strict=False))
    tag = hmac.new(_key(secret_key, b"mac"), nonce + cipher, hashlib.sha256).digest()[:_TAG]
    return _VERSION + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(secret_key: str, sealed: str) -> str:
    """The address back; SealBroken when the value was not sealed under this key."""
    if not sealed.startswith(_VERSION):
        raise SealBroken("unknown seal version")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :].encode())
    except ValueError as error:
        raise SealBroken("not a sealed value") from error
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    if len(nonce) != _NONCE or not 0 < len(cipher) <= MAX_ADDRESS_BYTES:
        raise SealBroken("not a sealed value")
    expected = hmac.new(_key(secret_key, b"mac"), nonce + cipher, hashlib.sha256).digest()[:_TAG]
    if not hmac.compare_digest(tag, expected):
        raise SealBroken("sealed under another key")
    stream = hmac.new(_key(secret_key, b"enc"), nonce, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=False)).decode()
