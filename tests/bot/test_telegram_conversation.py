"""A citizen answers through Telegram from the deep link to the thanks, in polling and in webhook mode.

The real python-telegram-bot stack talks HTTP to the fake Bot API; the answers must end up in the export, and
delete-my-data from the chat must remove them from the database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from surveys.campaigns import require_campaign
from surveys.commands import COMMAND_NAMES, Command
from surveys.engine.steps import default_privacy
from surveys.exporter import collect_rows
from surveys.i18n import t
from surveys.models import Answer, ChannelContact, Conversation, ProcessedUpdate, Respondent
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.support.factories import UNIT_NAME
from tests.support.fake_bot_api import FakeBotApi

ANSWERS = {
    "nb": ["Å være sammen med barnebarna", "Kaffe med de andre på huset", "At de ansatte har tid til en prat"],
    "nn": ["Å vere saman med familien", "Kome meg ut på tur", "Få hjelp av dei same folka"],
    "sv": ["Att träffa mina barnbarn", "Fika med de andra", "Att få gå ut varje dag"],
    "en": ["Seeing my grandchildren", "Coffee with the others", "Getting out for a walk"],
}
LANGUAGE_BUTTON = {"nn": "Nynorsk", "sv": "Svenska", "en": "English"}
PROMPTS = {
    "nb": "Hva er viktig for deg?",
    "nn": "Kva er viktig for deg?",
    "sv": "Vad är viktigt för dig?",
    "en": "What matters to you?",
}


async def count(sessions, model) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def answer_survey(person: Person, code: str, language: str) -> None:
    """From the deep link to the thanks; asserts what the person sees at each step."""
    if language == "nb":  # the client's language is the campaign's main language: no question about it
        [welcome] = await person.start(code)
    else:  # another client language is offered the choice: pressing it is the language button
        [choose] = await person.start(code)
        assert choose == t("nb", "language.choose")
        assert LANGUAGE_BUTTON[language] in person.buttons()
        changed, welcome = await person.press(LANGUAGE_BUTTON[language], expect=2)
        assert changed == t(language, "language.changed")
    assert default_privacy(language, UNIT_NAME, 12) in welcome and t(language, "consent.ask") in welcome
    assert [PROMPTS[language]] == await person.press(t(language, "consent.yes"))
    first, second, third = ANSWERS[language]
    await person.say(first)
    assert t(language, "question.no_more") in person.buttons()
    await person.say(second)
    await person.press(t(language, "question.no_more"))
    [summary] = await person.say(third)
    assert t(language, "summary.intro") in summary and all(text in summary for text in ANSWERS[language])
    thanks, reference = await person.press(t(language, "summary.send"), expect=2)
    assert thanks == t(language, "done.thanks")
    assert reference.startswith(t(language, "done.reference", reference="").split("{")[0][:10])


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("language", ["nb", "nn", "sv", "en"])
async def test_deep_link_to_thanks_then_export_then_delete(
    fake_bot_api: FakeBotApi, sqlite_url: str, mode: str, language: str
) -> None:
    campaign = await campaign_in(sqlite_url)
    async with running_server(fake_bot_api, sqlite_url, mode) as server:
        person = Person(fake_bot_api, 7_100_001, language_code=language)
        await answer_survey(person, campaign.code, language)
        async with server.ctx.sessions() as session:
            rows = await collect_rows(session, await require_campaign(session, campaign.code))
        assert [row["text"] for row in rows] == ANSWERS[language]
        assert {row["language"] for row in rows} == {language}
        assert {row["source"] for row in rows} == {"self"}

        [confirm] = await person.say(f"/{COMMAND_NAMES[language][Command.delete]}")
        assert confirm == t(language, "delete.confirm")
        assert [t(language, "delete.done")] == await person.press(t(language, "delete.yes"))
        for model in (Answer, Conversation, Respondent, ChannelContact):
            assert await count(server.ctx.sessions, model) == 0, model.__name__
        assert await count(server.ctx.sessions, ProcessedUpdate) > 0  # only opaque update ids remain
    assert fake_bot_api.unanswered_callbacks == set()
    assert fake_bot_api.violations == []


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_startup_registers_commands_per_language_and_the_right_mode(
    fake_bot_api: FakeBotApi, sqlite_url: str, mode: str
) -> None:
    async with running_server(fake_bot_api, sqlite_url, mode) as server:
        assert server.mode == mode
        for language in ("nb", "nn", "sv", "en"):
            commands = fake_bot_api.commands(language)
            assert [c["command"] for c in commands] == list(COMMAND_NAMES[language].values())
            assert commands[-1]["description"] == t(language, "commands.delete")
        assert fake_bot_api.commands("") == fake_bot_api.commands("nb")
        if mode == "webhook":
            assert fake_bot_api.webhook is not None and fake_bot_api.webhook.url == f"{server.url}/telegram/webhook"
            assert fake_bot_api.webhook.secret_token
        else:
            await fake_bot_api.wait_for_calls("getUpdates")
            assert fake_bot_api.webhook is None
    assert fake_bot_api.violations == []


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_start_without_code_and_with_a_wrong_code(fake_bot_api: FakeBotApi, sqlite_url: str, mode: str) -> None:
    async with running_server(fake_bot_api, sqlite_url, mode) as server:
        person = Person(fake_bot_api, 7_100_002)
        assert [t("nb", "campaign.how_to_start")] == await person.start(None)
        assert [t("nb", "campaign.unknown_code")] == await person.start("NOSUCHCODE")
        assert await count(server.ctx.sessions, Respondent) == 0
    assert fake_bot_api.violations == []
