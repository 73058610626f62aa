"""A person in the web chat over real HTTP, posting the forms as the page script does (JSON back)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from surveys.i18n import t
from tests.web.conftest import Client

NONCE = re.compile(r'name="nonce" value="([^"]+)"')
PAGE_BUTTON = re.compile(r'<button type="submit" name="payload" value="([^"]+)">([^<]+)</button>')


@dataclass
class ChatVisit:
    client: Client
    code: str
    nonce: str = ""
    buttons: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)

    async def open(self) -> str:
        response = await self.client.get(f"/s/{self.code}", headers={"Accept-Language": "nb-NO,nb;q=0.9"})
        assert response.status == 200, response.status
        html = self.client.last_html
        match = NONCE.search(html)
        assert match, "no form on the chat page"
        self.nonce = match.group(1)
        self.buttons = {label: payload for payload, label in PAGE_BUTTON.findall(html)}
        return html

    async def send(self, text: str = "", payload: str = "") -> dict[str, Any]:
        response = await self.client.post(
            f"/s/{self.code}",
            {"text": text, "payload": payload, "nonce": self.nonce},
            headers={"Accept": "application/json", "Accept-Language": "nb-NO,nb;q=0.9"},
        )
        assert response.status == 200, await response.text()
        self.last = await response.json()
        self.nonce = self.last["nonce"]
        for line in self.last["lines"]:
            self.texts.append(line["text"])
            if line["buttons"]:
                self.buttons = {b["label"]: b["payload"] for row in line["buttons"] for b in row}
        return self.last

    async def press(self, label: str) -> dict[str, Any]:
        assert label in self.buttons, (label, self.buttons)
        return await self.send(payload=self.buttons[label])

    async def answer_everything(self, first: str, second: str) -> None:
        """Consent, two answers, send the summary: the conversation is complete."""
        await self.press(t("nb", "consent.yes"))
        await self.send(first)
        await self.press(t("nb", "question.no_more"))
        await self.send(second)
        assert self.last["end_label"] == "Avslutt"  # the summary offers to end the visit
        await self.press(t("nb", "summary.send"))
        assert t("nb", "done.thanks") in self.texts
        assert self.last["end_label"] == "Ferdig – neste person"
