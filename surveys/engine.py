"""The channel-independent conversation engine.

A channel turns what a person did into an `Incoming` and sends the `Reply`'s messages back. Each call runs in one
transaction that holds the respondent's lock: the answer, the conversation state and the processed-update key are
committed together before the reply is returned, so any process can take the next message and a crash loses
nothing that was acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys import metrics
from surveys.campaigns import accepts_answers, find_campaign
from surveys.commands import Command, parse_command
from surveys.db import lock_key
from surveys.deidentify import redact as default_redact
from surveys.i18n import catalogue, normalise_language, pick, t
from surveys.ids import pk
from surveys.messages import Button, Incoming, IncomingKind, OutgoingMessage, Reply
from surveys.models import (
    Answer,
    Campaign,
    ChannelContact,
    Conversation,
    ConversationStatus,
    ProcessedUpdate,
    Question,
    QuestionKind,
    Respondent,
    as_utc,
    utcnow,
)
from surveys.pseudonyms import pseudonym, reference_for
from surveys.rights import erase_respondent, respondent_data
from surveys.settings import DEFAULT_LANGUAGE, LANGUAGES
from surveys.text import clean_answer_text

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 20_000
SUMMARY_ANSWER_CHARS = 400
_YES = {"ja", "jo", "yes", "ok", "okay", "gjerne", "ja takk", "ja tack", "javisst", "ja gjerne", "y"}
_NO = {"nei", "nej", "no", "nei takk", "nej tack", "no thanks", "n"}
_NO_MORE = {
    "nei",
    "nej",
    "no",
    "nei takk",
    "nej tack",
    "det var alt",
    "det var allt",
    "that was all",
    "nothing",
    "ingenting",
    "inget",
    "nope",
    "nei det var alt",
    "nej det var allt",
}
_LANGUAGE_WORDS = {
    "nb": {"nb", "bokmål", "bokmal", "norsk", "norwegian"},
    "nn": {"nn", "nynorsk"},
    "sv": {"sv", "svenska", "svensk", "swedish"},
    "en": {"en", "english", "engelsk", "engelska"},
}


class Step:
    language = "language"
    consent = "consent"
    question = "question"
    more = "more"
    summary = "summary"
    edit_pick = "edit_pick"
    edit_text = "edit_text"
    done = "done"


class Pending:
    confirm_delete = "confirm_delete"
    choose_language = "choose_language"


def channel_permission(channel: str) -> str:
    """Which campaign channel setting admits this channel (the terminal chat is staff entry)."""
    return channel if channel in ("telegram", "web") else "staff"


def _norm(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").replace(".", " ").replace("!", " ").split())


class ConversationEngine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        secret_key: str,
        redact: Callable[[str, str], str] = default_redact,
        max_answer_chars: int = MAX_ANSWER_CHARS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._secret_key = secret_key
        self._redact = redact
        self._max_answer_chars = max_answer_chars
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._questions: dict[int, tuple[Question, ...]] = {}

    def pseudonym_for(self, channel: str, user_ref: str) -> str:
        return pseudonym(self._secret_key, channel, user_ref)

    def _lock_for(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, incoming: Incoming) -> Reply:
        """Process one incoming message and return what to send; everything is committed before returning."""
        key = self.pseudonym_for(incoming.channel, incoming.user_ref)
        # In-process FIFO lock first (keeps arrival order), then the database lock (across processes).
        queued = metrics.now()
        async with self._lock_for(key):
            try:
                async with self._sessions() as session, session.begin():
                    await lock_key(session, key)
                    started = metrics.turn_taken(incoming.channel, queued)
                    if incoming.update_key:
                        await _claim_update(session, incoming.update_key)
                    turn = _Turn(self, session, incoming, key)
                    reply = await turn.run()
            except IntegrityError:
                if incoming.update_key and await self._update_seen(incoming.update_key):
                    return metrics.skipped_duplicate(incoming.channel, Reply(duplicate=True))
                raise
        metrics.processed(incoming.channel, started)
        log.debug("handled %s message for respondent %s: step=%s", incoming.channel, key[:10], reply.step)
        return reply

    async def _update_seen(self, update_key: str) -> bool:
        async with self._sessions() as session:
            return await session.get(ProcessedUpdate, update_key) is not None

    async def mark_unreachable(self, channel: str, user_ref: str) -> None:
        """The channel says the person can no longer be reached (e.g. blocked the bot): stop trying."""
        key = self.pseudonym_for(channel, user_ref)
        async with self._sessions() as session, session.begin():
            respondent = (await session.exec(select(Respondent).where(Respondent.pseudonym == key))).first()
            if respondent is None:
                return
            contacts = (
                await session.exec(select(ChannelContact).where(ChannelContact.respondent_id == respondent.id))
            ).all()
            for contact in contacts:
                contact.unreachable = True
                session.add(contact)
            conversations = (
                await session.exec(
                    select(Conversation).where(
                        Conversation.respondent_id == respondent.id, col(Conversation.reminder_due_at).is_not(None)
                    )
                )
            ).all()
            for conversation in conversations:
                conversation.reminder_due_at = None
                session.add(conversation)


async def _claim_update(session: AsyncSession, update_key: str) -> None:
    """Insert the update's key first thing: a key seen before fails the primary key (IntegrityError, caught in
    `handle`), so a duplicate costs no extra read and a new update no look-up before its insert."""
    session.add(ProcessedUpdate(key=update_key))
    await session.flush()


class _Turn:
    """One incoming message being handled inside one transaction."""

    def __init__(self, engine: ConversationEngine, session: AsyncSession, incoming: Incoming, key: str) -> None:
        self.engine = engine
        self.session = session
        self.incoming = incoming
        self.key = key
        self.now = engine._clock()
        self.reply = Reply()
        self.respondent: Respondent | None = None
        self.conversation: Conversation | None = None
        self.campaign: Campaign | None = None
        self.language = DEFAULT_LANGUAGE

    # ----------------------------------------------------------------- entry
    async def run(self) -> Reply:
        incoming = self.incoming
        self.respondent = (await self.session.exec(select(Respondent).where(Respondent.pseudonym == self.key))).first()
        self.language = (
            (self.respondent.language if self.respondent else None)
            or normalise_language(incoming.language_hint)
            or DEFAULT_LANGUAGE
        )
        kind, command, argument = incoming.kind, incoming.command, incoming.argument
        if kind is IncomingKind.text:
            parsed = parse_command(incoming.text)
            if parsed is not None:
                kind, (command_enum, argument) = IncomingKind.command, parsed
                command = command_enum.value
        if kind is IncomingKind.command:
            await self.on_command(command or "", argument)
        elif kind is IncomingKind.unsupported:
            await self.load_conversation()
            self.say(t(self.language, "error.only_text"))
        elif kind is IncomingKind.edit:
            await self.on_edit()
        else:
            await self.on_message(kind)
        self.reply.language = self.language
        self.reply.respondent_reference = self.respondent.reference if self.respondent and self.respondent.id else None
        self.reply.step = self.conversation.step if self.conversation is not None else None
        return self.reply

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        self.reply.messages.append(OutgoingMessage(text=text, buttons=buttons))

    # --------------------------------------------------------------- loading
    async def load_conversation(self, campaign_code: str | None = None) -> Conversation | None:
        """The conversation this message belongs to: the campaign bound to the channel, else the latest active one."""
        if self.respondent is None:
            return None
        code = campaign_code or self.incoming.campaign_code
        query = (
            select(Conversation, Campaign)
            .join(Campaign, col(Campaign.id) == col(Conversation.campaign_id))
            .where(Conversation.respondent_id == self.respondent.id)
        )
        if code:
            campaign = await find_campaign(self.session, code)
            if campaign is None:
                return None
            query = query.where(Conversation.campaign_id == campaign.id)
        else:
            # The active conversation, else a completed one (so "add more" works); a cancelled one stays closed.
            query = query.where(
                col(Conversation.status).in_([ConversationStatus.active.value, ConversationStatus.completed.value])
            )
            query = query.order_by(col(Conversation.status) == ConversationStatus.completed.value)
        row = (await self.session.exec(query.order_by(col(Conversation.updated_at).desc()).limit(1))).first()
        if row is None:
            return None
        self.conversation, self.campaign = row
        return self.conversation

    async def questions(self) -> list[Question]:
        """A survey's questions never change once installed (a changed survey gets a new key), so each engine
        reads them once per survey; they are detached from the session and only read."""
        assert self.campaign is not None
        survey_id = self.campaign.survey_id
        cached = self.engine._questions.get(survey_id)
        if cached is None:
            rows = (
                await self.session.exec(
                    select(Question).where(Question.survey_id == survey_id).order_by(col(Question.position))
                )
            ).all()
            for question in rows:
                self.session.expunge(question)
            cached = self.engine._questions[survey_id] = tuple(rows)
        return list(cached)

    async def ensure_respondent(self) -> Respondent:
        if self.respondent is None:
            self.respondent = Respondent(
                pseudonym=self.key,
                reference=reference_for(self.key),
                channel=self.incoming.channel,
                language=normalise_language(self.incoming.language_hint),
            )
            self.session.add(self.respondent)
            await self.session.flush()
        return self.respondent

    # -------------------------------------------------------------- commands
    async def on_command(self, command: str, argument: str | None) -> None:
        if command == Command.start.value:
            await self.start(argument or self.incoming.campaign_code)
        elif command == Command.help.value:
            self.say(t(self.language, "help.text"))
            conversation = await self.load_conversation()
            if conversation is not None and conversation.status == ConversationStatus.active.value:
                await self.prompt()
        elif command == Command.cancel.value:
            await self.cancel()
        elif command == Command.language.value:
            await self.ask_language_change()
        elif command == Command.mydata.value:
            await self.show_data()
        elif command == Command.delete.value:
            await self.ask_delete()
        else:
            self.say(t(self.language, "error.not_understood"))

    async def start(self, code: str | None) -> None:
        campaign = await find_campaign(self.session, code) if code else None
        if code and campaign is None:
            self.say(t(self.language, "campaign.unknown_code"))
            return
        if campaign is None:
            if await self.load_conversation() is not None:
                self.say(t(self.language, "welcome.back"))
                await self.prompt()
            else:
                self.say(t(self.language, "campaign.how_to_start"))
            return
        self.campaign = campaign
        self.adopt_campaign_language()
        refusal = accepts_answers(campaign, self.now)
        if refusal is None and channel_permission(self.incoming.channel) not in campaign.channel_list:
            refusal = "campaign.channel_not_offered"
        if refusal is not None:
            self.say(t(self.language, refusal))
            return
        respondent = await self.ensure_respondent()
        conversation = (
            await self.session.exec(
                select(Conversation).where(
                    Conversation.respondent_id == respondent.id, Conversation.campaign_id == campaign.id
                )
            )
        ).first()
        if conversation is not None:
            self.conversation = conversation
            if conversation.status == ConversationStatus.completed.value:
                self.say(t(self.language, "done.already"), self.buttons([("again", t(self.language, "done.add_more"))]))
                return
            if conversation.status == ConversationStatus.cancelled.value:
                conversation.status = ConversationStatus.active.value
            if conversation.step not in (Step.language, Step.consent):
                self.say(t(self.language, "welcome.back"))
            self.touch()
            await self.prompt()
            return
        known = self.language_known(campaign)
        self.conversation = Conversation(
            respondent_id=respondent.id,
            campaign_id=pk(campaign),
            channel=self.incoming.channel,
            source=self.incoming.source,
            step=Step.consent if known else Step.language,
            started_at=self.now,
            updated_at=self.now,
        )
        if known and respondent.language != self.language:
            respondent.language = self.language
            self.session.add(respondent)
        self.session.add(self.conversation)
        await self.session.flush()
        await self.remember_contact()
        await self.advance_to(self.conversation.step, 0)

    def adopt_campaign_language(self) -> None:
        assert self.campaign is not None
        languages = self.campaign.language_list
        if self.language not in languages:
            self.language = languages[0] if languages else DEFAULT_LANGUAGE

    def language_known(self, campaign: Campaign) -> bool:
        languages = campaign.language_list
        if len(languages) <= 1:
            return True
        if self.respondent is not None and self.respondent.language_chosen and self.respondent.language in languages:
            return True
        hint = normalise_language(self.incoming.language_hint, languages)
        if self.incoming.channel in ("terminal", "staff"):
            return hint is not None  # staff say which language the person speaks, or are asked
        # A client language equal to the campaign's main language needs no question; anything else is offered.
        return hint == languages[0]

    async def cancel(self) -> None:
        conversation = await self.load_conversation()
        if self.respondent is not None and self.respondent.pending_action:
            self.respondent.pending_action = None
            self.session.add(self.respondent)
        if conversation is None or conversation.status != ConversationStatus.active.value:
            self.say(t(self.language, "cancel.nothing"))
            return
        if conversation.consent_at is None:
            await self.forget_unconsented(conversation)
            self.say(t(self.language, "consent.declined"))
            return
        conversation.status = ConversationStatus.cancelled.value
        conversation.reminder_due_at = None
        self.touch()
        self.say(t(self.language, "cancel.done"))

    async def ask_language_change(self) -> None:
        respondent = await self.ensure_respondent()
        respondent.pending_action = Pending.choose_language
        self.session.add(respondent)
        await self.load_conversation()
        languages = self.campaign.language_list if self.campaign else list(LANGUAGES)
        self.say(t(self.language, "language.choose"), self.language_buttons(languages, respondent_level=True))

    async def show_data(self) -> None:
        if self.respondent is None:
            self.say(t(self.language, "mydata.none"))
            return
        data = await respondent_data(self.session, self.respondent)
        lang = self.language
        lines = [t(lang, "mydata.header", reference=data.reference)]
        if data.language:
            lines.append(t(lang, "mydata.language", language=catalogue(data.language)["language_name"]))
        for conversation in data.conversations:
            status = t(lang, f"mydata.status_{conversation.status}")
            lines.append(t(lang, "mydata.conversation", campaign=conversation.campaign_name, status=status))
            if conversation.consent_at is not None:
                lines.append(
                    t(lang, "mydata.consent", date=_date(conversation.consent_at), version=conversation.consent_version)
                )
            for text, created in conversation.answers:
                lines.append(t(lang, "mydata.answer", text=text, date=_date(created)))
        self.say("\n".join(lines))

    async def ask_delete(self) -> None:
        if self.respondent is None:
            self.say(t(self.language, "delete.nothing"))
            return
        self.respondent.pending_action = Pending.confirm_delete
        self.session.add(self.respondent)
        self.say(
            t(self.language, "delete.confirm"),
            (
                (Button(t(self.language, "delete.yes"), "r.del:yes"),),
                (Button(t(self.language, "delete.no"), "r.del:no"),),
            ),
        )

    # ------------------------------------------------------------------ edits
    async def on_edit(self) -> None:
        if self.respondent is None or not self.incoming.message_key:
            return
        answer = (
            await self.session.exec(
                select(Answer).where(
                    Answer.respondent_id == self.respondent.id, Answer.message_key == self.incoming.message_key
                )
            )
        ).first()
        if answer is None:
            return  # the edited message was not an answer (a command, or something refused): nothing to update
        campaign = await self.session.get(Campaign, answer.campaign_id)
        refusal = accepts_answers(campaign, self.now) if campaign else "campaign.closed"
        if refusal is not None:
            self.say(t(self.language, refusal))
            return
        text = self.incoming.text
        if not await self.acceptable(text, reprompt=False):
            return
        answer.text = self.engine._redact(clean_answer_text(text), self.language)
        answer.edited_at = self.now
        self.session.add(answer)
        self.say(t(self.language, "edit.saved"))

    # ------------------------------------------------------- ordinary messages
    async def on_message(self, kind: IncomingKind) -> None:
        pending = self.respondent is not None and bool(self.respondent.pending_action)
        if pending and kind is IncomingKind.choice and (self.incoming.payload or "").startswith("r."):
            await self.on_pending_choice((self.incoming.payload or "")[2:])
            return
        if (self.incoming.payload or "").startswith("r."):
            self.reply.notice = t(self.language, "error.stale_button")
            return
        if pending and kind is IncomingKind.text and await self.on_pending_text(self.incoming.text):
            return
        conversation = await self.load_conversation()
        if conversation is None:
            if self.incoming.campaign_code:
                await self.start(self.incoming.campaign_code)
            elif kind is IncomingKind.choice:
                self.reply.notice = t(self.language, "error.stale_button")
                self.say(t(self.language, "campaign.how_to_start"))
            else:
                self.say(t(self.language, "campaign.how_to_start"))
            return
        assert self.campaign is not None
        if conversation.status == ConversationStatus.cancelled.value:
            conversation.status = ConversationStatus.active.value
        refusal = accepts_answers(self.campaign, self.now)
        if refusal is not None:
            self.say(t(self.language, refusal))
            return
        if kind is IncomingKind.choice:
            turn, _, action = (self.incoming.payload or "").partition(".")
            if turn != str(conversation.turn):
                # A double tap or an old button: harmless, tell the channel and do nothing.
                self.reply.notice = t(self.language, "error.stale_button")
                return
            await self.on_choice(action)
        else:
            await self.on_text(self.incoming.text)
        self.touch()

    async def on_pending_choice(self, action: str) -> None:
        assert self.respondent is not None
        pending = self.respondent.pending_action
        self.respondent.pending_action = None
        self.session.add(self.respondent)
        if pending == Pending.confirm_delete and action in ("del:yes", "del:no"):
            if action == "del:yes":
                await self.erase()
            else:
                self.say(t(self.language, "delete.kept"))
                if await self.load_conversation() is not None:
                    await self.prompt()
        elif pending == Pending.choose_language and action.startswith("lang:"):
            await self.set_language(action.removeprefix("lang:"))
        else:
            self.reply.notice = t(self.language, "error.stale_button")

    async def on_pending_text(self, text: str) -> bool:
        """Typed words while a confirmation is pending; True when they settled it."""
        assert self.respondent is not None
        words = _norm(text)
        if self.respondent.pending_action == Pending.confirm_delete:
            if words in _YES or words == _norm(t(self.language, "delete.yes")):
                await self.on_pending_choice("del:yes")
                return True
            if words in _NO or words == _norm(t(self.language, "delete.no")):
                await self.on_pending_choice("del:no")
                return True
        elif self.respondent.pending_action == Pending.choose_language:
            language = _language_from_words(words)
            if language:
                await self.on_pending_choice(f"lang:{language}")
                return True
        self.respondent.pending_action = None  # anything else: forget the question and treat it as an answer
        self.session.add(self.respondent)
        return False

    async def erase(self) -> None:
        assert self.respondent is not None and self.respondent.id is not None
        counts = await erase_respondent(self.session, self.respondent.id)
        log.info(
            "erasure by respondent %s: %d answers, %d conversations",
            self.key[:10],
            counts.answers,
            counts.conversations,
        )
        self.respondent = None
        self.conversation = None
        self.say(t(self.language, "delete.done"))

    async def set_language(self, language: str) -> None:
        assert self.respondent is not None
        if language not in LANGUAGES:
            self.reply.notice = t(self.language, "error.stale_button")
            return
        self.language = language
        self.respondent.language = language
        self.respondent.language_chosen = True
        self.session.add(self.respondent)
        self.say(t(language, "language.changed"))
        conversation = await self.load_conversation()
        if conversation is not None and conversation.status == ConversationStatus.active.value:
            if conversation.step == Step.language:
                await self.advance_to(Step.consent, 0)
            else:
                await self.prompt()

    # ------------------------------------------------------------ the steps
    async def on_choice(self, action: str) -> None:
        conversation = self.conversation
        assert conversation is not None
        step = conversation.step
        if action == "again" and conversation.status == ConversationStatus.completed.value:
            conversation.status = ConversationStatus.active.value
            conversation.completed_at = None
            await self.advance_to(Step.more if (await self.questions())[0].repeat else Step.question, 0)
            return
        if step == Step.language and action.startswith("lang:"):
            await self.set_language(action.removeprefix("lang:"))
        elif step == Step.consent and action in ("yes", "no"):
            await self.on_consent(action == "yes")
        elif step == Step.consent and action == "lang":
            await self.ask_language_change()
        elif step == Step.question and action == "skip":
            await self.next_question()
        elif step == Step.question and action[:2] in ("o:", "s:"):
            await self.on_option(action)
        elif step == Step.more and action == "done":
            await self.next_question()
        elif step == Step.summary and action == "send":
            await self.complete()
        elif step == Step.summary and action == "change":
            await self.advance_to(Step.edit_pick, conversation.question_index)
        elif step == Step.edit_pick and action.startswith("e:"):
            await self.pick_answer_to_edit(action.removeprefix("e:"))
        elif step in (Step.edit_pick, Step.edit_text) and action == "back":
            conversation.editing_answer_id = None
            await self.advance_to(Step.summary, conversation.question_index)
        else:
            self.reply.notice = t(self.language, "error.stale_button")

    async def on_text(self, text: str) -> None:
        conversation = self.conversation
        assert conversation is not None
        step = conversation.step
        words = _norm(text)
        if conversation.status == ConversationStatus.completed.value:
            self.say(t(self.language, "done.already"), self.buttons([("again", t(self.language, "done.add_more"))]))
            return
        if step == Step.language:
            language = _language_from_words(words)
            assert self.campaign is not None
            if language and language in self.campaign.language_list:
                await self.set_language(language)
            else:
                self.say(t(self.language, "error.not_understood"))
                await self.prompt()
        elif step == Step.consent:
            if words in _YES or words == _norm(t(self.language, "consent.yes")):
                await self.on_consent(True)
            elif words in _NO or words == _norm(t(self.language, "consent.no")):
                await self.on_consent(False)
            else:
                self.say(t(self.language, "consent.needed"))
                await self.prompt()
        elif step == Step.question:
            question = await self.current_question()
            if question.kind == QuestionKind.text.value:
                if not question.required and words == _norm(t(self.language, "question.skip")):
                    await self.next_question()
                elif await self.store_answer(question, text):
                    await self.after_answer(question)
            else:
                await self.on_option_text(question, words)
        elif step == Step.more:
            question = await self.current_question()
            if words in _NO_MORE or words == _norm(t(self.language, "question.no_more")):
                await self.next_question()
            elif await self.store_answer(question, text):
                await self.prompt()
        elif step == Step.summary:
            if words in _YES or words == _norm(t(self.language, "summary.send")):
                await self.complete()
            elif words == _norm(t(self.language, "summary.change")):
                await self.advance_to(Step.edit_pick, conversation.question_index)
            else:
                self.say(t(self.language, "error.not_understood"))
                await self.prompt()
        elif step == Step.edit_pick:
            await self.pick_answer_to_edit(words)
        elif step == Step.edit_text:
            await self.replace_answer(text)

    async def on_consent(self, given: bool) -> None:
        conversation = self.conversation
        assert conversation is not None and self.campaign is not None
        if not given:
            await self.forget_unconsented(conversation)
            self.say(t(self.language, "consent.declined"))
            self.reply.finished = True
            return
        conversation.consent_at = self.now
        conversation.consent_version = self.campaign.privacy_version
        await self.advance_to(Step.question, 0)

    async def forget_unconsented(self, conversation: Conversation) -> None:
        """No consent means nothing stored: drop the conversation and, if it was all we had, the pseudonym too."""
        await self.drop_conversation(conversation)

    async def drop_conversation(self, conversation: Conversation) -> None:
        """Delete the conversation, and the pseudonym with it when the person has no other conversation."""
        await self.session.delete(conversation)
        await self.session.flush()
        self.conversation = None
        assert self.respondent is not None
        others = await self.session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.respondent_id == self.respondent.id)
        )
        if not others:
            await erase_respondent(self.session, pk(self.respondent))
            self.respondent = None

    async def current_question(self) -> Question:
        questions = await self.questions()
        assert self.conversation is not None
        return questions[min(self.conversation.question_index, len(questions) - 1)]

    async def on_option(self, action: str) -> None:
        question = await self.current_question()
        kind, _, value = action.partition(":")
        if kind == "o" and question.kind == QuestionKind.choice.value:
            for option in question.texts.get("options", []):
                if option["key"] == value:
                    if await self.store_answer(question, pick(option["label"], self.language)):
                        await self.after_answer(question)
                    return
        elif (
            kind == "s"
            and question.kind == QuestionKind.scale.value
            and value.isdigit()
            and int(value) in _scale(question)
        ):
            if await self.store_answer(question, value):
                await self.after_answer(question)
            return
        self.reply.notice = t(self.language, "error.stale_button")

    async def on_option_text(self, question: Question, words: str) -> None:
        if question.kind == QuestionKind.choice.value:
            options = question.texts.get("options", [])
            for number, option in enumerate(options, start=1):
                if words in (_norm(pick(option["label"], self.language)), str(number), option["key"]):
                    await self.on_option(f"o:{option['key']}")
                    return
            self.say(t(self.language, "question.choose_option"))
        else:
            if words.isdigit() and int(words) in _scale(question):
                await self.on_option(f"s:{words}")
                return
            self.say(t(self.language, "question.scale_hint", low=question.scale_min, high=question.scale_max))
        await self.prompt()

    async def acceptable(self, text: str, *, reprompt: bool = True) -> bool:
        """Empty and over-long texts get a clear message and are not stored."""
        if not text.strip():
            self.say(t(self.language, "error.empty"))
            if reprompt:
                await self.prompt()
            return False
        if len(text) > self.engine._max_answer_chars:
            self.say(t(self.language, "error.too_long", max=self.engine._max_answer_chars))
            return False
        return True

    async def store_answer(self, question: Question, text: str) -> bool:
        assert self.conversation is not None and self.campaign is not None
        if not await self.acceptable(text):
            return False
        # The next position is computed by the INSERT itself: one statement instead of a read and a write.
        next_position = (
            select(func.coalesce(func.max(Answer.position), 0) + 1)
            .where(Answer.conversation_id == self.conversation.id)
            .scalar_subquery()
        )
        self.session.add(
            Answer(
                campaign_id=pk(self.campaign),
                question_id=pk(question),
                conversation_id=self.conversation.id,
                respondent_id=self.conversation.respondent_id,
                position=next_position,  # type: ignore[arg-type]  # a scalar subquery: the INSERT computes it
                text=self.engine._redact(clean_answer_text(text), self.language),
                language=self.language,
                channel=self.incoming.channel,
                source=self.conversation.source,
                message_key=self.incoming.message_key,
                created_at=self.now,
            )
        )
        await self.session.flush()
        metrics.ANSWERS.inc(channel=self.incoming.channel)
        return True

    async def after_answer(self, question: Question) -> None:
        assert self.conversation is not None
        if question.repeat:
            await self.advance_to(Step.more, self.conversation.question_index)
        else:
            await self.next_question()

    async def next_question(self) -> None:
        assert self.conversation is not None
        index = self.conversation.question_index + 1
        if index < len(await self.questions()):
            await self.advance_to(Step.question, index)
        else:
            await self.advance_to(Step.summary, index)

    async def answers(self) -> list[Answer]:
        assert self.conversation is not None
        return list(
            (
                await self.session.exec(
                    select(Answer)
                    .where(Answer.conversation_id == self.conversation.id)
                    .order_by(col(Answer.position), col(Answer.id))
                )
            ).all()
        )

    async def pick_answer_to_edit(self, number_text: str) -> None:
        assert self.conversation is not None
        answers = await self.answers()
        if number_text.isdigit() and 1 <= int(number_text) <= len(answers):
            self.conversation.editing_answer_id = answers[int(number_text) - 1].id
            await self.advance_to(Step.edit_text, self.conversation.question_index)
        else:
            self.say(t(self.language, "edit.pick"))
            await self.prompt()

    async def replace_answer(self, text: str) -> None:
        assert self.conversation is not None
        answer = (
            await self.session.get(Answer, self.conversation.editing_answer_id)
            if self.conversation.editing_answer_id
            else None
        )
        if answer is None or answer.conversation_id != self.conversation.id:
            await self.advance_to(Step.summary, self.conversation.question_index)
            return
        if not await self.acceptable(text):
            return
        answer.text = self.engine._redact(clean_answer_text(text), self.language)
        answer.edited_at = self.now
        self.session.add(answer)
        self.conversation.editing_answer_id = None
        self.say(t(self.language, "edit.saved"))
        await self.advance_to(Step.summary, self.conversation.question_index)

    async def complete(self) -> None:
        conversation = self.conversation
        assert conversation is not None and self.campaign is not None
        conversation.status = ConversationStatus.completed.value
        conversation.step = Step.done
        conversation.completed_at = self.now
        conversation.reminder_due_at = None
        conversation.turn += 1
        self.say(t(self.language, "done.thanks"))
        self.reply.finished = True
        if self.campaign.anonymous:
            await self.unlink_anonymous(conversation)
        else:
            assert self.respondent is not None
            self.say(t(self.language, "done.reference", reference=self.respondent.reference))
        await self.drop_contact_if_unneeded()

    async def unlink_anonymous(self, conversation: Conversation) -> None:
        """An anonymous campaign's answers lose every link to the person once the conversation is done."""
        answers = await self.answers()
        for answer in answers:
            answer.respondent_id = None
            answer.conversation_id = None
            answer.message_key = None
            self.session.add(answer)
        await self.session.flush()
        await self.drop_conversation(conversation)

    async def remember_contact(self) -> None:
        """Keep the channel address only when the campaign will need it (reminders)."""
        if not (self.incoming.address and self.campaign and self.campaign.reminder_after_hours and self.respondent):
            return
        contact = (
            await self.session.exec(
                select(ChannelContact).where(
                    ChannelContact.respondent_id == self.respondent.id, ChannelContact.channel == self.incoming.channel
                )
            )
        ).first()
        if contact is None:
            self.session.add(
                ChannelContact(
                    respondent_id=pk(self.respondent), channel=self.incoming.channel, address=self.incoming.address
                )
            )
        elif contact.address != self.incoming.address or contact.unreachable:
            contact.address, contact.unreachable = self.incoming.address, False
            self.session.add(contact)

    async def drop_contact_if_unneeded(self) -> None:
        if self.respondent is None or self.respondent.id is None:
            return
        active = await self.session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.respondent_id == self.respondent.id, Conversation.status == ConversationStatus.active.value
            )
        )
        if not active:
            await self.session.execute(
                delete(ChannelContact).where(col(ChannelContact.respondent_id) == self.respondent.id)
            )

    def touch(self) -> None:
        conversation = self.conversation
        if conversation is None:
            return
        conversation.updated_at = self.now
        hours = self.campaign.reminder_after_hours if self.campaign else None
        if conversation.status == ConversationStatus.active.value and hours and conversation.reminder_sent_at is None:
            conversation.reminder_due_at = self.now + timedelta(hours=hours)
        elif conversation.status != ConversationStatus.active.value:
            conversation.reminder_due_at = None
        self.session.add(conversation)

    # ------------------------------------------------------------- prompting
    async def advance_to(self, step: str, question_index: int) -> None:
        conversation = self.conversation
        assert conversation is not None
        conversation.step = step
        conversation.question_index = question_index
        conversation.turn += 1
        self.touch()
        await self.prompt()

    def buttons(self, actions: list[tuple[str, str]]) -> tuple[tuple[Button, ...], ...]:
        turn = self.conversation.turn if self.conversation is not None else 0
        return tuple((Button(label, f"{turn}.{action}"),) for action, label in actions)

    def language_buttons(
        self, languages: list[str], *, respondent_level: bool = False
    ) -> tuple[tuple[Button, ...], ...]:
        prefix = "r." if respondent_level else f"{self.conversation.turn if self.conversation else 0}."
        return tuple((Button(catalogue(lang)["language_name"], f"{prefix}lang:{lang}"),) for lang in languages)

    async def prompt(self) -> None:
        """Show the current step again (or for the first time), in the respondent's language."""
        conversation, campaign = self.conversation, self.campaign
        assert conversation is not None and campaign is not None
        lang = self.language
        step = conversation.step
        if step == Step.language:
            self.say(t(lang, "language.choose"), self.language_buttons(campaign.language_list))
        elif step == Step.consent:
            survey_purpose = pick(campaign.purpose, lang) or t(lang, "welcome.purpose_default")
            privacy = pick(campaign.privacy_text, lang) or t(lang, "privacy.default")
            if campaign.anonymous:
                privacy += "\n\n" + t(lang, "privacy.anonymous")
            actions = [("yes", t(lang, "consent.yes")), ("no", t(lang, "consent.no"))]
            if len(campaign.language_list) > 1:
                actions.append(
                    (
                        "lang",
                        "🌐 "
                        + " / ".join(
                            catalogue(code)["language_name"] for code in campaign.language_list if code != lang
                        ),
                    )
                )
            self.say(
                t(lang, "welcome.text", campaign=campaign.name, purpose=survey_purpose)
                + "\n\n"
                + privacy
                + "\n\n"
                + t(lang, "consent.ask"),
                self.buttons(actions),
            )
        elif step in (Step.question, Step.more):
            question = await self.current_question()
            if step == Step.more:
                self.say(
                    pick(question.texts.get("more", {}), lang), self.buttons([("done", t(lang, "question.no_more"))])
                )
                return
            actions = []
            if question.kind == QuestionKind.choice.value:
                actions = [
                    (f"o:{option['key']}", pick(option["label"], lang)) for option in question.texts.get("options", [])
                ]
            elif question.kind == QuestionKind.scale.value:
                actions = [(f"s:{n}", str(n)) for n in _scale(question)]
            if not question.required:
                actions.append(("skip", t(lang, "question.skip")))
            buttons = self.buttons(actions)
            if question.kind == QuestionKind.scale.value:
                numbers = tuple(row[0] for row in buttons if not row[0].payload.endswith(".skip"))
                buttons = (numbers,) + tuple(row for row in buttons if row[0].payload.endswith(".skip"))
            self.say(pick(question.texts.get("prompt", {}), lang), buttons)
        elif step == Step.summary:
            answers = await self.answers()
            if not answers:
                self.say(t(lang, "summary.empty"), self.buttons([("send", t(lang, "summary.send"))]))
                return
            lines = [t(lang, "summary.intro")]
            for number, answer in enumerate(answers, start=1):
                text = (
                    answer.text
                    if len(answer.text) <= SUMMARY_ANSWER_CHARS
                    else answer.text[:SUMMARY_ANSWER_CHARS] + "…"
                )
                lines.append(f"{number}. {text}")
            lines.append("")
            lines.append(t(lang, "summary.ask"))
            self.say(
                "\n".join(lines),
                self.buttons([("send", t(lang, "summary.send")), ("change", t(lang, "summary.change"))]),
            )
        elif step == Step.edit_pick:
            answers = await self.answers()
            turn = conversation.turn
            picks = [Button(str(n), f"{turn}.e:{n}") for n in range(1, len(answers) + 1)]
            rows = tuple(tuple(picks[i : i + 5]) for i in range(0, len(picks), 5))
            self.say(t(lang, "edit.pick"), rows + ((Button(t(lang, "edit.back"), f"{turn}.back"),),))
        elif step == Step.edit_text:
            editing = (
                await self.session.get(Answer, conversation.editing_answer_id)
                if conversation.editing_answer_id
                else None
            )
            old = editing.text if editing is not None else ""
            self.say(t(lang, "edit.write", old=old), self.buttons([("back", t(lang, "edit.back"))]))
        elif step == Step.done:
            self.say(t(lang, "done.already"), self.buttons([("again", t(lang, "done.add_more"))]))


def _scale(question: Question) -> range:
    """The numbers a scale question offers; none for a question without both bounds."""
    if question.scale_min is None or question.scale_max is None:
        return range(0)
    return range(question.scale_min, question.scale_max + 1)


def _language_from_words(words: str) -> str | None:
    for language, names in _LANGUAGE_WORDS.items():
        if words in names:
            return language
    return None


def _date(moment: datetime) -> str:
    return as_utc(moment).strftime("%d.%m.%Y")
