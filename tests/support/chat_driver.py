"""A person talking to the engine: sends text, presses buttons by their label, remembers the last reply."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from surveys.engine import ConversationEngine
from surveys.messages import Button, Incoming, IncomingKind, Reply

_update_ids = itertools.count(1)


@dataclass
class ChatDriver:
    engine: ConversationEngine
    user_ref: str
    channel: str = "telegram"
    language_hint: str | None = "nb"
    campaign_code: str | None = None
    source: str = "self"
    address: str | None = None  # how the channel could reach the person later (Telegram's chat id)
    last: Reply = field(default_factory=Reply)
    transcript: list[str] = field(default_factory=list)

    async def send(self, kind: IncomingKind, **values: Any) -> Reply:
        values.setdefault("update_key", f"{self.channel}:{next(_update_ids)}")
        values.setdefault("address", self.address)
        incoming = Incoming(
            channel=self.channel,
            user_ref=self.user_ref,
            kind=kind,
            language_hint=self.language_hint,
            campaign_code=self.campaign_code,
            source=self.source,
            **values,
        )
        self.last = await self.engine.handle(incoming)
        self.transcript.extend(self.last.texts)
        return self.last

    async def start(self, code: str | None) -> Reply:
        return await self.send(IncomingKind.command, command="start", argument=code)

    async def say(self, text: str, **values: object) -> Reply:
        return await self.send(IncomingKind.text, text=text, **values)

    def buttons(self) -> list[Button]:
        return [button for message in self.last.messages for button in message.flat_buttons]

    def button(self, label: str) -> Button:
        for button in self.buttons():
            if button.label == label:
                return button
        raise AssertionError(
            f"no button {label!r}; buttons: {[b.label for b in self.buttons()]}; texts: {self.last.texts}"
        )

    async def press(self, label: str) -> Reply:
        return await self.send(IncomingKind.choice, payload=self.button(label).payload)

    async def press_payload(self, payload: str) -> Reply:
        return await self.send(IncomingKind.choice, payload=payload)

    @property
    def text(self) -> str:
        return "\n".join(self.last.texts)
