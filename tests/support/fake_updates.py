"""Realistic Telegram Update dicts, as Telegram would send them for citizens using the bot.

The fake Bot API server plays both Telegram and the people chatting with the bot; this class is
the people. Message ids are counted per chat and shared with the messages the bot sends, like
in Telegram, and every update gets a new, increasing update_id.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from typing import Any

Update = dict[str, Any]

FIRST_UPDATE_ID = 500_000_001
GROUP_MEMBER_ID = 1_000_001
OSLO = (59.913868, 10.752245)


class SimulatedUsers:
    """Builds Update dicts; the subclass (the fake server) pushes them to the bot."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._last_message_id: dict[int, int] = {}
        # The messages the bot sent, as Telegram stores them: buttons are pressed on these.
        self._bot_messages: dict[tuple[int, int], dict[str, Any]] = {}

    def next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    # -- messages -------------------------------------------------------------------------------

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str | None = "nb",
        chat_type: str = "private",
        first_name: str = "Kari",
        last_name: str | None = None,
        username: str | None = None,
        title: str = "Testgruppe",
        entities: list[dict[str, Any]] | None = None,
        **content: Any,
    ) -> Update:
        """A new message from a user; `content` adds fields such as sticker=..., caption=..."""
        user = self.user(
            chat_id if user_id is None and chat_type == "private" else user_id or GROUP_MEMBER_ID,
            first_name,
            last_name,
            username,
            language_code,
        )
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "from": user,
            "chat": self.chat(chat_id, chat_type, user, title),
            "date": int(time.time()),
        }
        if text is not None:
            message["text"] = text
        if entities:
            message["entities"] = entities
        message.update(content)
        return self._update("message", message)

    def group_message(
        self, chat_id: int, text: str, *, user_id: int = GROUP_MEMBER_ID, chat_type: str = "group", **options: Any
    ) -> Update:
        """A message in a group or supergroup (chat ids of groups are negative in Telegram)."""
        return self.message(chat_id, text, user_id=user_id, chat_type=chat_type, **options)

    def command(self, chat_id: int, command: str, args: str = "", **options: Any) -> Update:
        """'/start CODE' with its bot_command entity; in groups addressed as /start@bot_username."""
        name = command.lstrip("/")
        if options.get("chat_type", "private") != "private":
            name = f"{name}@{self.bot_user['username']}"
        text = f"/{name} {args}".rstrip()
        entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
        return self.message(chat_id, text, entities=[entity], **options)

    def edited_message(self, chat_id: int, message_id: int, text: str, **options: Any) -> Update:
        """The user edited an earlier message of theirs (same message_id, new text, edit_date)."""
        update = self.message(chat_id, text, **options)
        # message() took a fresh message id; an edit keeps the original one.
        self._last_message_id[chat_id] -= 1
        message = update.pop("message")
        message["message_id"] = message_id
        message["date"] = int(time.time()) - 60
        message["edit_date"] = int(time.time())
        update["edited_message"] = message
        return update

    def sticker(self, chat_id: int, emoji: str = "👍", **options: Any) -> Update:
        sticker = self._file("sticker") | {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.message(chat_id, sticker=sticker, **options)

    def photo(self, chat_id: int, caption: str | None = None, **options: Any) -> Update:
        sizes = [
            self._file("photo") | {"width": w, "height": h, "file_size": w * h // 8} for w, h in ((90, 68), (1280, 960))
        ]
        return self.message(chat_id, photo=sizes, **_caption(caption), **options)

    def voice(self, chat_id: int, duration: int = 4, **options: Any) -> Update:
        voice = self._file("voice") | {"duration": duration, "mime_type": "audio/ogg", "file_size": 9_000 * duration}
        return self.message(chat_id, voice=voice, **options)

    def video(self, chat_id: int, duration: int = 7, caption: str | None = None, **options: Any) -> Update:
        video = self._file("video") | {
            "width": 1280,
            "height": 720,
            "duration": duration,
            "mime_type": "video/mp4",
            "file_size": 250_000 * duration,
        }
        return self.message(chat_id, video=video, **_caption(caption), **options)

    def document(
        self, chat_id: int, file_name: str = "notat.pdf", mime_type: str = "application/pdf", **options: Any
    ) -> Update:
        document = self._file("document") | {"file_name": file_name, "mime_type": mime_type, "file_size": 48_213}
        return self.message(chat_id, document=document, **options)

    def location(self, chat_id: int, latitude: float = OSLO[0], longitude: float = OSLO[1], **options: Any) -> Update:
        return self.message(chat_id, location={"latitude": latitude, "longitude": longitude}, **options)

    def contact(
        self,
        chat_id: int,
        phone_number: str = "+4791234567",
        first_name: str = "Kari",
        own: bool = True,
        **options: Any,
    ) -> Update:
        """A shared contact; `own` means the user shared their own number (Telegram adds user_id)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if own:
            contact["user_id"] = options.get("user_id") or chat_id
        return self.message(chat_id, contact=contact, first_name=first_name, **options)

    # -- buttons --------------------------------------------------------------------------------

    def callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        language_code: str | None = "nb",
        first_name: str = "Kari",
    ) -> Update:
        """A button press on a message the bot sent (default: its latest message in the chat).

        An unknown message_id gives an InaccessibleMessage (date 0), as Telegram does for
        messages that are too old or deleted: stale buttons must do no harm.
        """
        if message_id is None:
            message_id = max((mid for (cid, mid) in self._bot_messages if cid == chat_id), default=None)
            if message_id is None:
                raise LookupError(f"the bot has sent no message to chat {chat_id} to press a button on")
        user = self.user(user_id or chat_id, first_name, None, None, language_code)
        message = self._bot_messages.get((chat_id, message_id))
        if message is None:
            message = {"chat": self.chat(chat_id, "private", user, ""), "message_id": message_id, "date": 0}
        query = {
            "id": str(next(self._callback_ids)),
            "from": user,
            "message": copy.deepcopy(message),
            "chat_instance": str(-(abs(chat_id) * 7919 % 10**18)),
            "data": data,
        }
        return self._update("callback_query", query)

    def press(self, chat_id: int, button_text: str, **options: Any) -> Update:
        """Press the inline button labelled `button_text` on the latest bot message that has it."""
        for (cid, message_id), message in sorted(self._bot_messages.items(), reverse=True):
            if cid != chat_id:
                continue
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == button_text and "callback_data" in button:
                        return self.callback(chat_id, button["callback_data"], message_id=message_id, **options)
        raise LookupError(f"no inline button {button_text!r} in any bot message to chat {chat_id}")

    # -- parts ----------------------------------------------------------------------------------

    @staticmethod
    def user(
        user_id: int,
        first_name: str = "Kari",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "nb",
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username), ("language_code", language_code)):
            if value:
                user[key] = value
        return user

    @staticmethod
    def chat(chat_id: int, chat_type: str, user: dict[str, Any], title: str) -> dict[str, Any]:
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            chat.update({key: user[key] for key in ("last_name", "username") if key in user})
            return chat
        return {"id": chat_id, "type": chat_type, "title": title}

    def _update(self, kind: str, payload: dict[str, Any]) -> Update:
        return {"update_id": next(self._update_ids), kind: payload}

    @staticmethod
    def _file(kind: str) -> dict[str, Any]:
        unique = uuid.uuid4().hex
        return {"file_id": f"{kind.upper()}-{unique}", "file_unique_id": unique[:16]}


def _caption(caption: str | None) -> dict[str, Any]:
    return {"caption": caption} if caption is not None else {}
