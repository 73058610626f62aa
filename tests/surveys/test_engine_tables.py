"""The engine's tables are the seam: a question kind is one entry, a payload one encode and one decode."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from surveys.engine import KINDS, Payload, QuestionKindSpec
from surveys.i18n import t
from surveys.models import Answer, Question
from tests.support.chat_driver import ChatDriver


@pytest.mark.parametrize(
    "payload",
    [
        Payload("yes", turn=3),
        Payload("o", "sykehjem", 12),
        Payload("lang", "nn"),
        Payload("del", "no"),
        Payload("skip"),
    ],
)
def test_a_payload_survives_its_encoding(payload: Payload) -> None:
    assert Payload.decode(payload.encode()) == payload
    assert len(payload.encode().encode()) <= 64


@pytest.mark.parametrize("raw", [None, "", "yes", "x.yes", "3", "3.", "-1.yes"])
def test_a_payload_that_is_not_ours_decodes_to_nothing(raw: str | None) -> None:
    assert Payload.decode(raw) is None


async def test_a_new_question_kind_is_one_entry(conversation_engine, sessions, make_campaign, monkeypatch) -> None:
    yes, no = t("nb", "consent.yes"), t("nb", "consent.no")
    kind = QuestionKindSpec(
        "yesno",
        action="y",
        options=lambda question, language: [("1", yes), ("0", no)],
        answer_for=lambda question, value, language: {"1": "ja", "0": "nei"}.get(value),
        value_for_words=lambda question, words, language: {"ja": "1", "nei": "0"}.get(words),
    )
    monkeypatch.setitem(KINDS, "yesno", kind)

    campaign = await make_campaign()
    async with sessions() as session, session.begin():
        question = (await session.exec(select(Question).where(Question.key == "more_of_it"))).one()
        question.kind = "yesno"
        session.add(question)

    chat = ChatDriver(conversation_engine, "yesno-person")
    await chat.start(campaign.code)
    await chat.press(t("nb", "consent.yes"))
    await chat.say("Å gå tur i skogen")
    await chat.press(t("nb", "question.no_more"))
    assert [b.label for b in chat.buttons()] == [yes, no, t("nb", "question.skip")]
    stale = chat.button(no).payload
    await chat.say("kanskje")  # words that mean no option: the hint, then the question again
    assert chat.last.texts[0] == t("nb", "error.not_understood") and chat.button(yes)
    await chat.press(yes)
    assert t("nb", "summary.intro") in chat.text
    await chat.press_payload(stale)  # the "no" button of the earlier prompt is stale now
    assert chat.last.notice == t("nb", "error.stale_button")
    async with sessions() as session:
        texts = (await session.exec(select(Answer.text).order_by(col(Answer.position)))).all()
    assert texts == ["Å gå tur i skogen", "ja"]
