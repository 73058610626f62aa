"""Telling the people who answered: contacts kept for those who said yes, and one message per change.

At the end of a conversation on a channel that can reach the person later (Telegram), the engine asks "Vil du få
vite hva vi gjør med svarene?". A yes stores a `NotifyContact` for that campaign, with the address sealed
(surveys.sealing); a no stores nothing. When a manager publishes the campaign's public page, or an action of the
campaign becomes gjennomført while the page is out, `enqueue` adds one `NotifyDelivery` per contact and change in
the caller's transaction: the unique (contact, change) pair makes a double click or a re-run add nothing.

The dashboard only writes these rows; the process that owns the channel (bot.notifications, from `viktig serve`'s
Telegram channel and the `viktig worker` job) claims and sends them, at most `max_per_month` per person in any 30
days (VIKTIG_NOTIFY_MAX_PER_MONTH). A delivery over that cap is marked `capped` and never sent later: the page it
would have pointed to already shows the change. Contacts go with /stopp and /slett (`forget_contacts`, called by
surveys.rights), when the channel reports the person unreachable, and when the campaign's retention ends
(surveys.retention). Functions take a session and do not commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, literal, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.db import affected_rows
from surveys.i18n import t
from surveys.models import (
    Campaign,
    NotifyContact,
    NotifyDelivery,
    PublicPage,
    Respondent,
    ThemeAction,
    utcnow,
)
from surveys.settings import DEFAULT_LANGUAGE, LANGUAGES

# Channels that can write to a person later, unasked; only they offer "tell me what you did".
NOTIFY_CHANNELS = frozenset({"telegram"})
CAP_WINDOW = timedelta(days=30)
MAX_ATTEMPTS = 3  # a send that failed for another reason than a block is tried again this often, then given up


class DeliveryStatus:
    pending = "pending"
    sent = "sent"  # claimed and handed to the channel (a crash after the claim loses it rather than sends twice)
    failed = "failed"  # MAX_ATTEMPTS failures
    capped = "capped"  # the person had had max_per_month messages in the last 30 days


def page_change(campaign_id: int) -> str:
    return f"page:{campaign_id}"


def action_change(action_id: int) -> str:
    return f"action:{action_id}"


# -------------------------------------------------------------------- contacts
async def has_contact(session: AsyncSession, respondent_id: int, campaign_id: int) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                col(NotifyContact.respondent_id) == respondent_id, col(NotifyContact.campaign_id) == campaign_id
            )
        )
    )
    return bool(found)


async def keep_contact(
    session: AsyncSession, respondent_id: int, campaign_id: int, channel: str, sealed_address: str
) -> None:
    """The person said yes: keep how to reach them about this campaign (once; a second yes changes nothing)."""
    if not await has_contact(session, respondent_id, campaign_id):
        session.add(
            NotifyContact(
                respondent_id=respondent_id, campaign_id=campaign_id, channel=channel, sealed_address=sealed_address
            )
        )
        await session.flush()


async def forget_contacts(session: AsyncSession, respondent_id: int) -> int:
    """/stopp and /slett: no more messages to this person about any campaign; returns how many contacts went."""
    contact_ids = select(col(NotifyContact.id)).where(col(NotifyContact.respondent_id) == respondent_id)
    await session.execute(delete(NotifyDelivery).where(col(NotifyDelivery.contact_id).in_(contact_ids)))
    return await affected_rows(session, delete(NotifyContact).where(col(NotifyContact.respondent_id) == respondent_id))


async def forget_contact(session: AsyncSession, contact_id: int) -> None:
    """One contact the channel cannot reach (blocked the bot) or whose seal no longer opens."""
    await session.execute(delete(NotifyDelivery).where(col(NotifyDelivery.contact_id) == contact_id))
    await session.execute(delete(NotifyContact).where(col(NotifyContact.id) == contact_id))


async def forget_campaign_contacts(session: AsyncSession, campaign_ids: list[int]) -> int:
    """Retention ended for these campaigns: their contacts (and deliveries) go."""
    if not campaign_ids:
        return 0
    contact_ids = select(col(NotifyContact.id)).where(col(NotifyContact.campaign_id).in_(campaign_ids))
    await session.execute(delete(NotifyDelivery).where(col(NotifyDelivery.contact_id).in_(contact_ids)))
    return await affected_rows(session, delete(NotifyContact).where(col(NotifyContact.campaign_id).in_(campaign_ids)))


async def contact_campaigns(session: AsyncSession, respondent_id: int) -> list[str]:
    """Names of the campaigns this person asked to hear about (for /mine_data; the address is never shown)."""
    rows = await session.execute(
        select(col(Campaign.name))
        .join(NotifyContact, col(NotifyContact.campaign_id) == col(Campaign.id))
        .where(col(NotifyContact.respondent_id) == respondent_id)
        .order_by(col(Campaign.id))
    )
    return list(rows.scalars())


# --------------------------------------------------------------------- changes
async def enqueue(session: AsyncSession, campaign_id: int, change: str, now: datetime | None = None) -> int:
    """One pending delivery per contact of the campaign that has none for this change yet; returns how many."""
    moment = now or utcnow()
    already = exists().where(
        col(NotifyDelivery.contact_id) == col(NotifyContact.id), col(NotifyDelivery.change) == change
    )
    rows = select(
        col(NotifyContact.id),
        literal(change),
        literal(DeliveryStatus.pending),
        literal(0),
        literal(moment),
    ).where(col(NotifyContact.campaign_id) == campaign_id, ~already)
    table = NotifyDelivery.__table__  # type: ignore[attr-defined]
    statement = table.insert().from_select(["contact_id", "change", "status", "attempts", "created_at"], rows)
    return await affected_rows(session, statement)


async def page_published(session: AsyncSession, campaign_id: int) -> int:
    """The campaign's public page went out: everyone who asked hears once (a later re-publication adds nothing)."""
    return await enqueue(session, campaign_id, page_change(campaign_id))


