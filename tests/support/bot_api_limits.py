"""Telegram's documented limits that api.json states only in prose (lengths, alphabets, ranges).

Each check takes a value already converted to its specified type (and the object it sits in)
and returns a Telegram-like problem, or None. The validator in `bot_api_spec` applies them to
method parameters and, recursively, to fields of objects such as InlineKeyboardButton.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

FieldCheck = Callable[[Any, dict[str, Any]], "str | None"]
ObjectCheck = Callable[[dict[str, Any]], "str | None"]

MAX_MESSAGE_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_TEXT = 200
MAX_COMMANDS = 100

PARSE_MODES = frozenset({"HTML", "Markdown", "MarkdownV2"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Formatting options, HTML style: the tags Telegram understands.
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        "tg-time",
    }
)
# InlineKeyboardButton: "Exactly one of the fields other than text, icon_custom_emoji_id, and style must be used".
_BUTTON_DECORATION = frozenset({"text", "icon_custom_emoji_id", "style"})

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_ESCAPE = re.compile(r"\\(.)")
_MARKDOWN_MARKS = re.compile(r"[*_~`|]")


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees after Telegram parses entities; ValueError if the markup cannot be parsed.

    HTML is parsed strictly (supported tags, proper nesting, no stray '<'); Markdown modes are
    approximated by removing their marks, which is enough for length limits.
    """
    if parse_mode == "HTML":
        return _html_visible_text(text)
    if parse_mode in ("Markdown", "MarkdownV2"):
        text = _MARKDOWN_LINK.sub(r"\1", text)
        placeholder = "\0"
        text = _MARKDOWN_ESCAPE.sub(lambda match: placeholder + match.group(1), text)
        return _MARKDOWN_MARKS.sub("", text).replace(placeholder, "")
    return text


def _html_visible_text(text: str) -> str:
    open_tags: list[str] = []
    pieces: list[str] = []
    position = 0
    while True:
        bracket = text.find("<", position)
        if bracket < 0:
            pieces.append(text[position:])
            break
        pieces.append(text[position:bracket])
        match = _HTML_TAG.match(text, bracket)
        offset = len(text[:bracket].encode("utf-8"))
        if match is None:
            raise ValueError(f"can't parse entities: Unexpected '<' at byte offset {offset} (escape it as &lt;)")
        closing, name = match.group(1), match.group(2).lower()
        if name not in HTML_TAGS:
            raise ValueError(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}')
        if closing:
            if not open_tags or open_tags[-1] != name:
                raise ValueError(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                    f'expected "</{open_tags[-1] if open_tags else ""}>", found "</{name}>"'
                )
            open_tags.pop()
        else:
            open_tags.append(name)
        position = match.end()
    if open_tags:
        raise ValueError(f"can't find end tag corresponding to start tag {open_tags[-1]}")
    return html.unescape("".join(pieces))


def _message_text(limit: int, empty_allowed: bool) -> FieldCheck:
    def check(text: str, siblings: dict[str, Any]) -> str | None:
        try:
            visible = visible_text(text, siblings.get("parse_mode"))
        except ValueError as error:
            return str(error)
        if not empty_allowed and not visible.strip():
            return "message text is empty"
        if len(visible) > limit:
            return f"message is too long ({len(visible)} characters after entities parsing, at most {limit})"
        return None

    return check


def _callback_data(data: str, _siblings: dict[str, Any]) -> str | None:
    size = len(data.encode("utf-8"))
    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
        return f"BUTTON_DATA_INVALID (callback_data is {size} bytes in UTF-8, must be 1-{MAX_CALLBACK_DATA_BYTES})"
    return None


def _max_characters(limit: int, what: str) -> FieldCheck:
    def check(text: str, _siblings: dict[str, Any]) -> str | None:
        return None if len(text) <= limit else f"{what} is too long ({len(text)} characters, at most {limit})"

    return check


def _non_empty(what: str) -> FieldCheck:
    def check(text: str, _siblings: dict[str, Any]) -> str | None:
        return None if text else f"{what} must be non-empty"

    return check


def _matches(pattern: re.Pattern[str], what: str) -> FieldCheck:
    def check(text: str, _siblings: dict[str, Any]) -> str | None:
        return None if pattern.fullmatch(text) else f"{what} {text!r:.60} is invalid"

    return check


