"""Staff passwords: argon2id hashes (argon2-cffi defaults), and generated passwords people can type.

The rule follows NIST SP 800-63B: at least 12 characters, and not one of the 30 000 most common passwords (the
list zxcvbn ships, MIT licence, ranked from leaked password sets), checked offline; no composition rules.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
_DUMMY_HASH = _HASHER.hash("not-a-real-password-used-to-even-out-timing")
MIN_PASSWORD_LENGTH = 12
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


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]  # zxcvbn ships no stubs

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


# Runs people type as "random" (NIST SP 800-63B: repetitive or sequential characters).
_RUNS = (
    "01234567890123456789",
    "09876543210987654321",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiopåasdfghjkløæzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
)
# Context-specific words (NIST again): the service, the sector, the Norwegian word for password.
CONTEXT_WORDS = ("viktig", "kommune", "passord", "helse", "omsorg", "hjemmetjenesten", "sykehjem")
_TRIM = "0123456789!.,-_?#@*+ "


def _is_repetition(text: str) -> bool:
    return any(
        len(text) % size == 0 and text[:size] * (len(text) // size) == text for size in range(1, len(text) // 2 + 1)
    )


def is_common(password: str, context: tuple[str, ...] = ()) -> bool:
    """Listed (ignoring case and spaces, and digits tacked on), a repetition, a keyboard or number run, or a
    context word (the service, the person's own e-mail name) with only digits and signs around it."""
    folded = password.strip().lower().replace(" ", "")
    listed = common_passwords()
    core = folded.strip(_TRIM)
    if folded in listed or core in listed or _is_repetition(folded) or any(folded in run for run in _RUNS):
        return True
    rest = core
    for word in set(CONTEXT_WORDS) | {word.lower() for word in context if len(word) >= 3}:
        rest = rest.replace(word, "")
    rest = rest.strip(_TRIM)
    return rest != core and (not rest or rest in listed or _is_repetition(rest))


def password_problem(password: str, context: tuple[str, ...] = ()) -> str | None:
    """The dashboard catalogue key for why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password.too_short"
    if is_common(password, context):
        return "password.common"
    return None
