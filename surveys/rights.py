"""Data-subject rights: what is stored about a respondent, and erasing all of it at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, union
from sqlalchemy.orm import Mapped
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.db import affected_rows
from surveys.ids import pk
from surveys.models import Answer, Campaign, ChannelContact, Conversation, NotifyContact, Respondent
from surveys.notify import contact_campaigns, forget_contacts
from surveys.pseudonyms import normalise_reference


@dataclass
class ConversationData:
    campaign_name: str
    status: str
    consent_at: datetime | None
    consent_version: int | None
    answers: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass
class RespondentData:
    reference: str
    language: str | None
    conversations: list[ConversationData]
    contacts: list[str]  # channel names only: the address itself is not shown back
    notify_campaigns: list[str] = field(default_factory=list)  # campaigns the person asked to hear about


@dataclass(frozen=True)
class ErasureCounts:
    answers: int
    conversations: int
    contacts: int
    respondents: int


async def respondent_data(session: AsyncSession, respondent: Respondent) -> RespondentData:
    conversations = (
        await session.exec(
            select(Conversation, Campaign)
            .join(Campaign, col(Campaign.id) == Conversation.campaign_id)
            .where(Conversation.respondent_id == respondent.id)
            .order_by(col(Conversation.started_at))
        )
    ).all()
    answers = (
        await session.exec(
            select(Answer)
            .where(Answer.respondent_id == respondent.id)
            .order_by(col(Answer.campaign_id), col(Answer.position), col(Answer.id))
        )
    ).all()
    by_campaign: dict[int, list[tuple[str, datetime]]] = {}
    for answer in answers:
        by_campaign.setdefault(answer.campaign_id, []).append((answer.text, answer.created_at))
    contacts = (
        await session.exec(select(ChannelContact.channel).where(ChannelContact.respondent_id == respondent.id))
    ).all()
    return RespondentData(
        reference=respondent.reference,
        language=respondent.language,
        conversations=[
            ConversationData(
                campaign.name,
                conversation.status,
                conversation.consent_at,
                conversation.consent_version,
                by_campaign.pop(pk(campaign), []),
            )
            for conversation, campaign in conversations
        ],
        contacts=list(contacts),
        notify_campaigns=await contact_campaigns(session, pk(respondent)),
    )


async def erase_respondent(session: AsyncSession, respondent_id: int) -> ErasureCounts:
    """Delete every answer, conversation, contact and the pseudonym itself; nothing of the person remains."""
    answers = await affected_rows(session, delete(Answer).where(col(Answer.respondent_id) == respondent_id))
    conversations = await affected_rows(
        session, delete(Conversation).where(col(Conversation.respondent_id) == respondent_id)
    )
    contacts = await affected_rows(
        session, delete(ChannelContact).where(col(ChannelContact.respondent_id) == respondent_id)
    )
    contacts += await forget_contacts(session, respondent_id)  # "tell me what you did" goes too
    respondents = await affected_rows(session, delete(Respondent).where(col(Respondent.id) == respondent_id))
    return ErasureCounts(answers, conversations, contacts, respondents)


async def find_by_reference(session: AsyncSession, reference: str) -> Respondent | None:
    return (
        await session.exec(select(Respondent).where(Respondent.reference == normalise_reference(reference)))
    ).first()


@dataclass(frozen=True)
class ErasureScope:
    """What an erasure would delete, for the confirmation a member of staff sees (counts and campaign codes only)."""

    respondent_id: int
    answers: int
    conversations: int
    contacts: int
    campaign_ids: tuple[int, ...]
    campaign_codes: tuple[str, ...]


async def erasure_scope(session: AsyncSession, respondent: Respondent) -> ErasureScope:
    assert respondent.id is not None
    rid = respondent.id

    async def count(model: type[SQLModel], column: Mapped[Any]) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(column == rid)) or 0)

    campaign_ids = union(
        select(Conversation.campaign_id).where(Conversation.respondent_id == rid),
        select(Answer.campaign_id).where(Answer.respondent_id == rid),
    ).subquery()
    campaigns = (
        await session.exec(
            select(Campaign.id, Campaign.code)
            .where(col(Campaign.id).in_(select(campaign_ids.c[0])))
            .order_by(col(Campaign.id))
        )
    ).all()
    return ErasureScope(
        rid,
        await count(Answer, col(Answer.respondent_id)),
        await count(Conversation, col(Conversation.respondent_id)),
        await count(ChannelContact, col(ChannelContact.respondent_id))
        + await count(NotifyContact, col(NotifyContact.respondent_id)),
        tuple(int(cid) for cid, _ in campaigns if cid is not None),
        tuple(code for _, code in campaigns),
    )


async def erase_by_reference(session: AsyncSession, reference: str, *, actor: str) -> ErasureCounts | None:
    """Carry out an erasure request a person brought to staff with the reference the chat gave them.

    Everything about the person goes at once (as "delete my data" in the chat does). The access log gets one
    entry per campaign touched, with counts only: neither the reference nor any answer is written there, so the
    log cannot be used to find the person again. None when no respondent has that reference (already erased, or
    an anonymous campaign, whose answers were unlinked when the conversation ended).
    """
    respondent = await find_by_reference(session, reference)
    if respondent is None or respondent.id is None:
        return None
    scope = await erasure_scope(session, respondent)
    counts = await erase_respondent(session, respondent.id)
    detail = (
        f"erasure request carried out: {counts.answers} answers, {counts.conversations} conversations, "
        f"{counts.contacts} contacts deleted in total"
    )
    for campaign_id in scope.campaign_ids or (None,):
        await record_access(session, actor=actor, action="erasure", campaign_id=campaign_id, detail=detail)
    return counts
