"""The engine: one transaction per incoming message, holding the respondent's lock, and the routing of the message
to a command or to the handler of the conversation's current step."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime

from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import accepts_answers
from surveys.commands import parse_command
from surveys.db import lock_number
from surveys.deidentify import redact as default_redact
from surveys.engine import flow, pending, store
from surveys.engine.commands import COMMANDS
from surveys.engine.payloads import Payload
from surveys.engine.sqlite_turns import SQLiteTurns, one_hop_engine
from surveys.engine.steps import STEPS, Said, StepSpec
from surveys.engine.store import ConnectionDb, TurnDb
from surveys.engine.turn import Turn
from surveys.messages import Incoming, IncomingKind, Reply
from surveys.models import (
    ChannelContact,
    Conversation,
    ConversationStatus,
    ProcessedUpdate,
    Question,
    Respondent,
    utcnow,
)
from surveys.pseudonyms import pseudonym
from surveys.sealing import seal, unseal

log = logging.getLogger("surveys.engine")

# The engine's Prometheus series (labels: channel names and fixed outcome words only, never anything about a person).
UPDATES = Counter(
    "viktig_updates_total",
    "Incoming messages processed by the engine, by channel and outcome (ok, duplicate); "
    "failures count in viktig_errors_total.",
    ("channel", "outcome"),
)
DUPLICATES = Counter(
    "viktig_duplicate_updates_total", "Updates recognised as already processed and skipped, by channel.", ("channel",)
)
QUEUE_DELAY = Histogram(
    "viktig_update_queue_delay_seconds",
    "Time an update waited for its respondent's turn before processing began.",
    ("channel",),
)
PROCESSING = Histogram(
    "viktig_update_processing_seconds", "Time from taking a respondent's turn to the committed reply.", ("channel",)
)

MAX_ANSWER_CHARS = 20_000


class ConversationEngine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        secret_key: str,
        redact: Callable[[str, str], str] = default_redact,
        max_answer_chars: int = MAX_ANSWER_CHARS,
        clock: Callable[[], datetime] = utcnow,
        steps: Mapping[str, StepSpec] = STEPS,
        one_hop_sqlite: bool = True,
    ) -> None:
        self._sessions = sessions
        self._secret_key = secret_key
        self.redact = redact
        self.max_answer_chars = max_answer_chars
        self.clock = clock
        self.steps = steps
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.question_cache: dict[int, tuple[Question, ...]] = {}
        bind = sessions.kw.get("bind")
        assert isinstance(bind, AsyncEngine), "the engine's turns run on the sessions' engine"
        self._bind = bind
        postgresql = bind.dialect.name == "postgresql"
        self._single_statement = bind.execution_options(isolation_level="AUTOCOMMIT") if postgresql else bind
        # SQLite through aiosqlite: the whole turn in one hop to the database thread (`sqlite_turns`).
        sqlite = one_hop_engine(bind) if one_hop_sqlite else None
        self._sqlite_turns = SQLiteTurns(sqlite) if sqlite is not None else None

    def pseudonym_for(self, channel: str, user_ref: str) -> str:
        return pseudonym(self._secret_key, channel, user_ref)

    def seal_address(self, address: str) -> str:
        """A channel address sealed under the secret key, for the people who asked to be told (surveys.notify)."""
        return seal(self._secret_key, address)

    def open_address(self, sealed: str) -> str:
        """The address back; raises surveys.sealing.SealBroken for one sealed under another key."""
        return unseal(self._secret_key, sealed)

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
        queued = time.perf_counter()
        async with self._lock_for(key):
            try:
                if self._sqlite_turns is not None:
                    reply, started = await self._sqlite_turns.run_connection(
                        lambda facade: self._turn(facade, incoming, key, queued)
                    )
                else:
                    reply, started = await self._in_transaction(incoming, key, queued)
            except IntegrityError:
                seen = await self._update_seen(incoming.update_key) if incoming.update_key else None
                if seen is None:
                    raise
                unreplied = incoming.records_delivery and seen.replied_at is None
                reply = await self._rebuilt_reply(incoming, key) if unreplied else Reply(duplicate=True)
                return _skipped_duplicate(incoming.channel, reply)
        _processed(incoming.channel, started)
        log.debug("handled %s message for respondent %s: step=%s", incoming.channel, key[:10], reply.step)
        return reply

    async def _in_transaction(self, incoming: Incoming, key: str, queued: float) -> tuple[Reply, float]:
        """Without pre-ping a pooled connection may be dead (server restart, idle cut by a proxy): the failed
        transaction committed nothing, so it is run once more on a fresh connection."""
        for attempt in (1, 2):
            try:
                async with self._bind.connect() as connection, connection.begin():
                    return await self._turn(ConnectionDb(connection), incoming, key, queued)
            except DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
                log.warning("database connection was dead; turn retried on a new one")
        raise AssertionError("unreachable")

    async def _turn(self, db: TurnDb, incoming: Incoming, key: str, queued: float) -> tuple[Reply, float]:
        """The turn inside its transaction: the database lock, the update's key, then the conversation; Core
        statements only (`store`), the changed rows written back at the end."""
        postgresql = db.dialect.name == "postgresql"
        if incoming.update_key and postgresql:
            # The key's lock and the update's key in one statement (one round trip); a key seen before fails the
            # primary key once the lock is held (IntegrityError, caught in `handle`).
            try:
                params = {"key": incoming.update_key, "now": self.clock(), "lock": lock_number(key)}
                await db.execute(store.LOCK_AND_CLAIM, params)
            finally:
                started = _turn_taken(incoming.channel, queued)  # the lock is held, also when the key was seen
        else:
            if postgresql:
                await db.execute(store.LOCK, {"lock": lock_number(key)})
            # On SQLite the transaction already holds the single write lock (BEGIN IMMEDIATE).
            started = _turn_taken(incoming.channel, queued)
            if incoming.update_key:
                # Inserted first thing: a key seen before fails the primary key, so a duplicate costs no extra
                # read and a new update no look-up before its insert.
                await db.execute(store.CLAIM, {"key": incoming.update_key, "processed_at": self.clock()})
        turn = Turn(self, db, incoming, key, self.steps)
        reply = await route(turn)
        await turn.finish()
        return reply, started

    async def _update_seen(self, update_key: str) -> ProcessedUpdate | None:
        async with self._sessions() as session:
            return await session.get(ProcessedUpdate, update_key)

    async def _rebuilt_reply(self, incoming: Incoming, key: str) -> Reply:
        """What the person should see now, for an update stored before a crash took its reply: nothing is written.

        The current step's prompt (answers shown as stored, i.e. redacted), or for a completed conversation the
        thanks with the erasure reference. Without a conversation there is nothing to rebuild.
        """
        async with self._bind.connect() as connection:
            turn = Turn(self, ConnectionDb(connection), incoming, key, self.steps)
            await turn.load_respondent()
            conversation = await turn.load_conversation()
            if conversation is not None:
                if conversation.status == ConversationStatus.completed.value:
                    turn.say_key("done.thanks")
                    assert turn.campaign is not None and turn.respondent is not None
                    if not turn.campaign.anonymous:  # with the question after it, if it is still open
                        flow.say_reference(turn, offer=conversation.step == flow.Step.notify)
                else:
                    await turn.prompt()
            step = conversation.step if conversation is not None else None
            await connection.rollback()  # nothing was changed, and nothing is committed
        reply = turn.reply
        reply.duplicate, reply.language, reply.step = True, turn.language, step
        if reply.messages:
            log.info("rebuilt the reply of a stored %s update whose reply was not delivered", incoming.channel)
        return reply

    async def mark_replied(self, update_keys: list[str]) -> None:
        """The channel delivered these updates' replies: a redelivery of them stays silent.

        One statement needs no transaction around it: on PostgreSQL it runs in autocommit, one round trip instead
        of three (BEGIN, UPDATE, COMMIT)."""
        if not update_keys:
            return
        async with self._single_statement.begin() as connection:
            await connection.execute(store.MARK_REPLIED, {"keys": update_keys, "now": self.clock()})

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


async def route(turn: Turn) -> Reply:
    """Hand the message to its command, or to the current step's handler."""
    incoming = turn.incoming
    await turn.load_respondent()
    kind, command, argument = incoming.kind, incoming.command, incoming.argument
    if kind is IncomingKind.text:
        parsed = parse_command(incoming.text)
        if parsed is not None:
            kind, (command_enum, argument) = IncomingKind.command, parsed
            command = command_enum.value
    if kind is IncomingKind.command:
        handler = COMMANDS.get(command or "")
        if handler is None:
            turn.say_key("error.not_understood")
        else:
            await handler(turn, argument)
    elif kind is IncomingKind.unsupported:
        await turn.load_conversation()
        turn.say_key("error.only_text")
    elif kind is IncomingKind.edit:
        await flow.on_edit(turn)
    else:
        await on_message(turn, kind)
    if turn.stale_pressed and incoming.repeat_on_stale:
        await flow.repeat_where_we_are(turn)
    turn.flush_preface()
    turn.reply.language = turn.language
    respondent = turn.respondent
    turn.reply.respondent_reference = respondent.reference if respondent and respondent.id else None
    turn.reply.step = turn.conversation.step if turn.conversation is not None else None
    return turn.reply


