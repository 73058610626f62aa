"""What the steps and commands do: the moves of a conversation, shared by the step table and the command table."""

from __future__ import annotations

import logging

from surveys.campaigns import accepts_answers
from surveys.engine.kinds import kind_of
from surveys.engine.payloads import Payload
from surveys.engine.turn import Turn
from surveys.i18n import normalise_language, t
from surveys.ids import pk
from surveys.models import Campaign, Conversation, ConversationStatus, Question, QuestionKind
from surveys.notify import NOTIFY_CHANNELS, forget_contacts, has_contact, keep_contact
from surveys.settings import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger("surveys.engine")


class Step:
    """The step names stored in `Conversation.step`; `steps.STEPS` says what each one asks and accepts."""

    language = "language"
    consent = "consent"
    question = "question"
    more = "more"
    summary = "summary"
    edit_pick = "edit_pick"
    edit_text = "edit_text"
    done = "done"
    notify = "notify"  # after the thanks: "do you want to hear what we do with the answers?" (a completed conversation)


class Pending:
    """A question put to the respondent outside any conversation, stored in `Respondent.pending_action`."""

    confirm_delete = "confirm_delete"
    choose_language = "choose_language"


def channel_permission(channel: str) -> str:
    """Which campaign channel setting admits this channel (the terminal chat is staff entry)."""
    return channel if channel in ("telegram", "web") else "staff"


# ------------------------------------------------------------------ welcome
async def start(turn: Turn, code: str | None) -> None:
    """/start with a campaign code: welcome a new person, or take a returning one back to where they were."""
    campaign = await turn.find_campaign(code) if code else None
    if code and campaign is None:
        turn.say_key("campaign.unknown_code")
        return
    if campaign is None:
        if await turn.load_conversation() is not None:
            turn.say_key("welcome.back")
            await turn.prompt()
        else:
            turn.say_key("campaign.how_to_start")
        return
    turn.campaign = campaign
    adopt_campaign_language(turn)
    refusal = accepts_answers(campaign, turn.now)
    if refusal is None and channel_permission(turn.incoming.channel) not in campaign.channel_list:
        refusal = "campaign.channel_not_offered"
    if refusal is not None:
        turn.say_key(refusal)
        return
    respondent = await turn.ensure_respondent()
    conversation = await turn.conversation_in(campaign)
    if conversation is not None:
        turn.conversation = conversation
        if conversation.status == ConversationStatus.completed.value:
            await turn.steps[Step.done].prompt(turn)
            return
        if conversation.status == ConversationStatus.cancelled.value:
            conversation.status = ConversationStatus.active.value
        if conversation.step not in (Step.language, Step.consent):
            turn.say_key("welcome.back")
        turn.touch()
        await turn.prompt()
        return
    known = language_known(turn, campaign)
    if known and respondent.language != turn.language:
        respondent.language = turn.language
        turn.save(respondent)
    conversation = await turn.start_conversation(campaign, Step.consent if known else Step.language)
    await turn.remember_contact()
    await turn.advance_to(conversation.step, 0)


def adopt_campaign_language(turn: Turn) -> None:
    assert turn.campaign is not None
    languages = turn.campaign.language_list
    if turn.language not in languages:
        turn.language = languages[0] if languages else DEFAULT_LANGUAGE


def language_known(turn: Turn, campaign: Campaign) -> bool:
    languages = campaign.language_list
    if len(languages) <= 1:
        return True
    respondent = turn.respondent
    if respondent is not None and respondent.language_chosen and respondent.language in languages:
        return True
    hint = normalise_language(turn.incoming.language_hint, languages)
    if turn.incoming.channel in ("terminal", "staff"):
        return hint is not None  # staff say which language the person speaks, or are asked
    # A client language equal to the campaign's main language needs no question; anything else is offered.
    return hint == languages[0]


# ------------------------------------------------------------ language
async def ask_language_change(turn: Turn) -> None:
    respondent = await turn.ensure_respondent()
    respondent.pending_action = Pending.choose_language
    turn.save(respondent)
    await turn.load_conversation()
    languages = turn.campaign.language_list if turn.campaign else list(LANGUAGES)
    turn.say(t(turn.language, "language.choose"), turn.language_buttons(languages, respondent_level=True))


