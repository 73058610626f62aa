"""The conversation engine, on SQLite and PostgreSQL: the whole flow, rights, restarts and concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, select

from surveys.campaigns import require_campaign, set_status
from surveys.engine import ConversationEngine
from surveys.engine.steps import default_privacy
from surveys.i18n import t
from surveys.messages import IncomingKind
from surveys.models import (
    Answer,
    CampaignStatus,
    ChannelContact,
    Conversation,
    ConversationStatus,
    ProcessedUpdate,
    Question,
    Respondent,
)
from tests.conftest import TEST_SECRET
from tests.support.chat_driver import ChatDriver
from tests.support.factories import UNIT_NAME, count

ANSWERS = {
    "nb": ["Å være sammen med barnebarna", "Kaffe med de andre på huset", "At de ansatte har tid til en prat"],
    "nn": ["Å vere saman med familien", "Kome meg ut på tur", "Få hjelp av dei same folka"],
    "sv": ["Att träffa mina barnbarn", "Fika med de andra", "Att få gå ut varje dag"],
    "en": ["Seeing my grandchildren", "Coffee with the others", "Getting out for a walk"],
}


async def answer_texts(sessions, campaign_id: int) -> list[str]:
    async with sessions() as session:
        rows = await session.exec(select(Answer).where(Answer.campaign_id == campaign_id).order_by(col(Answer.id)))
        return [answer.text for answer in rows]


async def go_to_first_question(chat: ChatDriver, code: str, language: str) -> None:
    await chat.start(code)
    if language != "nb":
        await chat.press({"nn": "Nynorsk", "sv": "Svenska", "en": "English"}[language])
    assert t(language, "consent.ask") in chat.text
    await chat.press(t(language, "consent.yes"))


@pytest.mark.parametrize("language", ["nb", "nn", "sv", "en"])
async def test_full_flow_in_each_language(conversation_engine, sessions, make_campaign, language: str) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, f"person-{language}", language_hint=language)
    await chat.start(campaign.code)
    if language != "nb":  # a client language other than the main one is offered the choice
        assert t("nb", "language.choose") in chat.text
        await chat.press({"nn": "Nynorsk", "sv": "Svenska", "en": "English"}[language])
    assert campaign.name in chat.text
    assert default_privacy(language, UNIT_NAME, campaign.retention_months) in chat.text
    await chat.press(t(language, "consent.yes"))
    prompts = {
        "nb": "Hva er viktig for deg?",
        "nn": "Kva er viktig for deg?",
        "sv": "Vad är viktigt för dig?",
        "en": "What matters to you?",
    }
    assert chat.text == prompts[language]
    first, second, third = ANSWERS[language]
    await chat.say(first)
    assert chat.button(t(language, "question.no_more"))
    await chat.say(second)
    await chat.press(t(language, "question.no_more"))
    await chat.say(third)  # "what can we do so you get more of this?"
    assert t(language, "summary.intro") in chat.text
    for text in (first, second, third):
        assert text in chat.text
    await chat.press(t(language, "summary.send"))
    assert t(language, "done.thanks") in chat.text
    assert chat.last.finished
    assert await answer_texts(sessions, campaign.id) == [first, second, third]
    async with sessions() as session:
        answers = (await session.exec(select(Answer).where(Answer.campaign_id == campaign.id))).all()
        assert {answer.language for answer in answers} == {language}
        assert {answer.channel for answer in answers} == {"telegram"}
        conversation = (await session.exec(select(Conversation))).one()
        assert conversation.status == ConversationStatus.completed.value
        assert conversation.consent_version == 1 and conversation.consent_at is not None


async def test_refused_consent_stores_nothing(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "no-thanks")
    await chat.start(campaign.code)
    await chat.press(t("nb", "consent.no"))
    assert t("nb", "consent.declined") in chat.text
    assert await count(sessions, Respondent) == 0
    assert await count(sessions, Conversation) == 0
    assert await count(sessions, Answer) == 0


async def test_typed_yes_and_optional_skip(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "typist")
    await chat.start(campaign.code)
    await chat.say("JA")
    await chat.say("Hagen min 🌷")
    await chat.say("nei")  # nothing more
    await chat.press(t("nb", "question.skip"))
    assert t("nb", "summary.intro") in chat.text
    await chat.say("ja")
    assert t("nb", "done.thanks") in chat.text
    assert await answer_texts(sessions, campaign.id) == ["Hagen min 🌷"]


async def test_change_an_answer_at_the_summary(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "changer")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("Familien")
    await chat.say("Kaffe")
    await chat.press(t("nb", "question.no_more"))
    await chat.press(t("nb", "question.skip"))
    await chat.press(t("nb", "summary.change"))
    await chat.press("2")
    assert "Kaffe" in chat.text
    await chat.say("Kaffe med naboen hver fredag")
    assert t("nb", "edit.saved") in chat.text
    assert "2. Kaffe med naboen hver fredag" in chat.text
    await chat.press(t("nb", "summary.send"))
    assert await answer_texts(sessions, campaign.id) == ["Familien", "Kaffe med naboen hver fredag"]
    async with sessions() as session:
        changed = (await session.exec(select(Answer).where(Answer.text == "Kaffe med naboen hver fredag"))).one()
        assert changed.edited_at is not None


async def test_edited_message_updates_its_answer(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "editor")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("Turr i skogen", message_key="chat:17")
    await chat.send(IncomingKind.edit, text="Tur i skogen", message_key="chat:17")
    assert t("nb", "edit.saved") in chat.text
    assert await answer_texts(sessions, campaign.id) == ["Tur i skogen"]


async def test_cancel_keeps_answers_and_stops(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "canceller")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("Musikk")
    await chat.say("/avbryt")
    assert t("nb", "cancel.done") in chat.text
    await chat.say("hallo?")
    assert t("nb", "campaign.how_to_start") in chat.text
    assert await answer_texts(sessions, campaign.id) == ["Musikk"]
    await chat.start(campaign.code)  # the link again: continue where it stopped
    assert t("nb", "welcome.back") in chat.text
    assert "Er det noe mer som er viktig for deg?" in chat.text


async def test_delete_my_data_removes_everything(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign(reminder_after_hours=24)
    other = ChatDriver(conversation_engine, "bystander")
    await go_to_first_question(other, campaign.code, "nb")
    await other.say("Å bo hjemme")
    chat = ChatDriver(conversation_engine, "forget-me")
    await chat.send(IncomingKind.command, command="start", argument=campaign.code, address="5550001")
    await chat.press(t("nb", "consent.yes"))
    await chat.say("Hunden min")
    assert await count(sessions, ChannelContact) == 1
    await chat.say("/mine_data")
    assert chat.last.respondent_reference is not None
    assert "Hunden min" in chat.text and chat.last.respondent_reference in chat.text
    await chat.say("/slett")
    assert t("nb", "delete.confirm") in chat.text
    await chat.press(t("nb", "delete.yes"))
    assert t("nb", "delete.done") in chat.text
    assert await answer_texts(sessions, campaign.id) == ["Å bo hjemme"]
    assert await count(sessions, Respondent) == 1
    assert await count(sessions, Conversation) == 1
    assert await count(sessions, ChannelContact) == 0
    await chat.say("/mine_data")
    assert t("nb", "mydata.none") in chat.text


async def test_delete_can_be_declined(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "keeper")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("Kirken")
    await chat.say("/slett")
    await chat.say("nei")
    assert t("nb", "delete.kept") in chat.text
    assert await answer_texts(sessions, campaign.id) == ["Kirken"]


async def test_restart_resumes_at_the_same_step(database_url, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    first = ChatDriver(ConversationEngine(sessions, secret_key=TEST_SECRET), "restarter")
    await go_to_first_question(first, campaign.code, "nb")
    await first.say("Barnebarna")
    old_button = first.button(t("nb", "question.no_more")).payload
    # A new engine (as in another process) over the same database continues exactly there.
    from surveys.db import create_engine, session_factory

    other_db = create_engine(database_url)
    try:
        second = ChatDriver(ConversationEngine(session_factory(other_db), secret_key=TEST_SECRET), "restarter")
        await second.press_payload(old_button)
        assert "Hva kan vi gjøre" in second.text
        await second.say("Flere besøk")
        await second.press(t("nb", "summary.send"))
        assert t("nb", "done.thanks") in second.text
    finally:
        await other_db.dispose()
    assert await answer_texts(sessions, campaign.id) == ["Barnebarna", "Flere besøk"]


@pytest.mark.parametrize("language", ["nb", "nn", "sv", "en"])
async def test_default_privacy_text_names_the_unit_the_retention_and_keeps_names_honest(
    conversation_engine, make_campaign, language: str
) -> None:
    campaign = await make_campaign(unit="Sykehjemmet Vest", retention_months=18)
    chat = ChatDriver(conversation_engine, f"privacy-{language}", language_hint=language)
    await chat.start(campaign.code)
    if language != "nb":
        await chat.press({"nn": "Nynorsk", "sv": "Svenska", "en": "English"}[language])
    assert "Sykehjemmet Vest" in chat.text
    assert {"nb": "18 måneder", "nn": "18 månader", "sv": "18 månader", "en": "18 months"}[language] in chat.text
    # A name typed in an answer is kept (docs/privacy.md): the text must not promise otherwise, and says so.
    broken_promises = ("ikke navnet ditt", "ikkje namnet ditt", "inte ditt namn", "not your name")
    assert not any(promise in chat.text for promise in broken_promises)
    name_kept = {
        "nb": "skriver du et navn i svaret, blir det lagret",
        "nn": "skriv du eit namn i svaret, blir det lagra",
        "sv": "om du skriver ett namn i svaret sparas det",
        "en": "if you write a name in an answer, it is stored",
    }
    assert name_kept[language] in chat.text
    one_month = {"nb": "én måned", "nn": "éin månad", "sv": "en månad", "en": "one month"}
    assert f" {one_month[language]} " in default_privacy(language, "Sykehjemmet Vest", 1)


async def test_stale_and_double_tapped_buttons_do_no_harm(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "double-tapper")
    await chat.start(campaign.code)
    yes = chat.button(t("nb", "consent.yes")).payload
    await chat.press_payload(yes)
    await chat.press_payload(yes)  # the second tap of a double tap
    assert chat.last.messages == [] and chat.last.notice == t("nb", "error.stale_button")
    await chat.say("Sol og frisk luft")
    done = chat.button(t("nb", "question.no_more")).payload
    await chat.press_payload(done)
    await chat.press_payload(done)
    assert chat.last.notice == t("nb", "error.stale_button")
    assert await answer_texts(sessions, campaign.id) == ["Sol og frisk luft"]


async def test_an_old_button_can_repeat_the_current_question(conversation_engine, sessions, make_campaign) -> None:
    """A channel whose old buttons can sit out of sight of the current question (the web chat's second tab) asks
    for the current question again: one friendly line, then the question with buttons that work."""
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "two-tabs", channel="web", campaign_code=campaign.code)
    await chat.start(campaign.code)
    no = chat.button(t("nb", "consent.no")).payload
    await chat.press(t("nb", "consent.yes"))
    await chat.say("Sol og frisk luft")
    await chat.send(IncomingKind.choice, payload=no, repeat_on_stale=True)
    assert chat.last.notice is None
    [message] = chat.last.messages
    assert message.text.startswith(t("nb", "error.stale_repeat")) and "Er det noe mer" in message.text
    await chat.press(t("nb", "question.no_more"))  # the repeated button is the live one
    assert chat.last.notice is None and chat.last.messages
    await chat.press_payload(no)  # without asking for it: the notice only, as Telegram shows it
    assert chat.last.messages == [] and chat.last.notice == t("nb", "error.stale_button")
    assert await answer_texts(sessions, campaign.id) == ["Sol og frisk luft"]


async def test_same_update_twice_is_processed_once(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "redelivered")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("Maten", update_key="telegram:999")
    reply = await chat.say("Maten", update_key="telegram:999")
    assert reply.duplicate and reply.messages == []
    assert await answer_texts(sessions, campaign.id) == ["Maten"]
    assert await count(sessions, ProcessedUpdate, ProcessedUpdate.key == "telegram:999") == 1


async def test_concurrent_messages_are_all_kept_in_order(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "fast-typer")
    await go_to_first_question(chat, campaign.code, "nb")
    texts = [f"svar nummer {n}" for n in range(12)]
    # Fire them at once, as a quick typist's messages arrive; the engine must keep every one, in arrival order.
    await asyncio.gather(*(chat.say(text) for text in texts))
    assert await answer_texts(sessions, campaign.id) == texts
    async with sessions() as session:
        positions = (await session.exec(select(Answer.position).order_by(col(Answer.id)))).all()
    assert list(positions) == list(range(1, 13))


async def test_concurrent_duplicates_from_two_engines(sessions, make_campaign) -> None:
    """Two engines (as two processes) get the same updates at once: each is stored exactly once."""
    campaign = await make_campaign()
    a = ConversationEngine(sessions, secret_key=TEST_SECRET)
    b = ConversationEngine(sessions, secret_key=TEST_SECRET)
    chat_a = ChatDriver(a, "twice")
    await go_to_first_question(chat_a, campaign.code, "nb")
    chat_b = ChatDriver(b, "twice")
    for n in range(5):
        key = f"telegram:dup-{n}"
        await asyncio.gather(chat_a.say(f"svar {n}", update_key=key), chat_b.say(f"svar {n}", update_key=key))
    assert await answer_texts(sessions, campaign.id) == [f"svar {n}" for n in range(5)]


async def test_closed_campaign_refuses_politely(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "late")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("Før stengning")
    async with sessions() as session, session.begin():
        await set_status(session, await require_campaign(session, campaign.code), CampaignStatus.closed)
    await chat.say("Etter stengning")
    assert t("nb", "campaign.closed") in chat.text
    newcomer = ChatDriver(conversation_engine, "newcomer")
    await newcomer.start(campaign.code)
    assert t("nb", "campaign.closed") in newcomer.text
    assert await answer_texts(sessions, campaign.id) == ["Før stengning"]
    assert await count(sessions, Respondent) == 1


async def test_draft_and_unknown_codes(conversation_engine, make_campaign) -> None:
    draft = await make_campaign(name="Utkast", draft=True)
    chat = ChatDriver(conversation_engine, "curious")
    await chat.start(draft.code)
    assert t("nb", "campaign.not_open") in chat.text
    await chat.start("doesnotexist")
    assert t("nb", "campaign.unknown_code") in chat.text
    await chat.start(None)
    assert t("nb", "campaign.how_to_start") in chat.text


async def test_bad_input_gets_a_clear_message(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "messy")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.send(IncomingKind.unsupported)
    assert t("nb", "error.only_text") in chat.text
    await chat.say("   \n ")
    assert t("nb", "error.empty") in chat.text
    huge = "Lang tekst. " * 1000  # 12 000 characters are kept whole
    await chat.say(huge)
    await chat.say("x" * 20_001)
    assert "20000" in chat.text
    assert await answer_texts(sessions, campaign.id) == [huge.strip()]


async def test_channel_not_offered(conversation_engine, make_campaign) -> None:
    campaign = await make_campaign(channels="web,staff")
    chat = ChatDriver(conversation_engine, "telegrammer")
    await chat.start(campaign.code)
    assert t("nb", "campaign.channel_not_offered") in chat.text


async def test_anonymous_campaign_unlinks_on_completion(conversation_engine, sessions, make_campaign) -> None:
    campaign = await make_campaign(anonymous=True)
    chat = ChatDriver(conversation_engine, "anon")
    await go_to_first_question(chat, campaign.code, "nb")
    assert t("nb", "privacy.anonymous") not in chat.text  # shown before consent, not after
    await chat.say("Å bli sett")
    await chat.press(t("nb", "question.no_more"))
    await chat.press(t("nb", "question.skip"))
    await chat.press(t("nb", "summary.send"))
    async with sessions() as session:
        answer = (await session.exec(select(Answer))).one()
        assert answer.respondent_id is None and answer.conversation_id is None and answer.message_key is None
    assert await count(sessions, Respondent) == 0
    assert await count(sessions, Conversation) == 0


async def test_language_can_be_changed_mid_conversation(conversation_engine, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "switcher")
    await go_to_first_question(chat, campaign.code, "nb")
    await chat.say("/sprak")
    await chat.press("Svenska")
    assert t("sv", "language.changed") in chat.text
    assert "Vad är viktigt för dig?" in chat.text


async def test_help_shows_commands_and_the_current_question(conversation_engine, make_campaign) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "helpme", language_hint="en")
    await chat.start(campaign.code)
    await chat.press("English")
    await chat.press(t("en", "consent.yes"))
    await chat.say("/help")
    assert "/mydata" in chat.text and "What matters to you?" in chat.text


async def test_choice_and_scale_questions(conversation_engine, sessions, make_campaign) -> None:
    from surveys.survey_files import install_survey, parse_survey

    definition = parse_survey(
        {
            "key": "kort",
            "title": {lang: "Kort" for lang in ("nb", "nn", "sv", "en")},
            "questions": [
                {
                    "key": "trives",
                    "kind": "scale",
                    "min": 1,
                    "max": 5,
                    "prompt": {lang: "Hvor godt trives du?" for lang in ("nb", "nn", "sv", "en")},
                },
                {
                    "key": "bor",
                    "kind": "choice",
                    "prompt": {lang: "Hvor bor du?" for lang in ("nb", "nn", "sv", "en")},
                    "options": [
                        {"key": "hjemme", "label": {lang: "Hjemme" for lang in ("nb", "nn", "sv", "en")}},
                        {"key": "sykehjem", "label": {lang: "Sykehjem" for lang in ("nb", "nn", "sv", "en")}},
                    ],
                },
            ],
        }
    )
    async with sessions() as session, session.begin():
        await install_survey(session, definition)
    campaign = await make_campaign(survey_key="kort")
    chat = ChatDriver(conversation_engine, "chooser")
    await go_to_first_question(chat, campaign.code, "nb")
    assert [b.label for b in chat.buttons()] == ["1", "2", "3", "4", "5"]
    await chat.say("7")
    assert t("nb", "question.scale_hint", low=1, high=5) in chat.text
    await chat.press("4")
    await chat.say("sykehjem")
    assert t("nb", "summary.intro") in chat.text
    assert await answer_texts(sessions, campaign.id) == ["4", "Sykehjem"]
    async with sessions() as session:
        keys = (await session.exec(select(Question.key).order_by(col(Question.position)))).all()
        assert "trives" in keys
