"""What a button means, as a small typed value with one encoding.

A payload is `<scope>.<action>[:<value>]`: the scope is the conversation's turn number when the button was shown
(so a double tap or an old button is recognised as stale), or `r` for buttons that belong to the respondent rather
than to one conversation (language choice, erasure confirmation). Telegram allows 64 bytes of callback data, so
the encoding stays short.
"""

from __future__ import annotations

from dataclasses import dataclass

RESPONDENT_SCOPE = "r"


@dataclass(frozen=True)
class Payload:
    action: str
    value: str = ""
    turn: int | None = None  # None: a respondent-level button (scope "r")

    @property
    def respondent_level(self) -> bool:
        return self.turn is None

    def encode(self) -> str:
        scope = RESPONDENT_SCOPE if self.turn is None else str(self.turn)
        return f"{scope}.{self.action}:{self.value}" if self.value else f"{scope}.{self.action}"

    @classmethod
    def decode(cls, raw: str | None) -> Payload | None:
        """The payload a channel handed back, or None when it is not one of ours (then it is treated as stale)."""
        scope, dot, rest = (raw or "").partition(".")
        action, _, value = rest.partition(":")
        if dot and scope == RESPONDENT_SCOPE:
            return cls(action, value)
        if not dot or not rest or not scope.isdigit():
            return None
        return cls(action, value, int(scope))

    def matches(self, action: str, value: str | None = None) -> bool:
        return self.action == action and (value is None or self.value == value)