async def set_language(turn: Turn, language: str) -> None:
    assert turn.respondent is not None
    if language not in LANGUAGES:
        turn.stale()
        return
    turn.language = language
    turn.respondent.language = language
    turn.respondent.language_chosen = True
    turn.save(turn.respondent)
    turn.say_key("language.changed")
    conversation = await turn.load_conversation()
    if conversation is not None and conversation.status == ConversationStatus.active.value:
        if conversation.step == Step.language:
            await turn.advance_to(Step.consent, 0)
        else:
            await turn.prompt()


# ------------------------------------------------------------- consent
async def on_consent(turn: Turn, given: bool) -> None:
    conversation = turn.conversation
    assert conversation is not None and turn.campaign is not None
    if not given:
        await turn.drop_conversation(conversation)  # no consent means nothing stored
        turn.say_key("consent.declined")
        turn.reply.finished = True
        return
    conversation.consent_at = turn.now
    conversation.consent_version = turn.campaign.privacy_version
    pending, conversation.pending_text = conversation.pending_text, None
    if pending:
        # What they typed before saying yes is their first answer; go on from there, not from the question.
        conversation.step, conversation.question_index = Step.question, 0
        conversation.turn += 1
        question = await turn.current_question()
        if await turn.store_answer(question, pending):
            await after_answer(turn, question)
            return
    await turn.advance_to(Step.question, 0)


async def hold_before_consent(turn: Turn, text: str) -> bool:
    """Keep an answer typed before consent until yes or no; False when it cannot be an answer to the first question."""
    conversation = turn.conversation
    assert conversation is not None
    questions = await turn.questions()
    if not questions or questions[0].kind != QuestionKind.text.value:
        return False
    held = f"{conversation.pending_text}\n{text}" if conversation.pending_text else text
    if len(held) > turn.engine.max_answer_chars:
        return False
    conversation.pending_text = held
    turn.touch()
    return True


# ----------------------------------------------------------- questions
async def answer_option(turn: Turn, payload: Payload) -> None:
    """A button of a choice-like question (or typed words that mean one): store the option's text."""
    question = await turn.current_question()
    kind = kind_of(question)
    text = kind.answer_for(question, payload.value, turn.language) if payload.action == kind.action else None
    if text is None:
        turn.stale()
    elif await turn.store_answer(question, text):
        await after_answer(turn, question)


async def after_answer(turn: Turn, question: Question) -> None:
    assert turn.conversation is not None
    if question.repeat:
        await turn.advance_to(Step.more, turn.conversation.question_index)
    else:
        await next_question(turn)


async def next_question(turn: Turn) -> None:
    assert turn.conversation is not None
    index = turn.conversation.question_index + 1
    if index < len(await turn.questions()):
        await turn.advance_to(Step.question, index)
    else:
        await turn.advance_to(Step.summary, index)


# -------------------------------------------------------------- change
async def pick_answer_to_edit(turn: Turn, number_text: str) -> None:
    assert turn.conversation is not None
    answers = await turn.answers()
    if number_text.isdigit() and 1 <= int(number_text) <= len(answers):
        turn.conversation.editing_answer_id = answers[int(number_text) - 1].id
        await turn.advance_to(Step.edit_text, turn.conversation.question_index)
    else:
        turn.say_key("edit.pick")
        await turn.prompt()


async def back_to_summary(turn: Turn) -> None:
    assert turn.conversation is not None
    turn.conversation.editing_answer_id = None
    await turn.advance_to(Step.summary, turn.conversation.question_index)


async def replace_answer(turn: Turn, text: str) -> None:
    assert turn.conversation is not None
    answer = await turn.answer_being_edited()
    if answer is None or answer.conversation_id != turn.conversation.id:
        await turn.advance_to(Step.summary, turn.conversation.question_index)
        return
    if not await turn.acceptable(text):
        return
    await turn.replace_text(answer, text)
    turn.conversation.editing_answer_id = None
    turn.say_key("edit.saved")
    await turn.advance_to(Step.summary, turn.conversation.question_index)


async def on_edit(turn: Turn) -> None:
    """The person edited an earlier message that was an answer: the answer follows the edit."""
    if turn.respondent is None or not turn.incoming.message_key:
        return
    answer = await turn.answer_to_message()
    if answer is None:
        return  # the edited message was not an answer (a command, or something refused): nothing to update
    campaign = await turn.campaign_by_id(answer.campaign_id)
    refusal = accepts_answers(campaign, turn.now) if campaign else "campaign.closed"
    if refusal is not None:
        turn.say_key(refusal)
        return
    if not await turn.acceptable(turn.incoming.text, reprompt=False):
        return
    await turn.replace_text(answer, turn.incoming.text)
    turn.say_key("edit.saved")


