"""The chat says once, in the person's language, that numbers were hidden from an answer; placeholders too."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from surveys.i18n import t
from surveys.models import Answer
from tests.support.chat_driver import ChatDriver

FNR = "01018012371"  # control digits worked out by hand in test_deidentify.py


@pytest.mark.parametrize(
    ("language", "placeholder"), [("nb", "[fødselsnummer]"), ("sv", "[personnummer]"), ("en", "[ID number]")]
)
async def test_hidden_numbers_are_explained_once(
    conversation_engine, make_campaign, sessions, language: str, placeholder: str
) -> None:
    campaign = await make_campaign(languages=language)
    chat = ChatDriver(conversation_engine, f"person-{language}", language_hint=language)
    await chat.start(campaign.code)
    await chat.press(t(language, "consent.yes"))
    reply = await chat.say(f"Ring datteren min, fnr {FNR}")
    assert reply.texts[0].startswith(t(language, "privacy.numbers_hidden"))  # opens the next message
    assert len(reply.texts) == 1  # no extra message: the channels' flows stay as they were
    reply = await chat.say("Og 912 34 567 er nummeret hennes")
    assert not any(t(language, "privacy.numbers_hidden") in text for text in reply.texts)  # once per conversation
    async with sessions() as session:
        texts = (await session.exec(select(Answer.text).order_by(col(Answer.id)))).all()
    assert len(texts) == 2
    assert texts[0] == f"Ring datteren min, fnr {placeholder}" and FNR not in " ".join(texts)


async def test_answers_without_identifiers_get_no_explanation(conversation_engine, make_campaign) -> None:
    campaign = await make_campaign(languages="nb")
    chat = ChatDriver(conversation_engine, "person-plain")
    await chat.start(campaign.code)
    await chat.press(t("nb", "consent.yes"))
    reply = await chat.say("Kaffe med de andre")
    assert not any(t("nb", "privacy.numbers_hidden") in text for text in reply.texts)
