"""What the web chat shows of this visit, kept in this process's memory only (never in a cookie or the database).

It is a display convenience, and it holds personal data, so it is kept small and short-lived:

- a person's own words appear only as they were stored, after de-identification (the channel passes them in
  redacted), and only messages the engine could accept;
- it is bounded in bytes per visit and in total (settings), in lines, and in age; the oldest lines and then the
  least recently used visits go first;
- `/slett` clears it, "Ferdig – neste person" drops it, and a finished conversation is shown once at most (the
  page that follows the last answer), never to a later page load on a shared device.

When it is gone (another process, a restart) the chat asks the engine to resume, which repeats the current question.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from surveys.messages import Button, Reply

MAX_LINES = 60
MAX_AGE_SECONDS = 3 * 3600
DEFAULT_VISIT_BYTES = 64 * 1024
DEFAULT_TOTAL_BYTES = 32 * 1024 * 1024
LINE_OVERHEAD = 120  # bytes a line costs besides its text: the object, its fields, list slots (a fair estimate)
VISIT_OVERHEAD = 400  # bytes a visit costs besides its lines: key, transcript object, dictionary slot


@dataclass
class Line:
    who: str  # "bot" | "me"
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    link: str = ""  # a bot line's address to click (the public page); the text holds it without its ?query

    @property
    def size(self) -> int:
        """Bytes this line holds, counted as UTF-8 (what a flood of long messages would grow)."""
        labels = sum(len(b.label.encode()) + len(b.payload.encode()) for row in self.buttons for b in row)
        return LINE_OVERHEAD + len(self.text.encode()) + labels + len(self.link.encode())


@dataclass
class Transcript:
    lines: list[Line] = field(default_factory=list)
    language: str = "nb"
    touched: float = field(default_factory=time.monotonic)
    step: str | None = None  # the engine's step after the latest reply ("summary", "done", ...)
    finished_at: float | None = None  # when the conversation was completed or declined in this visit
    show_finished_once: bool = False  # the page load right after the last form post may show the thanks
    reset_after: int | None = None  # a kiosk campaign: seconds the thanks stay before the next person's welcome
    size: int = VISIT_OVERHEAD

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class TranscriptStore:
    """Transcripts per (visitor, campaign code), bounded by `visit_bytes` each and `total_bytes` together."""

    def __init__(self, visit_bytes: int = DEFAULT_VISIT_BYTES, total_bytes: int = DEFAULT_TOTAL_BYTES) -> None:
        self.visit_bytes = visit_bytes
        self.total_bytes = max(total_bytes, visit_bytes)
        self._visits: OrderedDict[tuple[str, str], Transcript] = OrderedDict()
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes held by every transcript together (by the same count the bounds use)."""
        return self._size

    def __len__(self) -> int:
        return len(self._visits)

    def get(self, visitor: str, code: str) -> Transcript | None:
        key = (visitor, code)
        transcript = self._visits.get(key)
        if transcript is None or time.monotonic() - transcript.touched > MAX_AGE_SECONDS:
            self.drop(visitor, code)
            return None
        self._visits.move_to_end(key)
        return transcript

    def create(self, visitor: str, code: str) -> Transcript:
        self.drop(visitor, code)
        transcript = Transcript()
        self._visits[(visitor, code)] = transcript
        self._size += transcript.size
        self._evict(keep=transcript)
        return transcript

    def drop(self, visitor: str, code: str) -> None:
        """Forget one visit entirely ("Ferdig – neste person", a fresh visitor on a shared device)."""
        transcript = self._visits.pop((visitor, code), None)
        if transcript is not None:
            self._size -= transcript.size

    def touch(self, transcript: Transcript) -> None:
        transcript.touched = time.monotonic()

    def clear(self, transcript: Transcript) -> None:
        """Remove every line (after `/slett`): nothing of what was erased may be shown again."""
        self._size -= transcript.size - VISIT_OVERHEAD
        transcript.lines.clear()
        transcript.size = VISIT_OVERHEAD

    def add_line(self, transcript: Transcript, line: Line) -> Line:
        line = self._fitted(line)
        transcript.lines.append(line)
        transcript.size += line.size
        self._size += line.size
        self._trim(transcript)
        return line

    def add_reply(self, transcript: Transcript, reply: Reply) -> list[Line]:
        for line in transcript.lines:
            if line.buttons:  # only the latest prompt's buttons are live
                removed = line.size
                line.buttons = ()
                transcript.size -= removed - line.size
                self._size -= removed - line.size
        new = [self.add_line(transcript, Line("bot", message.text, message.buttons)) for message in reply.messages]
        transcript.language = reply.language or transcript.language
        transcript.step = reply.step
        if reply.finished and transcript.finished_at is None:
            transcript.finished_at = time.monotonic()
        return new

    def _fitted(self, line: Line) -> Line:
        """A line never larger than a whole visit may be: a longer text is cut (shown, not stored, text)."""
        room = self.visit_bytes - VISIT_OVERHEAD - LINE_OVERHEAD
        if line.size <= room + LINE_OVERHEAD:
            return line
        text = line.text.encode()[: max(0, room - 200)].decode(errors="ignore") + " …"
        return Line(line.who, text, ())

    def _trim(self, transcript: Transcript) -> None:
        while len(transcript.lines) > 1 and (transcript.size > self.visit_bytes or len(transcript.lines) > MAX_LINES):
            removed = transcript.lines.pop(0)
            transcript.size -= removed.size
            self._size -= removed.size
        self._evict(keep=transcript)

    def _evict(self, keep: Transcript) -> None:
        """Drop the least recently used visits until the total fits (never the one being written)."""
        while self._size > self.total_bytes and len(self._visits) > 1:
            key, oldest = next(iter(self._visits.items()))
            if oldest is keep:
                self._visits.move_to_end(key)
                key, oldest = next(iter(self._visits.items()))
            del self._visits[key]
            self._size -= oldest.size
