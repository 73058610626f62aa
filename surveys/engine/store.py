"""The SQL of a turn, in SQLAlchemy Core: no Session, no unit of work, no ORM row loading on the hot path.

The ORM spent most of a turn's CPU on bookkeeping a turn does not need (flush planning, the identity map, loading
rows into tracked objects, compiling statements it builds afresh). Here every statement is built once at import
(so SQLAlchemy compiles it once and reuses it), rows come back from Core and become detached model instances
(`detached`: what the ORM's loader does, without a session), and `Rows` writes back the columns a turn changed
with one UPDATE per changed row, before the next statement (as the ORM's autoflush would) and at the end.

The SQLModel models stay what they are for everything else: migrations, the dashboard, the CLI. A turn that needs
an ORM helper off the hot path (an erasure, a respondent's data) gets a Session in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Dialect, Executable, Result, and_, bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import ConversationStatus
from surveys.text import search_key

M = TypeVar("M", bound=SQLModel)

TABLES = SQLModel.metadata.tables
RESPONDENT, CONVERSATION, CAMPAIGN = TABLES["respondent"], TABLES["conversation"], TABLES["campaign"]
ANSWER, QUESTION, CONTACT, UNIT = TABLES["answer"], TABLES["question"], TABLES["channel_contact"], TABLES["unit"]
PROCESSED = TABLES["processed_update"]
_OPEN = (ConversationStatus.active.value, ConversationStatus.completed.value)


class TurnDb(Protocol):
    """What a turn runs its SQL on: an AsyncConnection (`ConnectionDb`) or, for SQLite in one thread hop, a facade
    over a synchronous Connection whose methods finish without suspending (`sqlite_turns.ConnectionFacade`)."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]: ...

    def session(self) -> Any: ...


