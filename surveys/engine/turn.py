"""One incoming message being handled inside one transaction: its state and the reads and writes it needs.

Everything the steps store or read goes through these methods, so the steps stay free of SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from prometheus_client import Counter
from sqlalchemy import Executable, Result
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import normalise_code
from surveys.deidentify import all_placeholders
from surveys.engine import store
from surveys.engine.payloads import Payload
from surveys.engine.store import TurnDb, columns_of
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
from surveys.rights import ErasureCounts, erase_respondent
from surveys.settings import DEFAULT_LANGUAGE
from surveys.text import clean_answer_text

if TYPE_CHECKING:
    from surveys.engine.core import ConversationEngine
    from surveys.engine.steps import StepSpec

Rows = tuple[tuple[Button, ...], ...]
M = TypeVar("M", bound=Respondent | Conversation | Answer | ChannelContact)

ANSWERS = Counter("viktig_answers_stored_total", "Answers stored, by channel.", ("channel",))


class Turn:
    """The state of one message's handling: who, which conversation and campaign, and the reply so far."""

    def __init__(
        self,
        engine: ConversationEngine,
        db: TurnDb,
        incoming: Incoming,
        key: str,
        steps: Mapping[str, StepSpec],
    ) -> None:
        self.engine = engine
        self.db = db
        self.rows = store.Rows(db)
        self._session: AsyncSession | None = None
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

    # ------------------------------------------------------------ the database
    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result[Any]:
        """Run one Core statement in the turn's transaction, after writing what the turn changed so far (so it
        sees the turn's own changes, as the ORM's autoflush did)."""
        await self.rows.write()
        return await self.db.execute(statement, parameters)

    async def add(self, row: M) -> M:
        """Store a new row now (one INSERT; its id is set); later changes to it are written back."""
        await self.rows.write()
        return await self.rows.insert(row)

    async def orm_session(self) -> AsyncSession:
        """An ORM session in this turn's transaction, for the helpers off the hot path that take one (an erasure,
        a respondent's data); what the turn changed so far is written first, so the session sees it."""
        await self.rows.write()
        if self._session is None:
            self._session = cast(AsyncSession, self.db.session())
        return self._session

    async def finish(self) -> None:
        """The end of the turn: write back what changed (the caller commits)."""
        await self.rows.write()

    # --------------------------------------------------------------- reading
    async def load_respondent(self) -> None:
        """The respondent and the conversation and campaign this message most likely belongs to, in one query;
        the first `load_conversation` takes the latter two from here instead of asking again."""
        code = self.incoming.campaign_code
        statement = store.STATE_IN_CAMPAIGN if code else store.STATE
        params = {"key": self.key, "code": normalise_code(code)} if code else {"key": self.key}
        row = (await self.execute(statement, params)).first()
        if row is not None:
            self.respondent = self.rows.load(Respondent, columns_of(row, 0, store.R_KEYS))
            at = len(store.R_KEYS)
            conversation = self._conversation_at(row, at)
            campaign = self._campaign_at(row, at + len(store.C_KEYS))
            self._preloaded = (code, conversation, campaign)
        self.language = (
            (self.respondent.language if self.respondent else None)
            or normalise_language(self.incoming.language_hint)
            or DEFAULT_LANGUAGE
        )

    def _conversation_at(self, row: Sequence[Any], at: int) -> Conversation | None:
        return None if row[at] is None else self.rows.load(Conversation, columns_of(row, at, store.C_KEYS))

    @staticmethod
    def _campaign_at(row: Sequence[Any], at: int) -> Campaign | None:
        return None if row[at] is None else store.detached(Campaign, columns_of(row, at, store.K_KEYS))

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
        if code:
            campaign = await self.find_campaign(code)
            if campaign is None:
                return None
            statement, params = store.CONVERSATION_IN_CAMPAIGN, {"campaign": campaign.id}
        else:
            statement, params = store.LATEST_OPEN_CONVERSATION, {}
        row = (await self.execute(statement, {"respondent": self.respondent.id, **params})).first()
        if row is None:
            return None
        self.conversation = self._conversation_at(row, 0)
        self.campaign = self._campaign_at(row, len(store.C_KEYS))
        return self.conversation

    async def find_campaign(self, code: str) -> Campaign | None:
        row = (await self.execute(store.CAMPAIGN_BY_CODE, {"code": normalise_code(code)})).first()
        return self._campaign_at(row, 0) if row is not None else None

    async def campaign_by_id(self, campaign_id: int) -> Campaign | None:
        row = (await self.execute(store.CAMPAIGN_BY_ID, {"id": campaign_id})).first()
        return self._campaign_at(row, 0) if row is not None else None

    async def unit_name(self, unit_id: int) -> str | None:
        name: str | None = (await self.execute(store.UNIT_NAME, {"id": unit_id})).scalar()
        return name

    async def conversation_in(self, campaign: Campaign) -> Conversation | None:
        assert self.respondent is not None
        params = {"respondent": self.respondent.id, "campaign": campaign.id}
        row = (await self.execute(store.CONVERSATION_OF, params)).first()
        return self._conversation_at(row, 0) if row is not None else None

    async def questions(self) -> list[Question]:
        """A survey's questions never change once installed (a changed survey gets a new key), so each engine
        reads them once per survey; they belong to no session and are only read."""
        assert self.campaign is not None
        survey_id = self.campaign.survey_id
        cached = self.engine.question_cache.get(survey_id)
        if cached is None:
            rows = (await self.execute(store.QUESTIONS, {"survey": survey_id})).all()
            cached = tuple(store.detached(Question, columns_of(row, 0, store.Q_KEYS)) for row in rows)
            self.engine.question_cache[survey_id] = cached
        return list(cached)

    async def current_question(self) -> Question:
        questions = await self.questions()
        assert self.conversation is not None
        return questions[min(self.conversation.question_index, len(questions) - 1)]

    async def answers(self) -> list[Answer]:
        assert self.conversation is not None
        rows = (await self.execute(store.ANSWERS, {"conversation": self.conversation.id})).all()
        return [self.rows.load(Answer, columns_of(row, 0, store.A_KEYS)) for row in rows]

    async def answer_being_edited(self) -> Answer | None:
        assert self.conversation is not None
        answer_id = self.conversation.editing_answer_id
        return await self._answer(store.ANSWER_BY_ID, {"id": answer_id}) if answer_id else None

    async def answer_to_message(self) -> Answer | None:
        assert self.respondent is not None
        params = {"respondent": self.respondent.id, "message_key": self.incoming.message_key}
        return await self._answer(store.ANSWER_TO_MESSAGE, params)

    async def _answer(self, statement: Executable, params: Mapping[str, Any]) -> Answer | None:
        row = (await self.execute(statement, params)).first()
        return self.rows.load(Answer, columns_of(row, 0, store.A_KEYS)) if row is not None else None

    # --------------------------------------------------------------- writing
    async def ensure_respondent(self) -> Respondent:
        if self.respondent is None:
            self.respondent = await self.add(
                Respondent(
                    pseudonym=self.key,
                    reference=reference_for(self.key),
                    channel=self.incoming.channel,
                    language=normalise_language(self.incoming.language_hint),
                )
            )
        return self.respondent

    def save(self, row: Respondent | Conversation | Answer | ChannelContact) -> None:
        """Kept for the steps' readability: a row the turn read or added is written back when it changed."""

    async def start_conversation(self, campaign: Campaign, step: str) -> Conversation:
        assert self.respondent is not None and campaign.id is not None
        self._preloaded = None
        self.conversation = await self.add(
            Conversation(
                respondent_id=self.respondent.id,
                campaign_id=pk(campaign),
                channel=self.incoming.channel,
                source=self.incoming.source,
                step=step,
                started_at=self.now,
                updated_at=self.now,
            )
        )
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
        stored = self.answer_text(text)
        if stored != clean_answer_text(text) and not await self.told_about_hidden_numbers():
            # Once per conversation, the first answer that lost something; it opens the next message.
            self.preface = t(self.language, "privacy.numbers_hidden")
        answer = Answer(
            campaign_id=pk(self.campaign),
            question_id=pk(question),
            conversation_id=self.conversation.id,
            respondent_id=self.conversation.respondent_id,
            text=stored,
            language=self.language,
            channel=self.incoming.channel,
            source=self.conversation.source,
            message_key=self.incoming.message_key,
            created_at=self.now,
        )
        await self.rows.write()
        # The INSERT computes the next position itself: one statement instead of a read and a write.
        await self.rows.insert(
            answer, store.INSERT_ANSWER, computed=("position",), for_conversation=self.conversation.id
        )
        ANSWERS.labels(self.incoming.channel).inc()
        return True

    async def told_about_hidden_numbers(self) -> bool:
        """Whether an earlier answer in this conversation already holds a placeholder (so the person was told)."""
        assert self.conversation is not None
        texts = (await self.execute(store.ANSWER_TEXTS, {"conversation": self.conversation.id})).scalars()
        return any(placeholder in text for text in texts for placeholder in all_placeholders())

    async def replace_text(self, answer: Answer, text: str) -> None:
        answer.text = self.answer_text(text)
        answer.edited_at = self.now

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

    async def unlink_anonymous(self, conversation: Conversation) -> None:
        """An anonymous campaign's answers lose every link to the person once the conversation is done."""
        await self.execute(store.UNLINK_ANSWERS, {"conversation": conversation.id})
        await self.drop_conversation(conversation)

    async def drop_conversation(self, conversation: Conversation) -> None:
        """Delete the conversation, and the pseudonym with it when the person has no other conversation."""
        self._preloaded = None
        await self.execute(store.DELETE_CONVERSATION, {"id": conversation.id})
        self.rows.forget(conversation)
        self.conversation = None
        assert self.respondent is not None and self.respondent.id is not None
        others = (await self.execute(store.CONVERSATIONS_OF, {"respondent": self.respondent.id})).scalar()
        if not others:
            await self.erase_respondent()

    async def erase_respondent(self) -> ErasureCounts:
        """Delete everything of the respondent (`surveys.rights`, in this transaction); the turn forgets them."""
        assert self.respondent is not None and self.respondent.id is not None
        counts = await erase_respondent(await self.orm_session(), self.respondent.id)
        self.rows.forget(self.respondent)
        self.respondent = None
        return counts

    async def remember_contact(self) -> None:
        """Keep the channel address only when the campaign will need it (reminders)."""
        if not (self.incoming.address and self.campaign and self.campaign.reminder_after_hours and self.respondent):
            return
        params = {"respondent": self.respondent.id, "channel": self.incoming.channel}
        row = (await self.execute(store.CONTACT_OF, params)).first()
        if row is None:
            contact = ChannelContact(
                respondent_id=pk(self.respondent), channel=self.incoming.channel, address=self.incoming.address
            )
            await self.add(contact)
            return
        contact = self.rows.load(ChannelContact, columns_of(row, 0, store.CONTACT_KEYS))
        if contact.address != self.incoming.address or contact.unreachable:
            contact.address, contact.unreachable = self.incoming.address, False

    async def drop_contact_if_unneeded(self) -> None:
        if self.respondent is None or self.respondent.id is None:
            return
        active = (await self.execute(store.ACTIVE_CONVERSATIONS_OF, {"respondent": self.respondent.id})).scalar()
        if not active:
            await self.execute(store.DELETE_CONTACTS, {"respondent": self.respondent.id})
