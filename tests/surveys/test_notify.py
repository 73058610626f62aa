"""The queue of messages to people who asked to hear what was done (surveys.notify), on SQLite and PostgreSQL:
once per change, the monthly cap over a sliding 30 days, a withdrawn page, and failures given up after three tries."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from surveys.models import Campaign, NotifyDelivery, Respondent, utcnow
from surveys.notify import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    claim_due,
    enqueue,
    keep_contact,
    record_failure,
)
from surveys.public_page import set_published
from tests.support.factories import count


async def one_contact(sessions, make_campaign) -> Campaign:
    campaign: Campaign = await make_campaign()
    async with sessions() as session, session.begin():
        person = Respondent(pseudonym="p" * 64, reference="R-0000-0001", channel="telegram", language="sv")
        session.add(person)
        await session.flush()
        assert person.id is not None and campaign.id is not None
        await keep_contact(session, person.id, campaign.id, "telegram", "v1.sealed")
    return campaign


async def claim(sessions, now=None, max_per_month: int = 2):
    async with sessions() as session, session.begin():
        return await claim_due(session, "telegram", base_url="https://v.example", max_per_month=max_per_month, now=now)


async def test_once_per_change_and_at_most_the_cap_in_any_thirty_days(sessions, make_campaign) -> None:
    campaign = await one_contact(sessions, make_campaign)
    assert campaign.id is not None
    async with sessions() as session, session.begin():
        row = await session.get(Campaign, campaign.id)
        assert row is not None
        page, _ = await set_published(session, row, True)
        assert await enqueue(session, campaign.id, f"page:{campaign.id}") == 0  # already queued: nothing twice
        for change in ("action:1", "action:2"):
            assert await enqueue(session, campaign.id, change) == 1
        assert await enqueue(session, campaign.id, "action:1") == 0
    [first, second] = await claim(sessions)
    assert first.text.startswith("Nu kan du läsa") and f"https://v.example/p/{page.token}" in first.text
    assert second.sealed_address == "v1.sealed"
    assert await claim(sessions) == []  # the third change is over the cap and never sent later
    capped = NotifyDelivery.status == DeliveryStatus.capped
    assert await count(sessions, NotifyDelivery, capped) == 1
    async with sessions() as session, session.begin():
        await enqueue(session, campaign.id, "action:3")
    assert await claim(sessions, now=utcnow() + timedelta(days=29)) == []
    async with sessions() as session, session.begin():
        await enqueue(session, campaign.id, "action:4")
    assert len(await claim(sessions, now=utcnow() + timedelta(days=31))) == 1  # 30 days on, the cap has room


async def test_a_withdrawn_page_waits_and_failures_stop_after_three(sessions, make_campaign) -> None:
    campaign = await one_contact(sessions, make_campaign)
    assert campaign.id is not None
    async with sessions() as session, session.begin():
        row = await session.get(Campaign, campaign.id)
        assert row is not None
        await set_published(session, row, True)
        await set_published(session, row, False)
    assert await claim(sessions) == []  # the link would not work: the message waits
    async with sessions() as session, session.begin():
        await set_published(session, row, True)  # out again: the same change, told once
    assert len(await claim(sessions)) == 1
    async with sessions() as session, session.begin():
        await enqueue(session, campaign.id, "action:9")
    for _attempt in range(MAX_ATTEMPTS):
        [notice] = await claim(sessions, max_per_month=10)
        async with sessions() as session, session.begin():
            await record_failure(session, notice.delivery_id)
    assert await claim(sessions, max_per_month=10) == []
    async with sessions() as session:
        delivery = (await session.exec(select(NotifyDelivery).where(NotifyDelivery.change == "action:9"))).one()
    assert delivery.status == DeliveryStatus.failed and delivery.attempts == MAX_ATTEMPTS
