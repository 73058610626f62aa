"""Staff passwords: argon2id hashes (argon2-cffi defaults), and generated passwords people can type."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
_DUMMY_HASH = _HASHER.hash("not-a-real-password-used-to-even-out-timing")
MIN_PASSWORD_LENGTH = 10
_WORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists, so timing does not reveal e-mail addresses."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    groups = ["".join(secrets.choice(_WORD_ALPHABET) for _ in range(5)) for _ in range(4)]
    return "-".join(groups)


def password_problem(password: str) -> str | None:
    """The dashboard catalogue key for why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password.too_short"
    return None
