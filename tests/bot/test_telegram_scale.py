"""200 people answering at the same time through the real server: all complete, nothing lost or duplicated."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func
from sqlmodel import select

from surveys.i18n import t
from surveys.models import Answer, Conversation, ConversationStatus
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.support.fake_bot_api import FakeBotApi

PEOPLE = 200


async def respondent(fake: FakeBotApi, code: str, number: int) -> None:
    """Each person waits for the bot's reply before writing again, like a person."""
    person = Person(fake, 8_000_000 + number)
    await person.start(code, timeout=60)
    await person.press(t("nb", "consent.yes"), timeout=60)
    await person.say(f"Svar {number} a", timeout=60)
    await person.say(f"Svar {number} b", timeout=60)
    await person.press(t("nb", "question.no_more"), timeout=60)
    await person.say(f"Svar {number} c", timeout=60)
    thanks, _reference = await person.press(t("nb", "summary.send"), expect=2, timeout=60)
    assert thanks == t("nb", "done.thanks")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_200_people_at_once_all_complete(fake_bot_api: FakeBotApi, sqlite_url: str, mode: str) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, mode, reminder_interval=None) as server:
        await asyncio.gather(*(respondent(fake_bot_api, campaign.code, n) for n in range(PEOPLE)))
        async with server.ctx.sessions() as session:
            texts = list((await session.exec(select(Answer.text))).all())
            completed = await session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.status == ConversationStatus.completed.value)
            )
    expected = sorted(f"Svar {n} {part}" for n in range(PEOPLE) for part in "abc")
    assert sorted(texts) == expected  # none lost, none twice
    assert completed == PEOPLE
    for n in (0, PEOPLE // 2, PEOPLE - 1):
        assert len(fake_bot_api.sent_messages(8_000_000 + n)) == 8
    assert fake_bot_api.unanswered_callbacks == set()
    assert fake_bot_api.violations == []