# -------------------------------------------------------------- thanks
async def complete(turn: Turn) -> None:
    conversation = turn.conversation
    assert conversation is not None and turn.campaign is not None and turn.respondent is not None
    conversation.status = ConversationStatus.completed.value
    conversation.step = Step.done
    conversation.completed_at = turn.now
    conversation.reminder_due_at = None
    conversation.turn += 1
    turn.say_key("done.thanks")
    turn.reply.finished = True
    if turn.campaign.anonymous:
        await turn.unlink_anonymous(conversation)
    else:
        offer = await notify_offered(turn)
        if offer:
            conversation.step = Step.notify
        say_reference(turn, offer=offer)
    await turn.drop_contact_if_unneeded()


def say_reference(turn: Turn, *, offer: bool) -> None:
    """The erasure reference; with `offer` the question "tell me what you did?" rides on it (still two messages
    after "send", the thanks and this)."""
    assert turn.respondent is not None
    reference = t(turn.language, "done.reference", reference=turn.respondent.reference)
    if offer:
        offer_notify(turn, reference)
    else:
        turn.say(reference)


async def notify_offered(turn: Turn) -> bool:
    """Ask "tell me what you did?" only where the channel can write later (Telegram gives an address; the web chat
    and staff entry do not), never in an anonymous campaign (a kept address would link the person to it), and not
    again once the person said yes for this campaign."""
    if turn.incoming.channel not in NOTIFY_CHANNELS or not turn.incoming.address:
        return False
    assert turn.respondent is not None and turn.campaign is not None
    return not await has_contact(await turn.orm_session(), pk(turn.respondent), pk(turn.campaign))


def offer_notify(turn: Turn, before: str = "") -> None:
    lang = turn.language
    ask = t(lang, "notify.ask")
    buttons = tuple((turn.button(t(lang, f"notify.{value}"), "notify", value),) for value in ("yes", "no"))
    turn.say(f"{before}\n\n{ask}" if before else ask, buttons)


async def answer_notify(turn: Turn, wanted: bool) -> None:
    """Yes keeps the sealed address for this campaign (surveys.notify); no keeps nothing."""
    conversation = turn.conversation
    assert conversation is not None and turn.campaign is not None
    conversation.step = Step.done
    conversation.turn += 1
    turn.touch()
    if wanted and turn.respondent is not None and turn.incoming.address:
        sealed = turn.engine.seal_address(turn.incoming.address)
        await keep_contact(
            await turn.orm_session(), pk(turn.respondent), pk(turn.campaign), turn.incoming.channel, sealed
        )
        turn.say_key("notify.saved")
    else:
        turn.say_key("notify.declined")


async def stop_notices(turn: Turn) -> None:
    """/stopp: no more messages about what was done; the kept addresses are deleted."""
    forgotten = (
        await forget_contacts(await turn.orm_session(), pk(turn.respondent)) if turn.respondent is not None else 0
    )
    turn.say_key("notify.stopped" if forgotten else "notify.none")


async def add_more(turn: Turn) -> None:
    """A completed conversation opened again ("add more"): back to the first question."""
    conversation = turn.conversation
    assert conversation is not None
    conversation.status = ConversationStatus.active.value
    conversation.completed_at = None
    await turn.advance_to(Step.more if (await turn.questions())[0].repeat else Step.question, 0)


def reopened(conversation: Conversation) -> None:
    """Writing again after /cancel takes the conversation up again."""
    if conversation.status == ConversationStatus.cancelled.value:
        conversation.status = ConversationStatus.active.value


async def repeat_where_we_are(turn: Turn) -> None:
    """An old button where the current question cannot be seen (a second browser tab): one friendly line and the
    current question again, with buttons that work, rather than a notice that leaves the person stuck."""
    if turn.reply.messages:
        return  # the turn already said what comes next
    conversation = turn.conversation or await turn.load_conversation()
    if conversation is None or conversation.status != ConversationStatus.active.value:
        return  # nothing current to show: the notice stays
    turn.reply.notice = None
    turn.preface = t(turn.language, "error.stale_repeat")
    await turn.prompt()
