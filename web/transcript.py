"""What the web chat shows of this visit, kept in this process's memory only (never in a cookie or the database).

It is a display convenience: bounded in size and age, and when it is gone (another process, a restart) the chat
asks the engine to resume, which repeats the current question.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from surveys.messages import Button, Reply


@dataclass
class Line:
    who: str  # "bot" | "me"
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass
class Transcript:
    lines: list[Line] = field(default_factory=list)
    language: str = "nb"
    touched: float = field(default_factory=time.monotonic)

    def add_reply(self, reply: Reply) -> list[Line]:
        for line in self.lines:
            line.buttons = ()  # only the latest prompt's buttons are live
        new = [Line("bot", message.text, message.buttons) for message in reply.messages]
        self.lines.extend(new)
        self.language = reply.language or self.language
        del self.lines[:-MAX_LINES]
        return new


MAX_LINES = 60
MAX_VISITS = 5000
MAX_AGE_SECONDS = 3 * 3600


class TranscriptStore:
    def __init__(self) -> None:
        self._visits: OrderedDict[tuple[str, str], Transcript] = OrderedDict()

    def get(self, visitor: str, code: str) -> Transcript | None:
        key = (visitor, code)
        transcript = self._visits.get(key)
        if transcript is None or time.monotonic() - transcript.touched > MAX_AGE_SECONDS:
            self._visits.pop(key, None)
            return None
        self._visits.move_to_end(key)
        return transcript

    def create(self, visitor: str, code: str) -> Transcript:
        transcript = Transcript()
        self._visits[(visitor, code)] = transcript
        while len(self._visits) > MAX_VISITS:
            self._visits.popitem(last=False)
        return transcript

    def touch(self, transcript: Transcript) -> None:
        transcript.touched = time.monotonic()