class ConnectionDb:
    """An AsyncConnection in its transaction, with an ORM session on the same transaction for the rare steps."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return await self._connection.execute(statement, parameters)

    def session(self) -> AsyncSession:
        return AsyncSession(bind=self._connection, expire_on_commit=False)


def detached(model: type[M], values: Iterable[tuple[str, Any]]) -> M:
    """A model instance holding a row's values, belonging to no session (as the ORM's loader builds one)."""
    instance: M = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(values)
    return instance


def columns_of(row: Sequence[Any], start: int, keys: Sequence[str]) -> Iterable[tuple[str, Any]]:
    return zip(keys, row[start : start + len(keys)], strict=True)


def _unchanged(instance: SQLModel) -> None:
    state = instance_state(instance)
    state.modified = False
    state.committed_state.clear()


class Rows:
    """The rows a turn read or wrote, by table and id (one instance per row, as in a session's identity map); `write`
    sends what changed since they were read or last written: one UPDATE of the changed columns per row."""

    def __init__(self, db: TurnDb) -> None:
        self._db = db
        self._rows: dict[tuple[str, Any], SQLModel] = {}

    def load(self, model: type[M], values: Iterable[tuple[str, Any]]) -> M:
        fresh = detached(model, values)
        key = (str(model.__tablename__), fresh.__dict__["id"])
        known = self._rows.get(key)
        if known is not None:
            return known  # type: ignore[return-value]  # the instance of this row the turn already has
        self._rows[key] = fresh
        return fresh

    async def insert(
        self, row: M, statement: Executable | None = None, computed: tuple[str, ...] = (), **extra: Any
    ) -> M:
        """A new row: one INSERT of its values now, its id set, later changes written back like any row's.
        `statement` may compute the `computed` columns in the database (given `extra` parameters); they are
        not read back."""
        table = row.__table__  # type: ignore[attr-defined]
        values = {key: row.__dict__[key] for key in table.c.keys() if key in row.__dict__}  # noqa: SIM118
        if values.get("id") is None:
            values.pop("id", None)
        for key in computed:
            values.pop(key, None)
            row.__dict__[key] = None
        if table is ANSWER:
            values["search_text"] = search_key(values["text"])
        result = await self._db.execute(insert(table) if statement is None else statement, {**values, **extra})
        inserted = cast("CursorResult[Any]", result).inserted_primary_key
        assert inserted is not None
        row.__dict__["id"] = inserted[0]
        _unchanged(row)
        self._rows[(table.name, row.__dict__["id"])] = row
        return row

    def forget(self, row: SQLModel) -> None:
        self._rows.pop((str(row.__tablename__), row.__dict__.get("id")), None)

    async def write(self) -> None:
        for row in self._rows.values():
            state = instance_state(row)
            if not state.modified:
                continue
            current = row.__dict__
            changed = {key: current[key] for key, old in state.committed_state.items() if current.get(key) != old}
            if changed:
                table = row.__table__  # type: ignore[attr-defined]
                if table is ANSWER and "text" in changed:
                    changed["search_text"] = search_key(changed["text"])
                await self._db.execute(_UPDATE[table.name], {"row_id": current["id"], **changed})
            _unchanged(row)


# Built once. An UPDATE without SET: Core takes the SET clause from the parameters' keys (one compiled form per
# set of changed columns, cached by SQLAlchemy).
_UPDATE = {
    table.name: update(table).where(table.c.id == bindparam("row_id"))
    for table in (RESPONDENT, CONVERSATION, ANSWER, CONTACT)
}

CLAIM = insert(PROCESSED)
LOCK = text("SELECT pg_advisory_xact_lock(:lock)")
LOCK_AND_CLAIM = text(
    "INSERT INTO processed_update (key, processed_at) "
    "SELECT :key, :now FROM (SELECT pg_advisory_xact_lock(:lock)) AS held"
)

R_KEYS, C_KEYS, K_KEYS = tuple(RESPONDENT.c.keys()), tuple(CONVERSATION.c.keys()), tuple(CAMPAIGN.c.keys())
A_KEYS, Q_KEYS, CONTACT_KEYS = tuple(ANSWER.c.keys()), tuple(QUESTION.c.keys()), tuple(CONTACT.c.keys())

_latest = CONVERSATION.alias("latest")
_LATEST_CONVERSATION = (
    select(_latest.c.id)
    .where(_latest.c.respondent_id == RESPONDENT.c.id, _latest.c.status.in_(_OPEN))
    # The active conversation, else a completed one (so "add more" works); a cancelled one stays closed.
    .order_by(_latest.c.status == ConversationStatus.completed.value, _latest.c.updated_at.desc())
    .limit(1)
    .correlate(RESPONDENT)
    .scalar_subquery()
)
_ALL = (*RESPONDENT.c, *CONVERSATION.c, *CAMPAIGN.c)
# The respondent and the conversation and campaign the message most likely belongs to, in one query.
STATE = (
    select(*_ALL)
    .select_from(RESPONDENT)
    .outerjoin(CONVERSATION, CONVERSATION.c.id == _LATEST_CONVERSATION)
    .outerjoin(CAMPAIGN, CAMPAIGN.c.id == CONVERSATION.c.campaign_id)
    .where(RESPONDENT.c.pseudonym == bindparam("key"))
)
STATE_IN_CAMPAIGN = (
    select(*_ALL)
    .select_from(RESPONDENT)
    .outerjoin(CAMPAIGN, CAMPAIGN.c.code == bindparam("code"))
    .outerjoin(
        CONVERSATION,
        and_(CONVERSATION.c.respondent_id == RESPONDENT.c.id, CONVERSATION.c.campaign_id == CAMPAIGN.c.id),
    )
    .where(RESPONDENT.c.pseudonym == bindparam("key"))
)
_CONVERSATION_AND_CAMPAIGN = (
    select(*CONVERSATION.c, *CAMPAIGN.c)
    .join(CAMPAIGN, CAMPAIGN.c.id == CONVERSATION.c.campaign_id)
    .where(CONVERSATION.c.respondent_id == bindparam("respondent"))
)
CONVERSATION_IN_CAMPAIGN = _CONVERSATION_AND_CAMPAIGN.where(CONVERSATION.c.campaign_id == bindparam("campaign")).limit(
    1
)
LATEST_OPEN_CONVERSATION = (
    _CONVERSATION_AND_CAMPAIGN.where(CONVERSATION.c.status.in_(_OPEN))
    .order_by(CONVERSATION.c.status == ConversationStatus.completed.value, CONVERSATION.c.updated_at.desc())
    .limit(1)
)
CONVERSATION_OF = select(*CONVERSATION.c).where(
    CONVERSATION.c.respondent_id == bindparam("respondent"), CONVERSATION.c.campaign_id == bindparam("campaign")
)
CAMPAIGN_BY_CODE = select(*CAMPAIGN.c).where(CAMPAIGN.c.code == bindparam("code"))
CAMPAIGN_BY_ID = select(*CAMPAIGN.c).where(CAMPAIGN.c.id == bindparam("id"))
UNIT_NAME = select(UNIT.c.name).where(UNIT.c.id == bindparam("id"))
QUESTIONS = select(*QUESTION.c).where(QUESTION.c.survey_id == bindparam("survey")).order_by(QUESTION.c.position)
ANSWERS = (
    select(*ANSWER.c)
    .where(ANSWER.c.conversation_id == bindparam("conversation"))
    .order_by(ANSWER.c.position, ANSWER.c.id)
)
ANSWER_BY_ID = select(*ANSWER.c).where(ANSWER.c.id == bindparam("id"))
ANSWER_TO_MESSAGE = select(*ANSWER.c).where(
    ANSWER.c.respondent_id == bindparam("respondent"), ANSWER.c.message_key == bindparam("message_key")
)
ANSWER_TEXTS = select(ANSWER.c.text).where(ANSWER.c.conversation_id == bindparam("conversation"))
# The next position is computed by the INSERT itself: one statement instead of a read and a write.
INSERT_ANSWER = insert(ANSWER).values(
    position=select(func.coalesce(func.max(ANSWER.c.position), 0) + 1)
    .where(ANSWER.c.conversation_id == bindparam("for_conversation"))
    .scalar_subquery()
)
UNLINK_ANSWERS = (
    update(ANSWER)
    .where(ANSWER.c.conversation_id == bindparam("conversation"))
    .values(respondent_id=None, conversation_id=None, message_key=None)
)
DELETE_CONVERSATION = CONVERSATION.delete().where(CONVERSATION.c.id == bindparam("id"))
CONVERSATIONS_OF = (
    select(func.count()).select_from(CONVERSATION).where(CONVERSATION.c.respondent_id == bindparam("respondent"))
)
ACTIVE_CONVERSATIONS_OF = CONVERSATIONS_OF.where(CONVERSATION.c.status == ConversationStatus.active.value)
CONTACT_OF = select(*CONTACT.c).where(
    CONTACT.c.respondent_id == bindparam("respondent"), CONTACT.c.channel == bindparam("channel")
)
MARK_REPLIED = (
    update(PROCESSED)
    .where(PROCESSED.c.key.in_(bindparam("keys", expanding=True)), PROCESSED.c.replied_at.is_(None))
    .values(replied_at=bindparam("now"))
)
DELETE_CONTACTS = CONTACT.delete().where(CONTACT.c.respondent_id == bindparam("respondent"))

configure_mappers()  # `detached` builds instances through the mappers' class managers
