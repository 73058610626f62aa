"""Which engine call a Telegram update stands for: the one place that reads Telegram's update shapes.

Everything a person can send in a private chat maps onto one `Incoming`; group and channel chats are declined
without touching the database; anything we do not know is ignored. Content we cannot read (a sticker, a photo, a
shared contact...) becomes `unsupported` without any of its content, so a shared phone number never travels
further than this function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, Update

from surveys.commands import Command, parse_command
from surveys.messages import Incoming, IncomingKind
from surveys.models import Channel

CHANNEL = Channel.telegram
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]

# Message content a person can send that carries no words we could store as an answer.
UNREADABLE_CONTENT = (
    "sticker",
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "venue",
    "poll",
    "dice",
    "contact",
    "game",
    "story",
    "paid_media",
    "checklist",
    "invoice",
    "live_photo",
)


@dataclass(frozen=True)
class Routed:
    """What to do with one update: call the engine with `incoming`, or decline a group chat, or only answer a button."""

    chat_id: int | None
    incoming: Incoming | None = None
    decline_group: bool = False
    callback_query_id: str | None = None
    language_hint: str | None = None


def route(update: Update) -> Routed | None:
    """The engine call for this update, or None when there is nothing to do (unknown or irrelevant updates)."""
    if update.callback_query is not None:
        return _route_callback(update)
    if update.channel_post is not None:
        return Routed(update.channel_post.chat.id, decline_group=True)
    if update.message is not None:
        return _route_message(update, update.message)
    if update.edited_message is not None:
        return _route_edit(update, update.edited_message)
    return None


def _update_key(update: Update) -> str:
    return f"{CHANNEL}:{update.update_id}"


def _message_key(message: Message) -> str:
    """The message id alone: it is unique within the one private chat a respondent has with the bot.

    The engine looks an edited message up per respondent, so the chat id (which in a private chat is the person's
    Telegram user id) would add nothing but a raw identifier in every stored answer.
    """
    return f"m{message.message_id}"


def _incoming(
    update: Update, chat: Chat, user_id: int, language: str | None, kind: IncomingKind, **values: Any
) -> Incoming:
    return Incoming(
        channel=CHANNEL,
        user_ref=str(user_id),
        kind=kind,
        update_key=_update_key(update),
        language_hint=language,
        address=str(chat.id),
        records_delivery=True,
        **values,
    )


def _route_message(update: Update, message: Message) -> Routed | None:
    chat, user = message.chat, message.from_user
    language = user.language_code if user is not None else None
    if chat.type != Chat.PRIVATE:
        return Routed(chat.id, decline_group=True, language_hint=language)
    if user is None or user.is_bot:
        return None
    message_key = _message_key(message)
    if message.text is not None:
        parsed = parse_command(message.text)
        if parsed is not None and parsed[0] is Command.start:
            incoming = _incoming(
                update,
                chat,
                user.id,
                language,
                IncomingKind.command,
                command=Command.start.value,
                argument=parsed[1],
                message_key=message_key,
            )
        else:
            incoming = _incoming(
                update, chat, user.id, language, IncomingKind.text, text=message.text, message_key=message_key
            )
        return Routed(chat.id, incoming, language_hint=language)
    if any(getattr(message, attribute, None) for attribute in UNREADABLE_CONTENT) or message.effective_attachment:
        return Routed(
            chat.id, _incoming(update, chat, user.id, language, IncomingKind.unsupported), language_hint=language
        )
    return None  # service messages (pinned, auto-delete timer...) need no answer


def _route_edit(update: Update, message: Message) -> Routed | None:
    chat, user = message.chat, message.from_user
    if chat.type != Chat.PRIVATE or user is None or message.text is None:
        return None  # edits in groups or of captions: nothing was stored, nothing to update
    incoming = _incoming(
        update,
        chat,
        user.id,
        user.language_code,
        IncomingKind.edit,
        text=message.text,
        message_key=_message_key(message),
    )
    return Routed(chat.id, incoming, language_hint=user.language_code)


def _route_callback(update: Update) -> Routed:
    query = update.callback_query
    assert query is not None
    language = query.from_user.language_code
    message = query.message  # a Message, or an InaccessibleMessage for old ones; None for inline messages
    if message is None or not query.data:
        return Routed(None, callback_query_id=query.id, language_hint=language)
    chat = message.chat
    if chat.type != Chat.PRIVATE:
        return Routed(chat.id, decline_group=True, callback_query_id=query.id, language_hint=language)
    incoming = _incoming(update, chat, query.from_user.id, language, IncomingKind.choice, payload=query.data)
    return Routed(chat.id, incoming, callback_query_id=query.id, language_hint=language)
