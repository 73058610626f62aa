"""The same campaign in every unit under an area, and the 6 June kit built on it.

Every unit gets its own Campaign (its own code and poster, its own "minste gruppe"), linked through an
AreaCampaign, so answers stay per unit and the roll-up (surveys.rollup) can set them side by side. Creating an area
campaign again is safe: it is found by area and name, and only units that have no campaign in it yet get one (a unit
put in the area since the first run). The kit is one such campaign for "Hva er viktig for deg-dagen".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.areas import AreaError, units_under
from surveys.campaigns import create_campaign
from surveys.ids import pk
from surveys.models import Area, AreaCampaign, AreaCampaignMember, Campaign, Unit

LOCAL_TIME = ZoneInfo("Europe/Oslo")
KIT_LANGUAGES = "nb,nn,sv,en"  # the default survey in all four languages
KIT_OPEN_DAYS = 7  # the day's campaigns stay open a week, for late answers and paper cards typed in afterwards


@dataclass(frozen=True)
class Member:
    unit: Unit
    campaign: Campaign
    created: bool  # made by this call (False: it was there from an earlier run)


@dataclass(frozen=True)
class AreaCampaignResult:
    area: Area
    area_campaign: AreaCampaign
    members: list[Member]
    created: bool  # the area campaign itself is new

    @property
    def created_count(self) -> int:
        return sum(member.created for member in self.members)


def kit_name(day: date) -> str:
    """The national day's name with the year; with the area it identifies the kit, so a second run finds it."""
    return f"Hva er viktig for deg-dagen {day.year}"


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise AreaError("area.bad_date", value=text) from None


def day_window(day: date) -> tuple[datetime, datetime]:
    """From midnight of the day in Norway, open for KIT_OPEN_DAYS days."""
    opens = datetime.combine(day, time(0, 0), tzinfo=LOCAL_TIME)
    return opens.astimezone(UTC), (opens + timedelta(days=KIT_OPEN_DAYS)).astimezone(UTC)


async def members_of(session: AsyncSession, area_campaign_id: int) -> list[tuple[Unit, Campaign]]:
    """The area campaign's units and their campaigns, by unit name."""
    rows = (
        await session.exec(
            select(Unit, Campaign)
            .join(AreaCampaignMember, col(AreaCampaignMember.unit_id) == Unit.id)
            .join(Campaign, col(Campaign.id) == AreaCampaignMember.campaign_id)
            .where(AreaCampaignMember.area_campaign_id == area_campaign_id)
            .order_by(col(Unit.name))
        )
    ).all()
    return [(unit, campaign) for unit, campaign in rows]


async def area_campaigns(session: AsyncSession, area_ids: set[int] | None) -> list[AreaCampaign]:
    """Area campaigns of these areas (None: all), newest first."""
    query = select(AreaCampaign).order_by(col(AreaCampaign.id).desc())
    if area_ids is not None:
        query = query.where(col(AreaCampaign.area_id).in_(sorted(area_ids)))
    return list((await session.exec(query)).all())


async def create_area_campaign(
    session: AsyncSession,
    area: Area,
    *,
    name: str,
    day: date | None = None,
    languages: str = KIT_LANGUAGES,
    channels: str = "telegram,web,staff",
    draft: bool = False,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> AreaCampaignResult:
    """One campaign per unit under `area` (at any depth), all linked; idempotent by area and name."""
    units = await units_under(session, area)
    if not units:
        raise AreaError("area.no_units", name=area.name)
    name = " ".join(name.split())
    found = (
        await session.exec(select(AreaCampaign).where(AreaCampaign.area_id == area.id, AreaCampaign.name == name))
    ).first()
    created = found is None
    group = found or AreaCampaign(area_id=pk(area), name=name, day=day)
    if created:
        if not name:
            raise AreaError("area.need_name")
        session.add(group)
        await session.flush()
    existing = {unit.id: campaign for unit, campaign in await members_of(session, pk(group))}
    members = [Member(unit, existing[unit.id], False) for unit in units if unit.id in existing]
    for unit in units:
        if unit.id in existing:
            continue
        campaign = await create_campaign(
            session,
            name=name,
            unit=unit,
            languages=languages,
            channels=channels,
            draft=draft,
            opens_at=opens_at,
            closes_at=closes_at,
        )
        session.add(AreaCampaignMember(area_campaign_id=pk(group), unit_id=pk(unit), campaign_id=pk(campaign)))
        members.append(Member(unit, campaign, True))
    await session.flush()
    members.sort(key=lambda member: member.unit.name.lower())
    return AreaCampaignResult(area, group, members, created)


async def create_kit(session: AsyncSession, area: Area, day: date, *, telegram: bool) -> AreaCampaignResult:
    """The day's campaigns for every unit under the area: the default survey in nb/nn/sv/en, open from the day for a
    week, on the web chat and staff entry (paper cards too), and on Telegram only when a bot is configured."""
    opens, closes = day_window(day)
    return await create_area_campaign(
        session,
        area,
        name=kit_name(day),
        day=day,
        languages=KIT_LANGUAGES,
        channels="telegram,web,staff" if telegram else "web,staff",
        opens_at=opens,
        closes_at=closes,
    )
