"""All tables in one place. The schema changes only through Alembic migrations generated from these models.

Personal data is kept apart on purpose: `Respondent` holds only a keyed pseudonym, the address needed to reach a
person on a channel lives in `ChannelContact`, and the staff access log lives in `AccessLogEntry`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlmodel import Field, SQLModel

from surveys.text import search_key


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; we always store UTC, so attach it."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index))


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def _fk(target: str, *, nullable: bool = False, ondelete: str | None = "CASCADE", index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class CampaignStatus(StrEnum):
    draft = "draft"
    live = "live"
    closed = "closed"


class Channel(StrEnum):
    """Where a message came from; stored as its value in `channel` columns and in a campaign's `channels`."""

    telegram = "telegram"
    web = "web"
    staff = "staff"  # typed in by staff: the dashboard's entry form and paper-card imports
    terminal = "terminal"  # `viktig chat`


class QuestionKind(StrEnum):
    text = "text"
    choice = "choice"
    scale = "scale"


class AnswerSource(StrEnum):
    self = "self"
    staff = "staff"
    paper = "paper"


class ConversationStatus(StrEnum):
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class Area(SQLModel, table=True):
    """A part of the municipality that units belong to ("Helse og omsorg" -> "Hjemmeteneste" -> units); a tree of
    any depth through `parent_id` (surveys.areas refuses cycles). A leader for an area sees every unit under it."""

    __tablename__ = "area"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    parent_id: int | None = _fk("area.id", nullable=True, ondelete="RESTRICT")
    created_at: datetime = _created()


class Unit(SQLModel, table=True):
    """An organisational unit, e.g. "Hjemmetjenesten Øst"."""

    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    # "Minste gruppe": counts, shares and quotes of smaller groups are hidden from managers (small-number protection)
    min_group: int = Field(default=5, sa_column=Column(Integer, nullable=False, server_default="5"))
    created_at: datetime = _created()
    requires_totp: bool = False  # staff and managers of this unit must use two-factor login (admins always do)
    area_id: int | None = _fk("area.id", nullable=True, ondelete="SET NULL")  # None: the unit is in no area yet


class Survey(SQLModel, table=True):
    __tablename__ = "survey"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    version: int = 1
    # Per-language texts: {"title": {"nb": ...}, "purpose": {...}, "thanks": {...}}
    texts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _created()


class Question(SQLModel, table=True):
    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("survey_id", "key"), UniqueConstraint("survey_id", "position"))
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = _fk("survey.id")
    position: int
    key: str
    kind: str = QuestionKind.text.value
    required: bool = True
    repeat: bool = False  # ask "anything more?" until the respondent says that was all
    # {"prompt": {"nb": ...}, "more": {"nb": ...}, "options": [{"key": .., "label": {"nb": ..}}]}
    texts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    scale_min: int | None = None
    scale_max: int | None = None


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = _fk("unit.id", ondelete="RESTRICT")
    survey_id: int = _fk("survey.id", ondelete="RESTRICT")
    name: str = Field(sa_column=Column(Text, nullable=False))
    code: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    status: str = Field(default=CampaignStatus.live.value, index=True)
    anonymous: bool = False
    # True: only answers from conversations the person confirmed ("Ja, send inn") count in themes; the chat says so.
    count_completed_only: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    kiosk: bool = False  # a shared tablet on a stand: every finished web-chat conversation resets after a pause
    languages: str = "nb,nn,sv,en"  # first is the campaign's main language
    channels: str = "telegram,web,staff"
    # Optional per-language purpose and privacy texts written by staff; the catalogue supplies defaults.
    purpose: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    privacy_text: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    privacy_version: int = 1
    reminder_after_hours: int | None = None
    retention_months: int = 12
    opens_at: datetime | None = _ts(nullable=True)
    closes_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created()

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def channel_list(self) -> list[str]:
        return [name for name in self.channels.split(",") if name]