def _between(low: int, high: int) -> FieldCheck:
    def check(number: int, _siblings: dict[str, Any]) -> str | None:
        return None if low <= number <= high else f"must be between {low} and {high}, got {number}"

    return check


def _one_of(allowed: frozenset[str], what: str) -> FieldCheck:
    def check(text: str, _siblings: dict[str, Any]) -> str | None:
        return None if text in allowed else f"{what} {text!r:.40} is not one of {', '.join(sorted(allowed))}"

    return check


def _command_description(text: str, _siblings: dict[str, Any]) -> str | None:
    return None if 1 <= len(text) <= 256 else f"command description must be 1-256 characters, got {len(text)}"


def _command_list(commands: list[Any], _siblings: dict[str, Any]) -> str | None:
    return None if len(commands) <= MAX_COMMANDS else f"at most {MAX_COMMANDS} commands, got {len(commands)}"


def _caption(caption: str, siblings: dict[str, Any]) -> str | None:
    try:
        visible = visible_text(caption, siblings.get("parse_mode"))
    except ValueError as error:
        return str(error)
    return (
        None
        if len(visible) <= MAX_CAPTION
        else f"message caption is too long ({len(visible)} characters, at most {MAX_CAPTION})"
    )


def _one_button_action(button: dict[str, Any]) -> str | None:
    actions = sorted(set(button) - _BUTTON_DECORATION)
    if len(actions) != 1:
        return f"an InlineKeyboardButton needs exactly one action field, got {actions or 'none'}"
    return None


def _edit_has_content(params: dict[str, Any]) -> str | None:
    return None if "text" in params or "rich_message" in params else "text must be non-empty"


def _edit_target(params: dict[str, Any]) -> str | None:
    if "inline_message_id" in params or ("chat_id" in params and "message_id" in params):
        return None
    return "chat_id and message_id, or inline_message_id, must be given"


def _all_of(*checks: ObjectCheck) -> ObjectCheck:
    def check(params: dict[str, Any]) -> str | None:
        return next((problem for problem in (one(params) for one in checks) if problem), None)

    return check


_language_code = _matches(_LANGUAGE_CODE, "language_code (a two-letter ISO 639-1 code or empty)")

FIELD_LIMITS: dict[tuple[str, str], FieldCheck] = {
    ("sendMessage", "text"): _message_text(MAX_MESSAGE_TEXT, empty_allowed=False),
    ("editMessageText", "text"): _message_text(MAX_MESSAGE_TEXT, empty_allowed=False),
    ("InlineKeyboardButton", "text"): _non_empty("button text"),
    ("KeyboardButton", "text"): _non_empty("button text"),
    ("InlineKeyboardButton", "callback_data"): _callback_data,
    ("answerCallbackQuery", "text"): _max_characters(MAX_CALLBACK_ANSWER_TEXT, "callback answer text"),
    ("BotCommand", "command"): _matches(_COMMAND, "BOT_COMMAND_INVALID: command (1-32 characters of a-z, 0-9, _)"),
    ("BotCommand", "description"): _command_description,
    ("setMyCommands", "commands"): _command_list,
    ("setMyCommands", "language_code"): _language_code,
    ("getMyCommands", "language_code"): _language_code,
    ("deleteMyCommands", "language_code"): _language_code,
    ("setWebhook", "secret_token"): _matches(_SECRET_TOKEN, "secret token (1-256 characters of A-Z, a-z, 0-9, _, -)"),
    ("setWebhook", "max_connections"): _between(1, 100),
    ("getUpdates", "limit"): _between(1, 100),
    ("getUpdates", "timeout"): _between(0, 3600),
    ("sendChatAction", "action"): _one_of(CHAT_ACTIONS, "chat action"),
    # "*": wherever the field appears (methods and input objects alike).
    ("*", "parse_mode"): _one_of(PARSE_MODES, "unsupported parse_mode"),
    ("*", "caption"): _caption,
}

OBJECT_LIMITS: dict[str, ObjectCheck] = {
    "InlineKeyboardButton": _one_button_action,
    "editMessageText": _all_of(_edit_has_content, _edit_target),
    "editMessageReplyMarkup": _edit_target,
}
