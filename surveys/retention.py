"""Retention: delete what the rules say is due, so nothing is kept longer than the privacy text promises.

The rules (docs/privacy.md explains them to a municipality):
- A campaign's answers, their theme assignments, its conversations, its themes and theme runs are deleted
  `retention_months` after the campaign closed (`closed_at`, or `closes_at` once that moment has passed).
  Respondents (pseudonyms) and channel contacts left without any conversation or answer go with them.
- The campaign row itself stays with its name, code, unit and dates, so the access log and the list of campaigns
  still say what existed and when it was purged; it holds no answer text and no personal data. Its answer counts
  are computed from the answers, so they read zero afterwards.
- Idempotency keys of processed updates are kept for `UPDATE_KEY_DAYS` (channels redeliver within hours).
- A conversation without consent (`consent_at IS NULL`) that has been idle for `UNCONSENTED_IDLE_DAYS` is deleted,
  with its respondent when that was all we had of the person: without consent nothing may be kept.
- The addresses of people who asked to hear what was done (`notify_contact`, surveys.notify) go when the campaign's
  retention ends, also for a campaign that holds no answers any more.
- The access log is kept: it holds who, what and when, never answer text.

`purge_due` works in the caller's transaction and does not commit; a dry run does the same deletes inside a
savepoint and rolls it back, so its counts are exactly what a real run would delete and nothing changes.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.db import affected_rows
from surveys.ids import pk
from surveys.models import (
    Answer,
    AnswerImport,
    AnswerTheme,
    Campaign,
    ChannelContact,
    Conversation,
    LoginThrottle,
    NotifyContact,
    ProcessedUpdate,
    Respondent,
    Theme,
    ThemeRun,
    as_utc,
    utcnow,
)
from surveys.notify import forget_campaign_contacts

log = logging.getLogger(__name__)

UPDATE_KEY_DAYS = 7
# Failed logins only matter for throttling (minutes); a day is plenty, and they hold hashed addresses.
LOGIN_ATTEMPT_DAYS = 1
UNCONSENTED_IDLE_DAYS = 7
PURGE_ACTOR = "system:retention"


@dataclass(frozen=True)
class DueCampaign:
    """A campaign whose retention period has run out (what `viktig purge --dry-run` lists)."""

    campaign_id: int
    code: str
    name: str
    closed_at: datetime
    due_at: datetime
    answers: int


@dataclass
class PurgeReport:
    """Rows deleted (or, in a dry run, that would be) per kind; only counts, never content."""

    campaigns: int = 0  # campaigns whose retention ran out and whose data was deleted in this run
    answers: int = 0
    answer_themes: int = 0
    conversations: int = 0
    channel_contacts: int = 0
    notify_contacts: int = 0  # "tell me what you did" addresses of campaigns whose retention ended
    respondents: int = 0
    theme_runs: int = 0
    themes: int = 0
    processed_updates: int = 0
    unconsented_conversations: int = 0
    login_attempts: int = 0
    dry_run: bool = False
    due: list[DueCampaign] = field(default_factory=list)

    COUNT_FIELDS = (
        "campaigns",
        "answers",
        "answer_themes",
        "conversations",
        "channel_contacts",
        "notify_contacts",
        "respondents",
        "theme_runs",
        "themes",
        "processed_updates",
        "unconsented_conversations",
        "login_attempts",
    )

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNT_FIELDS}

    @property
    def total(self) -> int:
        return sum(self.counts().values()) - self.campaigns


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's last day (31 January + 1 month = 28/29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def closed_moment(campaign: Campaign, now: datetime) -> datetime | None:
    """When the campaign stopped taking answers, or None while it still may take them."""
    if campaign.closed_at is not None:
        return as_utc(campaign.closed_at)
    if campaign.closes_at is not None and as_utc(campaign.closes_at) <= now:
        return as_utc(campaign.closes_at)
    return None


def retention_ends(campaign: Campaign, now: datetime) -> datetime | None:
    closed = closed_moment(campaign, now)
    return None if closed is None else add_months(closed, campaign.retention_months)


async def due_campaigns(session: AsyncSession, now: datetime) -> list[DueCampaign]:
    """Closed campaigns past their retention period that still hold anything to delete."""
    candidates = (
        (
            await session.execute(
                select(Campaign)
                .where(or_(col(Campaign.closed_at).is_not(None), col(Campaign.closes_at).is_not(None)))
                .order_by(col(Campaign.id))
            )
        )
        .scalars()
        .all()
    )
    due: list[DueCampaign] = []
    for campaign in candidates:
        ends = retention_ends(campaign, now)
        if ends is None or ends > now:
            continue
        holds_data = await session.scalar(
            select(
                exists().where(col(Answer.campaign_id) == campaign.id)
                | exists().where(col(Conversation.campaign_id) == campaign.id)
                | exists().where(col(ThemeRun.campaign_id) == campaign.id)
                | exists().where(col(Theme.campaign_id) == campaign.id)
            )
        )
        if not holds_data:
            continue
        answers = await session.scalar(
            select(func.count()).select_from(Answer).where(col(Answer.campaign_id) == campaign.id)
        )
        closed = closed_moment(campaign, now)
        assert campaign.id is not None and closed is not None
        due.append(DueCampaign(campaign.id, campaign.code, campaign.name, closed, ends, int(answers or 0)))
    return due


def _respondents_of(conversations: Select[Any]) -> Select[Any]:
    return select(col(Conversation.respondent_id)).where(
        col(Conversation.id).in_(conversations), col(Conversation.respondent_id).is_not(None)
    )


async def _delete_conversations(session: AsyncSession, conversations: Select[Any], report: PurgeReport) -> int:
    """Delete the conversations (and answers still linked to them), then respondents left with nothing."""
    respondent_ids = [row for row in (await session.execute(_respondents_of(conversations))).scalars()]
    conversation_ids = [row for row in (await session.execute(conversations)).scalars()]
    if not conversation_ids:
        return 0
    answer_ids = select(col(Answer.id)).where(col(Answer.conversation_id).in_(conversation_ids))
    report.answer_themes += await affected_rows(
        session, delete(AnswerTheme).where(col(AnswerTheme.answer_id).in_(answer_ids))
    )
    report.answers += await affected_rows(
        session, delete(Answer).where(col(Answer.conversation_id).in_(conversation_ids))
    )
    deleted = await affected_rows(session, delete(Conversation).where(col(Conversation.id).in_(conversation_ids)))
    await _delete_orphaned_respondents(session, respondent_ids, report)
    return deleted


async def _delete_orphaned_respondents(session: AsyncSession, respondent_ids: list[int], report: PurgeReport) -> None:
    """Respondents with no conversation and no answer left are only a pseudonym and maybe an address: delete them."""
    if not respondent_ids:
        return
    orphans = select(col(Respondent.id)).where(
        col(Respondent.id).in_(respondent_ids),
        ~exists().where(col(Conversation.respondent_id) == Respondent.id),
        ~exists().where(col(Answer.respondent_id) == Respondent.id),
    )
    orphan_ids = list((await session.execute(orphans)).scalars())
    if not orphan_ids:
        return
    report.channel_contacts += await affected_rows(
        session, delete(ChannelContact).where(col(ChannelContact.respondent_id).in_(orphan_ids))
    )
    report.respondents += await affected_rows(session, delete(Respondent).where(col(Respondent.id).in_(orphan_ids)))


async def _purge_campaign(session: AsyncSession, campaign: DueCampaign, report: PurgeReport) -> None:
    cid = campaign.campaign_id
    answer_ids = select(col(Answer.id)).where(col(Answer.campaign_id) == cid)
    report.answer_themes += await affected_rows(
        session,
        delete(AnswerTheme).where(
            or_(
                col(AnswerTheme.answer_id).in_(answer_ids),
                col(AnswerTheme.theme_id).in_(select(col(Theme.id)).where(col(Theme.campaign_id) == cid)),
            )
        ),
    )
    # Respondents of unlinked (anonymous) answers are gone already; linked ones may now be left with nothing.
    respondent_ids = list(
        (
            await session.execute(
                select(col(Answer.respondent_id))
                .where(col(Answer.campaign_id) == cid, col(Answer.respondent_id).is_not(None))
                .distinct()
            )
        ).scalars()
    )
    report.answers += await affected_rows(session, delete(Answer).where(col(Answer.campaign_id) == cid))
    report.conversations += await _delete_conversations(
        session, select(col(Conversation.id)).where(col(Conversation.campaign_id) == cid), report
    )
    await _delete_orphaned_respondents(session, respondent_ids, report)
    await session.execute(update(Theme).where(col(Theme.campaign_id) == cid).values(merged_into_id=None))
    report.themes += await affected_rows(session, delete(Theme).where(col(Theme.campaign_id) == cid))
    report.theme_runs += await affected_rows(session, delete(ThemeRun).where(col(ThemeRun.campaign_id) == cid))
    # The import records hold no answer text, but a file name and a hash of the file's contents: they go too.
    await session.execute(delete(AnswerImport).where(col(AnswerImport.campaign_id) == cid))
    report.campaigns += 1


async def _purge_notify_contacts(session: AsyncSession, now: datetime, report: PurgeReport) -> None:
    """The addresses kept to tell people what was done go when the campaign's retention ends, whether or not the
    campaign still holds answers (their deliveries go with them)."""
    candidates = (
        (
            await session.execute(
                select(Campaign).where(
                    or_(col(Campaign.closed_at).is_not(None), col(Campaign.closes_at).is_not(None)),
                    exists().where(col(NotifyContact.campaign_id) == Campaign.id),
                )
            )
        )
        .scalars()
        .all()
    )
    ended = [pk(c) for c in candidates if (ends := retention_ends(c, now)) is not None and ends <= now]
    report.notify_contacts += await forget_campaign_contacts(session, ended)


async def _purge(session: AsyncSession, now: datetime, report: PurgeReport) -> None:
    await _purge_notify_contacts(session, now, report)
    for campaign in report.due:
        await _purge_campaign(session, campaign, report)
    idle_since = now - timedelta(days=UNCONSENTED_IDLE_DAYS)
    unconsented = select(col(Conversation.id)).where(
        col(Conversation.consent_at).is_(None), col(Conversation.updated_at) < idle_since
    )
    report.unconsented_conversations += await _delete_conversations(session, unconsented, report)
    # A respondent who never got as far as a conversation (e.g. only chose a language) is kept no longer either.
    lone = select(col(Respondent.id)).where(
        col(Respondent.created_at) < idle_since,
        ~exists().where(col(Conversation.respondent_id) == Respondent.id),
        ~exists().where(col(Answer.respondent_id) == Respondent.id),
    )
    await _delete_orphaned_respondents(session, list((await session.execute(lone)).scalars()), report)
    report.processed_updates += await affected_rows(
        session,
        delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < now - timedelta(days=UPDATE_KEY_DAYS)),
    )
    report.login_attempts += await affected_rows(
        session,
        delete(LoginThrottle).where(
            col(LoginThrottle.updated_at) < now - timedelta(days=LOGIN_ATTEMPT_DAYS),
            or_(col(LoginThrottle.blocked_until).is_(None), col(LoginThrottle.blocked_until) < now),
        ),
    )


async def purge_due(
    session: AsyncSession, now: datetime | None = None, dry_run: bool = False, *, actor: str = PURGE_ACTOR
) -> PurgeReport:
    """Delete everything that is due in the caller's transaction; a dry run counts the same rows and changes nothing."""
    now = as_utc(now or utcnow())
    report = PurgeReport(dry_run=dry_run, due=await due_campaigns(session, now))
    if dry_run:
        savepoint = await session.begin_nested()
        try:
            await _purge(session, now, report)
        finally:
            await savepoint.rollback()
        return report
    await _purge(session, now, report)
    for campaign in report.due:
        await record_access(
            session, actor=actor, action="purge", campaign_id=campaign.campaign_id, detail=_detail(campaign)
        )
    return report


def _detail(campaign: DueCampaign) -> str:
    return f"retention ended {campaign.due_at.date().isoformat()}; {campaign.answers} answers deleted"


async def run_purge(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime | None = None,
    dry_run: bool = False,
    *,
    actor: str = PURGE_ACTOR,
) -> PurgeReport:
    """One purge in its own transaction (the worker's daily job and `viktig purge`); logs counts only."""
    async with sessions() as session:
        async with session.begin():
            report = await purge_due(session, now, dry_run, actor=actor)
        if not dry_run and report.total:
            await checkpoint_sqlite(session.bind)
    log.info("purge dry_run=%s %s", dry_run, " ".join(f"{key}={value}" for key, value in report.counts().items()))
    return report


async def checkpoint_sqlite(bind: AsyncEngine | object) -> None:
    """Move the WAL into the database file and truncate it, so deleted text does not linger in old WAL frames.

    With `secure_delete` on (surveys/db.py) the freed pages in the database file are zeroed; the WAL, though, still
    holds page images from before the deletion until it is checkpointed and truncated. Best effort: a reader holding
    an old snapshot makes the checkpoint partial, and the next checkpoint finishes the job.
    """
    engine = getattr(bind, "engine", bind)
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