class AreaCampaign(SQLModel, table=True):
    """The same campaign in every unit under an area (e.g. the 6 June day), so it can be rolled up across units.

    Each unit still has its own Campaign (its own code, poster and small-number threshold); the members link them.
    `day` is set for a kit (`viktig kit --date`): with the area it names the kit, so running it again finds it.
    """

    __tablename__ = "area_campaign"
    __table_args__ = (UniqueConstraint("area_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    area_id: int = _fk("area.id", ondelete="RESTRICT")
    name: str = Field(sa_column=Column(Text, nullable=False))
    day: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    created_at: datetime = _created()


class AreaCampaignMember(SQLModel, table=True):
    """One unit's campaign in an area campaign; one per unit, so creating it again adds only missing units."""

    __tablename__ = "area_campaign_member"
    __table_args__ = (UniqueConstraint("area_campaign_id", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    area_campaign_id: int = _fk("area_campaign.id")
    unit_id: int = _fk("unit.id")
    campaign_id: int = Field(
        sa_column=Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, unique=True)
    )


class Respondent(SQLModel, table=True):
    """A person known only by a keyed pseudonym (HMAC of channel and channel user id)."""

    __tablename__ = "respondent"
    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))  # short, shown to the person
    channel: str
    language: str | None = None
    language_chosen: bool = False
    pending_action: str | None = None  # e.g. "confirm_delete", "choose_language"
    created_at: datetime = _created()


class ChannelContact(SQLModel, table=True):
    """How to reach a respondent on a channel (a Telegram chat id); deleted on erasure or when no longer needed."""

    __tablename__ = "channel_contact"
    __table_args__ = (UniqueConstraint("respondent_id", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = _fk("respondent.id")
    channel: str
    address: str
    unreachable: bool = False
    created_at: datetime = _created()


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("respondent_id", "campaign_id"),)
    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int | None = _fk("respondent.id", nullable=True)
    campaign_id: int = _fk("campaign.id")
    channel: str
    source: str = AnswerSource.self.value
    status: str = ConversationStatus.active.value
    step: str = "consent"
    question_index: int = 0
    turn: int = 0  # increases with every prompt; buttons carry it so stale taps are recognised
    editing_answer_id: int | None = None
    # An answer typed before consent: held only until the person says yes (then stored as an answer) or no (gone).
    pending_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    consent_version: int | None = None
    consent_at: datetime | None = _ts(nullable=True)
    started_at: datetime = _created()
    updated_at: datetime = _created()
    completed_at: datetime | None = _ts(nullable=True)
    reminder_due_at: datetime | None = _ts(nullable=True, index=True)
    reminder_sent_at: datetime | None = _ts(nullable=True)


class Answer(SQLModel, table=True):
    __tablename__ = "answer"
    __table_args__ = (Index("ix_answer_campaign_created", "campaign_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = _fk("campaign.id", index=False)
    question_id: int = _fk("question.id", ondelete="RESTRICT")
    conversation_id: int | None = _fk("conversation.id", nullable=True, ondelete="SET NULL")
    respondent_id: int | None = _fk("respondent.id", nullable=True)
    position: int = 0  # order within the conversation
    text: str = Field(sa_column=Column(Text, nullable=False))
    search_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # search_key(text)
    language: str = "nb"
    channel: str
    source: str = AnswerSource.self.value
    message_key: str | None = None  # the channel's message reference, so an edited message updates its answer
    created_at: datetime = _created()
    edited_at: datetime | None = _ts(nullable=True)


@event.listens_for(Answer, "before_insert")
@event.listens_for(Answer, "before_update")
def _fill_search_text(_mapper: Any, _connection: Any, answer: Answer) -> None:
    """Every ORM write keeps the search column in step with the text, whichever channel wrote it."""
    answer.search_text = search_key(answer.text)


class ProcessedUpdate(SQLModel, table=True):
    """Idempotency keys: an update with a key seen before is not processed again."""

    __tablename__ = "processed_update"
    key: str = Field(sa_column=Column(Text, primary_key=True))
    processed_at: datetime = _created()
    replied_at: datetime | None = _ts(nullable=True)  # None: stored, but the reply may not have reached the person


class ThemeRun(SQLModel, table=True):
    __tablename__ = "theme_run"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = _fk("campaign.id")
    created_at: datetime = _created()
    n_answers: int = 0
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Theme(SQLModel, table=True):
    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = _fk("campaign.id")
    key: str
    label: str = Field(sa_column=Column(Text, nullable=False))
    label_locked: bool = False  # a manager renamed it; later runs keep the name
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    quotes: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    size: int = 0
    share: float = 0.0
    taxonomy_key: str | None = None
    is_other: bool = False
    merged_into_id: int | None = _fk("theme.id", nullable=True, ondelete="SET NULL")
    run_id: int | None = _fk("theme_run.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = _created()
    updated_at: datetime = _created()
    # A discovered theme is a suggestion until a manager reviews it: "accepted" (it joined the unit's taxonomy as
    # unit_theme_id) or "rejected" (its answers went to "other"; reviewed_answers remembers the group, so a later
    # run that finds the same group again does not suggest it again).
    review: str | None = None
    unit_theme_id: int | None = _fk("unit_theme.id", nullable=True, ondelete="SET NULL")
    reviewed_answers: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))


class UnitTheme(SQLModel, table=True):
    """A theme a manager accepted from a campaign's suggestions: part of the unit's own taxonomy from then on.

    Later analyses of the unit's campaigns use it as an anchor: its terms as seed words, and the stored vectors of
    its example answers as anchored neighbours. Examples are answer ids, not copies of the text, so an erased or
    purged answer stops being an example with it (no answer text outlives its retention here).
    """

    __tablename__ = "unit_theme"
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = _fk("unit.id")
    label: str = Field(sa_column=Column(Text, nullable=False))
    terms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    example_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_campaign_id: int | None = _fk("campaign.id", nullable=True, ondelete="SET NULL")
    created_by: str = ""
    created_at: datetime = _created()

    @property
    def key(self) -> str:
        """The taxonomy key its themes carry in every campaign of the unit (matches them across campaigns)."""
        return f"{UNIT_THEME_PREFIX}{self.id}"

    @staticmethod
    def id_in(key: str | None) -> int | None:
        """The unit theme a taxonomy key stands for, or None for a key of the taxonomy file."""
        if key is None or not key.startswith(UNIT_THEME_PREFIX) or not key[len(UNIT_THEME_PREFIX) :].isdigit():
            return None
        return int(key[len(UNIT_THEME_PREFIX) :])


UNIT_THEME_PREFIX = "unit_"


class AnswerTheme(SQLModel, table=True):
    __tablename__ = "answer_theme"
    answer_id: int = Field(sa_column=Column(Integer, ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True))
    theme_id: int = _fk("theme.id")
    run_id: int | None = _fk("theme_run.id", nullable=True, ondelete="SET NULL")
    manual: bool = False  # a manager moved it; later runs respect it
    score: float | None = None


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    password_hash: str
    role: str  # admin | manager | staff
    unit_id: int | None = _fk("unit.id", nullable=True, ondelete="SET NULL")
    area_id: int | None = _fk("area.id", nullable=True, ondelete="SET NULL")  # role area_manager: sees the area's units
    language: str = "nb"
    active: bool = True
    created_at: datetime = _created()
    last_login_at: datetime | None = _ts(nullable=True)
    # Two-factor login (TOTP, RFC 6238): the secret, when it was confirmed, and the last time step used.
    totp_secret: str | None = None
    totp_confirmed_at: datetime | None = _ts(nullable=True)
    totp_last_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class AccessLogEntry(SQLModel, table=True):
    """Who viewed or exported which campaign's answers; kept apart from the answers themselves."""

    __tablename__ = "access_log"
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    at: datetime = _created()
    actor: str  # staff e-mail, or "cli:<os user>"
    action: str  # view_answers | export | view_themes | erasure | purge ...
    campaign_id: int | None = Field(default=None, index=True)  # no FK: the log outlives deleted campaigns
    detail: str = ""


class JobRun(SQLModel, table=True):
    """When each periodic job last ran, shared by every `viktig worker`, so a job runs on schedule, not per worker."""

    __tablename__ = "job_run"
    name: str = Field(sa_column=Column(Text, primary_key=True))
    last_started_at: datetime | None = _ts(nullable=True)
    last_finished_at: datetime | None = _ts(nullable=True)
    last_outcome: str | None = None  # ok | error
    last_summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    runs: int = 0
    failures: int = 0


class LoginThrottle(SQLModel, table=True):
    """Failed dashboard logins per key ("acct:<hmac of e-mail and address>", "ip:<hmac of address>"), with the
    moment the key may try again; one row per key, updated under a row lock, so counts hold across processes."""

    __tablename__ = "login_throttle"
    key: str = Field(sa_column=Column(Text, primary_key=True))
    failures: int = 0
    blocked_until: datetime | None = _ts(nullable=True)
    updated_at: datetime = _created()


class StaffSession(SQLModel, table=True):
    """A dashboard login kept on the server, so logout, a new password or deactivation ends it everywhere."""

    __tablename__ = "staff_session"
    id: str = Field(sa_column=Column(Text, primary_key=True))  # SHA-256 of the token in the cookie
    user_id: int = _fk("staff_user.id")
    created_at: datetime = _created()
    last_seen_at: datetime = _created()
    client: str = Field(default="", sa_column=Column(Text, nullable=False))  # shortened User-Agent


class RecoveryCode(SQLModel, table=True):
    """A one-time code for logging in without the authenticator app; only a keyed hash is stored."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _fk("staff_user.id")
    code_hash: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    used_at: datetime | None = _ts(nullable=True)


class KeyFingerprint(SQLModel, table=True):
    """An HMAC of a constant under VIKTIG_SECRET_KEY, so a start with another key is refused, not silently accepted."""

    __tablename__ = "key_fingerprint"
    purpose: str = Field(sa_column=Column(Text, primary_key=True))
    fingerprint: str = Field(sa_column=Column(Text, nullable=False))
    recorded_at: datetime = _created()


class AnswerVector(SQLModel, table=True):
    """An answer's sentence embedding, computed once when it is stored and reused by every analysis.

    Derived from the answer's text, so it is personal data like the text: it goes when the answer goes (CASCADE).
    `model` names the embedder; a vector of another model is recomputed, never mixed in.
    """

    __tablename__ = "answer_vector"
    answer_id: int = Field(sa_column=Column(Integer, ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True))
    model: str = Field(sa_column=Column(Text, nullable=False))
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float16, analysis.embedding.to_bytes
    created_at: datetime = _created()


class ActionStatus(StrEnum):
    """An improvement action's state; the dashboard and the public page show its name, never this value."""

    planned = "planned"  # planlagt
    in_progress = "in_progress"  # i gang
    done = "done"  # gjennomført
    dropped = "dropped"  # forkastet (with a reason)


class ThemeAction(SQLModel, table=True):
    """An improvement action ("tiltak") a manager decided on for a theme of a campaign.

    It belongs to the campaign whose answers led to it and carries over to the unit's later campaigns by the theme's
    identity (`theme_key`: taxonomy key, else the label in lower case, as the comparison matches themes), so a later
    campaign shows "18 % → 9 % after action Y". The texts are written by managers for the public page; they hold no
    answer text. Kept when the campaign's answers and themes are purged (`theme_id` becomes NULL; the key and label
    stay), since an action is the municipality's record, not personal data.
    """

    __tablename__ = "theme_action"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = _fk("campaign.id")
    theme_id: int | None = _fk("theme.id", nullable=True, ondelete="SET NULL")
    theme_key: str = Field(sa_column=Column(Text, nullable=False, index=True))
    theme_label: str = Field(sa_column=Column(Text, nullable=False))
    what: str = Field(sa_column=Column(Text, nullable=False))
    responsible: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = Field(default=ActionStatus.planned.value, sa_column=Column(Text, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # when dropped
    created_at: datetime = _created()
    updated_at: datetime = _created()
    done_at: datetime | None = _ts(nullable=True)  # when it last became gjennomført


class PublicPage(SQLModel, table=True):
    """A campaign's public page "Dette sa dere – dette gjør vi": its unguessable address and whether it is out.

    The token is made once and never changes, so a printed poster keeps working across unpublish and publish.
    """

    __tablename__ = "public_page"
    campaign_id: int = Field(sa_column=Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True))
    token: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    published_at: datetime | None = _ts(nullable=True)  # None: not published (the default)
    created_at: datetime = _created()


class PublicQuote(SQLModel, table=True):
    """An answer a manager picked to quote on the public page; nothing else of the answers is ever shown there.

    Goes with the answer (CASCADE), so erasure (/slett) and retention take the quote off the page too.
    """

    __tablename__ = "public_quote"
    answer_id: int = Field(sa_column=Column(Integer, ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True))
    campaign_id: int = _fk("campaign.id")
    picked_at: datetime = _created()


class ImportStatus(StrEnum):
    running = "running"
    done = "done"
    interrupted = "interrupted"


class AnswerImport(SQLModel, table=True):
    """One import of a file of answers, stored in chunks (surveys.import_batches), so a re-run resumes it.

    `stored_rows` moves forward in the same transaction as each chunk's answers, so it always says exactly how many
    of the file's validated rows (in file order) are in the database. `fingerprint` is a hash of the file and how
    it was sent, which is how a second upload of the same file finds the import it should finish. No answer text.
    """

    __tablename__ = "answer_import"
    __table_args__ = (Index("ix_answer_import_campaign_fingerprint", "campaign_id", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = _fk("campaign.id", index=False)
    fingerprint: str = Field(sa_column=Column(Text, nullable=False))
    filename: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(sa_column=Column(Text, nullable=False))
    status: str = ImportStatus.running.value
    total_rows: int
    stored_rows: int = 0
    format: str = "csv"
    encoding: str = "utf-8"
    # The problems that did not stop the import (unknown columns), as {"code", "line", "values"}, to show again.
    warnings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = _created()
    updated_at: datetime = _created()
    finished_at: datetime | None = _ts(nullable=True)


class NotifyContact(SQLModel, table=True):
    """How to tell one person what was done with a campaign's answers: kept only because they said yes to
    "Vil du få vite hva vi gjør med svarene?" (surveys.notify).

    The channel address (a Telegram chat id) is sealed under a key derived from VIKTIG_SECRET_KEY
    (surveys.sealing), never stored in plain text. Deleted by /stopp, by /slett (surveys.rights), when the channel
    says the person cannot be reached, and when the campaign's retention ends (surveys.retention).
    """

    __tablename__ = "notify_contact"
    __table_args__ = (UniqueConstraint("respondent_id", "campaign_id"),)
    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = _fk("respondent.id")
    campaign_id: int = _fk("campaign.id")
    channel: str = Field(sa_column=Column(Text, nullable=False))
    sealed_address: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()


class NotifyDelivery(SQLModel, table=True):
    """One message about one change (page published, action gjennomført) to one contact; the unique pair makes a
    second click or a re-run of the sender add and send nothing. `status`: pending, sent, failed, capped."""

    __tablename__ = "notify_delivery"
    __table_args__ = (UniqueConstraint("contact_id", "change"), Index("ix_notify_delivery_status", "status"))
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = _fk("notify_contact.id", index=False)
    change: str = Field(sa_column=Column(Text, nullable=False))  # "page:<campaign id>" | "action:<action id>"
    status: str = Field(default="pending", sa_column=Column(Text, nullable=False))
    attempts: int = 0
    created_at: datetime = _created()
    sent_at: datetime | None = _ts(nullable=True)