async def on_message(turn: Turn, kind: IncomingKind) -> None:
    """Typed text or a pressed button outside a command."""
    button = Payload.decode(turn.incoming.payload) if kind is IncomingKind.choice else None
    respondent = turn.respondent
    if button is not None and button.respondent_level:
        if respondent is not None and respondent.pending_action:
            await pending.on_pending_choice(turn, button)
        else:
            turn.stale()
        return
    awaiting = respondent is not None and respondent.pending_action and kind is IncomingKind.text
    if awaiting and await pending.on_pending_text(turn, turn.incoming.text):
        return
    conversation = await turn.load_conversation()
    if conversation is None:
        if turn.incoming.campaign_code:
            await flow.start(turn, turn.incoming.campaign_code)
        else:
            if kind is IncomingKind.choice:
                turn.stale()
            turn.say_key("campaign.how_to_start")
        return
    assert turn.campaign is not None
    flow.reopened(conversation)
    refusal = accepts_answers(turn.campaign, turn.now)
    if refusal is not None:
        turn.say_key(refusal)
        return
    completed = conversation.status == ConversationStatus.completed.value
    # A completed conversation is at "done", or still at the question asked after the thanks ("notify").
    step = turn.steps[flow.Step.done if completed and conversation.step != flow.Step.notify else conversation.step]
    if kind is IncomingKind.choice:
        if button is None or button.turn != conversation.turn or not step.accepts(button):
            turn.stale()  # a double tap, an old button, or one this step does not show
            return
        await step.handle(turn, Said(button=button))
    else:
        await step.handle(turn, Said(text=turn.incoming.text))
    turn.touch()


def _turn_taken(channel: str, queued: float) -> float:
    """The update got its respondent's turn (both locks held): record how long it queued; returns the moment."""
    moment = time.perf_counter()
    QUEUE_DELAY.labels(channel).observe(moment - queued)
    return moment


def _processed(channel: str, started: float) -> None:
    PROCESSING.labels(channel).observe(time.perf_counter() - started)
    UPDATES.labels(channel, "ok").inc()


def _skipped_duplicate(channel: str, reply: Reply) -> Reply:
    """Count an update recognised as already processed, and hand back the reply to return."""
    DUPLICATES.labels(channel).inc()
    UPDATES.labels(channel, "duplicate").inc()
    return reply
