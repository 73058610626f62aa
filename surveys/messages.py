"""The neutral messages that channels hand to the engine and get back from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IncomingKind(StrEnum):
    text = "text"  # free text typed by the person (commands like "/hjelp" are recognised by the engine)
    choice = "choice"  # a button was pressed; `payload` holds the button's payload
    command = "command"  # the channel already recognised a command (e.g. Telegram's /start with a deep-link code)
    edit = "edit"  # the person edited an earlier message; `message_key` names it
    unsupported = "unsupported"  # sticker, photo, voice, location, contact... nothing of it is stored


@dataclass(frozen=True)
class Incoming:
    channel: str  # "telegram", "web", "terminal", "staff"
    user_ref: str  # the channel's user id; only its keyed pseudonym is stored
    kind: IncomingKind
    text: str = ""
    payload: str | None = None
    command: str | None = None
    argument: str | None = None
    campaign_code: str | None = None  # channels bound to one campaign (the web chat URL) pass it every time
    update_key: str | None = None  # idempotency: a key seen before is not processed again
    message_key: str | None = None  # the channel's message reference, so later edits find their answer
    language_hint: str | None = None  # e.g. Telegram's language_code or the browser's Accept-Language
    address: str | None = None  # how to reach the person later (Telegram chat id), kept only when needed
    source: str = "self"  # self | staff (typed on behalf of a person)
    # The channel records delivered replies (ConversationEngine.mark_replied), so a redelivered update whose reply
    # never went out gets it rebuilt from what is stored instead of nothing.
    records_delivery: bool = False
    # An old button gets a friendly line and the current question again, with its buttons, instead of a notice
    # only: for a channel whose old buttons can sit where the current question is not seen (a second browser tab).
    repeat_on_stale: bool = False


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # short (Telegram allows 64 bytes of callback data)


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    @property
    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass
class Reply:
    messages: list[OutgoingMessage] = field(default_factory=list)
    language: str = "nb"
    notice: str | None = None  # a short note for the channel's own UI (e.g. answerCallbackQuery text)
    duplicate: bool = False  # the update was processed before; nothing was done (messages: its reply, rebuilt)
    respondent_reference: str | None = None
    finished: bool = False  # the conversation is complete (or was declined)
    step: str | None = None

    @property
    def texts(self) -> list[str]:
        return [message.text for message in self.messages]