async def action_done(session: AsyncSession, action: ThemeAction) -> int:
    """An action became gjennomført: tell the people of its campaign, if its page is out (the link must work)."""
    assert action.id is not None
    page = await session.get(PublicPage, action.campaign_id)
    if page is None or page.published_at is None:
        return 0
    return await enqueue(session, action.campaign_id, action_change(action.id))


# -------------------------------------------------------------------- sending
@dataclass(frozen=True)
class DueNotice:
    """A claimed delivery: where to (still sealed) and what to say."""

    delivery_id: int
    contact_id: int
    sealed_address: str
    text: str


async def claim_due(
    session: AsyncSession,
    channel: str,
    *,
    base_url: str,
    max_per_month: int,
    now: datetime | None = None,
    limit: int = 100,
) -> list[DueNotice]:
    """Claim up to `limit` pending deliveries of `channel` (marked sent before sending, as reminders are) and say
    what each should read; deliveries over a person's monthly cap become `capped`. A delivery whose page was taken
    down again waits (it goes if the page comes back: the link must work). Runs in the caller's transaction; on
    PostgreSQL the rows are locked with SKIP LOCKED."""
    from surveys.public_page import page_address  # here, not at the top: surveys.public_page imports this module

    moment = now or utcnow()
    query = (
        select(NotifyDelivery, NotifyContact, col(Respondent.language), col(Campaign.name), PublicPage)
        .join(NotifyContact, col(NotifyContact.id) == col(NotifyDelivery.contact_id))
        .join(Respondent, col(Respondent.id) == col(NotifyContact.respondent_id))
        .join(Campaign, col(Campaign.id) == col(NotifyContact.campaign_id))
        .join(PublicPage, col(PublicPage.campaign_id) == col(NotifyContact.campaign_id))
        .where(
            col(NotifyDelivery.status) == DeliveryStatus.pending,
            col(NotifyContact.channel) == channel,
            col(PublicPage.published_at).is_not(None),
        )
        .order_by(col(NotifyDelivery.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=NotifyDelivery, skip_locked=True)
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    sent_recently = await _sent_since(session, {contact.respondent_id for _, contact, *_ in rows}, moment)
    actions = await _actions(session, [delivery.change for delivery, *_ in rows])
    due: list[DueNotice] = []
    for delivery, contact, language, campaign_name, page in rows:
        if sent_recently.get(contact.respondent_id, 0) >= max_per_month:
            delivery.status = DeliveryStatus.capped
        else:
            sent_recently[contact.respondent_id] = sent_recently.get(contact.respondent_id, 0) + 1
            delivery.status, delivery.sent_at = DeliveryStatus.sent, moment
            delivery.attempts += 1
            lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
            link = page_address(base_url, page.token)
            what = actions.get(delivery.change)
            text = (
                t(lang, "notify.action_done", campaign=campaign_name, action=what, link=link)
                if what is not None
                else t(lang, "notify.page_published", campaign=campaign_name, link=link)
            )
            due.append(DueNotice(int(delivery.id), int(contact.id), contact.sealed_address, text))
        session.add(delivery)
    await session.flush()
    return due


async def _sent_since(session: AsyncSession, respondent_ids: set[int], now: datetime) -> dict[int, int]:
    """Messages each person was sent (or claimed for) in the last CAP_WINDOW, across all their campaigns."""
    rows = await session.execute(
        select(col(NotifyContact.respondent_id), func.count())
        .join(NotifyDelivery, col(NotifyDelivery.contact_id) == col(NotifyContact.id))
        .where(
            col(NotifyContact.respondent_id).in_(respondent_ids),
            col(NotifyDelivery.status) == DeliveryStatus.sent,
            col(NotifyDelivery.sent_at) > now - CAP_WINDOW,
        )
        .group_by(col(NotifyContact.respondent_id))
    )
    return {int(respondent_id): int(count) for respondent_id, count in rows.all()}


async def _actions(session: AsyncSession, changes: list[str]) -> dict[str, str]:
    """The "what" of the actions these changes are about, by change key."""
    ids = {int(change.split(":", 1)[1]) for change in changes if change.startswith("action:")}
    if not ids:
        return {}
    rows = await session.execute(select(col(ThemeAction.id), col(ThemeAction.what)).where(col(ThemeAction.id).in_(ids)))
    return {action_change(int(action_id)): str(what) for action_id, what in rows.all()}


async def record_failure(session: AsyncSession, delivery_id: int) -> None:
    """A send failed for another reason than a block: try again later, up to MAX_ATTEMPTS, then give up."""
    delivery = await session.get(NotifyDelivery, delivery_id)
    if delivery is None:
        return
    delivery.status = DeliveryStatus.pending if delivery.attempts < MAX_ATTEMPTS else DeliveryStatus.failed
    delivery.sent_at = None
    session.add(delivery)


async def pending_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(NotifyDelivery).where(col(NotifyDelivery.status) == DeliveryStatus.pending)
        )
        or 0
    )
