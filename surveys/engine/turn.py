"""One incoming message being handled inside one transaction: its state and the reads and writes it needs.

Everything the steps store or read goes through these methods, so the steps stay free of SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from prometheus_client import Counter
from sqlalchemy import and_, bindparam, delete, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import find_campaign, normalise_code
from surveys.deidentify import all_placeholders
from surveys.engine.payloads import Payload
from surveys.i18n import catalogue, normalise_language, t
from surveys.ids import pk
from surveys.messages import Button, Incoming, OutgoingMessage, Reply
from surveys.models import (
    Answer,
    Campaign,
    ChannelContact,
    Conversation,
    ConversationStatus,
    Question,
    Respondent,
)
from surveys.pseudonyms import reference_for
from surveys.rights import erase_respondent
from surveys.settings import DEFAULT_LANGUAGE
from surveys.text import clean_answer_text

if TYPE_CHECKING:
    from surveys.engine.core import ConversationEngine
    from surveys.engine.steps import StepSpec

Rows = tuple[tuple[Button, ...], ...]

# Built once: a statement object reused keeps its compiled form and its cache key.
_latest = aliased(Conversation)
_LATEST_CONVERSATION = (
    select(_latest.id)
    .where(
        _latest.respondent_id == Respondent.id,
        col(_latest.status).in_([ConversationStatus.active.value, ConversationStatus.completed.value]),
    )
    # The active conversation, else a completed one (so "add more" works); a cancelled one stays closed.
    .order_by(col(_latest.status) == ConversationStatus.completed.value, col(_latest.updated_at).desc())
    .limit(1)
    .correlate(Respondent)
    .scalar_subquery()
)
_STATE = (
    select(Respondent, Conversation, Campaign)
    .select_from(Respondent)
    .outerjoin(Conversation, col(Conversation.id) == _LATEST_CONVERSATION)
    .outerjoin(Campaign, col(Campaign.id) == col(Conversation.campaign_id))
    .where(Respondent.pseudonym == bindparam("key"))
)
_STATE_IN_CAMPAIGN = (
    select(Respondent, Conversation, Campaign)
    .select_from(Respondent)
    .outerjoin(Campaign, col(Campaign.code) == bindparam("code"))
    .outerjoin(
        Conversation,
        and_(col(Conversation.respondent_id) == col(Respondent.id), col(Conversation.campaign_id) == col(Campaign.id)),
    )
    .where(Respondent.pseudonym == bindparam("key"))
)
ANSWERS = Counter("viktig_answers_stored_total", "Answers stored, by channel.", ("channel",))


class Turn:
    """The state of one message's handling: who, which conversation and campaign, and the reply so far."""

    def __init__(
        self,
        engine: ConversationEngine,
        session: AsyncSession,
        incoming: Incoming,
        key: str,
        steps: Mapping[str, StepSpec],
    ) -> None:
        self.engine = engine
        self.session = session
        self.incoming = incoming
        self.key = key
        self.steps = steps
        self.now = engine.clock()
        self.reply = Reply()
        self.respondent: Respondent | None = None
        self.conversation: Conversation | None = None
        self.campaign: Campaign | None = None
        self.language = DEFAULT_LANGUAGE
        self._preloaded: tuple[str | None, Conversation | None, Campaign | None] | None = None
        self.preface: str | None = None  # said at the start of the next message (one message, not an extra one)
        self.stale_pressed = False  # an old or double-tapped button was ignored in this turn

    # ------------------------------------------------------------- replying
    def say(self, text: str, buttons: Rows = ()) -> None:
        if self.preface:
            text, self.preface = f"{self.preface}\n\n{text}", None
        self.reply.messages.append(OutgoingMessage(text=text, buttons=buttons))

    def flush_preface(self) -> None:
        """A preface nothing followed becomes a message of its own."""
        if self.preface:
            text, self.preface = self.preface, None
            self.reply.messages.append(OutgoingMessage(text=text))

    def say_key(self, key: str, **values: object) -> None:
        self.say(t(self.language, key, **values))

    def stale(self) -> None:
        """A double tap or an old button: harmless, tell the channel and do nothing."""
        self.reply.notice = t(self.language, "error.stale_button")
        self.stale_pressed = True

    def button(self, label: str, action: str, value: str = "", *, respondent_level: bool = False) -> Button:
        turn = None if respondent_level else (self.conversation.turn if self.conversation is not None else 0)
        return Button(label, Payload(action, value, turn).encode())

    def buttons(self, actions: list[tuple[str, str]]) -> Rows:
        """One button per row, from (action, label) pairs."""
        return tuple((self.button(label, action),) for action, label in actions)

    def language_buttons(self, languages: list[str], *, respondent_level: bool = False) -> Rows:
        return tuple(
            (self.button(catalogue(lang)["language_name"], "lang", lang, respondent_level=respondent_level),)
            for lang in languages
        )

    async def prompt(self) -> None:
        """Show the current step again (or for the first time), in the respondent's language."""
        assert self.conversation is not None
        await self.steps[self.conversation.step].prompt(self)

    async def advance_to(self, step: str, question_index: int) -> None:
        conversation = self.conversation
        assert conversation is not None
        conversation.step = step
        conversation.question_index = question_index
        conversation.turn += 1
        self.touch()
        await self.prompt()

    # --------------------------------------------------------------- reading
    async def load_respondent(self) -> None:
        """The respondent and the conversation and campaign this message most likely belongs to, in one query;
        the first `load_conversation` takes the latter two from here instead of asking again."""
        code = self.incoming.campaign_code
        statement = _STATE_IN_CAMPAIGN if code else _STATE
        params = {"key": self.key, "code": normalise_code(code)} if code else {"key": self.key}
        row = (await self.session.exec(statement, params=params)).first()
        if row is not None:
            self.respondent, conversation, campaign = row
            self._preloaded = (code, conversation, campaign)
        self.language = (
            (self.respondent.language if self.respondent else None)
            or normalise_language(self.incoming.language_hint)
            or DEFAULT_LANGUAGE
        )

    async def load_conversation(self, campaign_code: str | None = None) -> Conversation | None:
        """The conversation this message belongs to: the campaign bound to the channel, else the latest active one."""
        if self.respondent is None:
            return None
        code = campaign_code or self.incoming.campaign_code
        preloaded, self._preloaded = self._preloaded, None
        if preloaded is not None and preloaded[0] == code:
            if preloaded[1] is None:
                return None
            self.conversation, self.campaign = preloaded[1], preloaded[2]
            return self.conversation
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

    async def conversation_in(self, campaign: Campaign) -> Conversation | None:
        assert self.respondent is not None
        return (
            await self.session.exec(
                select(Conversation).where(
                    Conversation.respondent_id == self.respondent.id, Conversation.campaign_id == campaign.id
                )
            )
        ).first()

    async def questions(self) -> list[Question]:
        """A survey's questions never change once installed (a changed survey gets a new key), so each engine
        reads them once per survey; they are detached from the session and only read."""
        assert self.campaign is not None
        survey_id = self.campaign.survey_id
        cached = self.engine.question_cache.get(survey_id)
        if cached is None:
            rows = (
                await self.session.exec(
                    select(Question).where(Question.survey_id == survey_id).order_by(col(Question.position))
                )
            ).all()
            for question in rows:
                self.session.expunge(question)
            cached = self.engine.question_cache[survey_id] = tuple(rows)
        return list(cached)

    async def current_question(self) -> Question:
        questions = await self.questions()
        assert self.conversation is not None
        return questions[min(self.conversation.question_index, len(questions) - 1)]

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

    async def answer_being_edited(self) -> Answer | None:
        assert self.conversation is not None
        answer_id = self.conversation.editing_answer_id
        return await self.session.get(Answer, answer_id) if answer_id else None

    async def answer_to_message(self) -> Answer | None:
        assert self.respondent is not None
        return (
            await self.session.exec(
                select(Answer).where(
                    Answer.respondent_id == self.respondent.id, Answer.message_key == self.incoming.message_key
                )
            )
        ).first()

    # --------------------------------------------------------------- writing
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

    def save(self, row: Respondent | Conversation | Answer | ChannelContact) -> None:
        self.session.add(row)

    async def start_conversation(self, campaign: Campaign, step: str) -> Conversation:
        assert self.respondent is not None and campaign.id is not None
        self._preloaded = None
        self.conversation = Conversation(
            respondent_id=self.respondent.id,
            campaign_id=pk(campaign),
            channel=self.incoming.channel,
            source=self.incoming.source,
            step=step,
            started_at=self.now,
            updated_at=self.now,
        )
        self.session.add(self.conversation)
        await self.session.flush()
        return self.conversation

    async def acceptable(self, text: str, *, reprompt: bool = True) -> bool:
        """Empty and over-long texts get a clear message and are not stored."""
        if not text.strip():
            self.say_key("error.empty")
            if reprompt:
                await self.prompt()
            return False
        if len(text) > self.engine.max_answer_chars:
            self.say_key("error.too_long", max=self.engine.max_answer_chars)
            return False
        return True

    def answer_text(self, text: str) -> str:
        return self.engine.redact(clean_answer_text(text), self.language)

    async def store_answer(self, question: Question, text: str) -> bool:
        assert self.conversation is not None and self.campaign is not None
        assert self.campaign.id is not None and question.id is not None
        if not await self.acceptable(text):
            return False
        # The next position is computed by the INSERT itself: one statement instead of a read and a write.
        next_position = (
            select(func.coalesce(func.max(Answer.position), 0) + 1)
            .where(Answer.conversation_id == self.conversation.id)
            .scalar_subquery()
        )
        stored = self.answer_text(text)
        if stored != clean_answer_text(text) and not await self.told_about_hidden_numbers():
            # Once per conversation, the first answer that lost something; it opens the next message.
            self.preface = t(self.language, "privacy.numbers_hidden")
        self.session.add(
            Answer(
                campaign_id=pk(self.campaign),
                question_id=pk(question),
                conversation_id=self.conversation.id,
                respondent_id=self.conversation.respondent_id,
                position=next_position,  # type: ignore[arg-type]  # a scalar subquery: the INSERT computes it
                text=stored,
                language=self.language,
                channel=self.incoming.channel,
                source=self.conversation.source,
                message_key=self.incoming.message_key,
                created_at=self.now,
            )
        )
        await self.session.flush()
        ANSWERS.labels(self.incoming.channel).inc()
        return True

    async def told_about_hidden_numbers(self) -> bool:
        """Whether an earlier answer in this conversation already holds a placeholder (so the person was told)."""
        assert self.conversation is not None
        texts = (
            await self.session.exec(select(Answer.text).where(Answer.conversation_id == self.conversation.id))
        ).all()
        return any(placeholder in text for text in texts for placeholder in all_placeholders())

    async def replace_text(self, answer: Answer, text: str) -> None:
        answer.text = self.answer_text(text)
        answer.edited_at = self.now
        self.session.add(answer)

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

    async def unlink_anonymous(self, conversation: Conversation) -> None:
        """An anonymous campaign's answers lose every link to the person once the conversation is done."""
        for answer in await self.answers():
            answer.respondent_id = None
            answer.conversation_id = None
            answer.message_key = None
            self.session.add(answer)
        await self.session.flush()
        await self.drop_conversation(conversation)

    async def drop_conversation(self, conversation: Conversation) -> None:
        """Delete the conversation, and the pseudonym with it when the person has no other conversation."""
        self._preloaded = None
        await self.session.delete(conversation)
        await self.session.flush()
        self.conversation = None
        assert self.respondent is not None and self.respondent.id is not None
        others = await self.session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.respondent_id == self.respondent.id)
        )
        if not others:
            await erase_respondent(self.session, self.respondent.id)
            self.respondent = None

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
            assert self.respondent.id is not None
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
