"""Campaigns: creating, opening and closing them, finding them by code, and the links people use to answer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.errors import ViktigError
from surveys.ids import pk
from surveys.models import Answer, Campaign, CampaignStatus, Channel, Survey, Unit, as_utc, utcnow
from surveys.public_page import page_of
from surveys.settings import LANGUAGES
from surveys.survey_files import DEFAULT_SURVEY_KEY, ensure_default_survey

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read off posters
CODE_LENGTH = 10
CHANNELS = (Channel.telegram, Channel.web, Channel.staff)  # the ones a campaign can offer


class CampaignError(ViktigError):
    """Something about a campaign or unit request a member of staff can correct; the code says what."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().lower()


def parse_languages(text: str) -> str:
    languages = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        raise CampaignError("campaign.bad_languages", allowed=", ".join(LANGUAGES), value=text)
    return ",".join(dict.fromkeys(languages))


def parse_channels(text: str) -> str:
    channels = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [name for name in channels if name not in CHANNELS]
    if unknown or not channels:
        raise CampaignError("campaign.bad_channels", allowed=", ".join(CHANNELS), value=text)
    return ",".join(dict.fromkeys(channels))


async def get_unit_by_name(session: AsyncSession, name: str) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.name == name.strip()))).first()


async def add_unit(session: AsyncSession, name: str) -> Unit:
    name = name.strip()
    if not name:
        raise CampaignError("unit.need_name")
    if await get_unit_by_name(session, name) is not None:
        raise CampaignError("unit.exists", name=name)
    unit = Unit(name=name)
    session.add(unit)
    await session.flush()
    return unit


async def find_unit(session: AsyncSession, name_or_id: str) -> Unit:
    unit = await get_unit_by_name(session, name_or_id)
    if unit is None and name_or_id.strip().isdigit():
        unit = await session.get(Unit, int(name_or_id))
    if unit is None:
        raise CampaignError("unit.unknown", name=name_or_id)
    return unit


async def create_campaign(
    session: AsyncSession,
    *,
    name: str,
    unit: Unit,
    survey_key: str = DEFAULT_SURVEY_KEY,
    languages: str = "nb,nn,sv,en",
    anonymous: bool = False,
    count_completed_only: bool = False,
    kiosk: bool = False,
    draft: bool = False,
    channels: str = "telegram,web,staff",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    reminder_after_hours: int | None = None,
    retention_months: int = 12,
    purpose: dict[str, str] | None = None,
    privacy_text: dict[str, str] | None = None,
) -> Campaign:
    if not name.strip():
        raise CampaignError("campaign.need_name")
    survey: Survey | None
    if survey_key == DEFAULT_SURVEY_KEY:
        survey = await ensure_default_survey(session)
    else:
        survey = (await session.exec(select(Survey).where(Survey.key == survey_key))).first()
        if survey is None:
            raise CampaignError("campaign.unknown_survey", key=survey_key)
    if reminder_after_hours is not None and reminder_after_hours < 1:
        raise CampaignError("campaign.bad_reminder")
    if retention_months < 1:
        raise CampaignError("campaign.bad_retention")
    if opens_at and closes_at and closes_at <= opens_at:
        raise CampaignError("campaign.close_before_open")
    campaign = Campaign(
        name=name.strip(),
        unit_id=pk(unit),
        survey_id=pk(survey),
        code=new_code(),
        status=(CampaignStatus.draft if draft else CampaignStatus.live).value,
        anonymous=anonymous,
        count_completed_only=count_completed_only,
        kiosk=kiosk,
        languages=parse_languages(languages),
        channels=parse_channels(channels),
        opens_at=opens_at,
        closes_at=closes_at,
        reminder_after_hours=reminder_after_hours,
        retention_months=retention_months,
        purpose=purpose or {},
        privacy_text=privacy_text or {},
    )
    session.add(campaign)
    await session.flush()
    await page_of(session, campaign)  # its public page's address exists from the start (the chat's thanks show it)
    return campaign


async def find_campaign(session: AsyncSession, code: str) -> Campaign | None:
    return (await session.exec(select(Campaign).where(Campaign.code == normalise_code(code)))).first()


async def require_campaign(session: AsyncSession, code: str) -> Campaign:
    campaign = await find_campaign(session, code)
    if campaign is None:
        raise CampaignError("campaign.unknown_code", code=code)
    return campaign


async def set_status(session: AsyncSession, campaign: Campaign, status: CampaignStatus) -> Campaign:
    campaign.status = status.value
    campaign.closed_at = utcnow() if status is CampaignStatus.closed else None
    session.add(campaign)
    await session.flush()
    await page_of(session, campaign)  # its public page's address exists from the start (the chat's thanks show it)
    return campaign


def accepts_answers(campaign: Campaign, now: datetime | None = None) -> str | None:
    """None when the campaign takes answers now; otherwise the catalogue key that explains why not."""
    now = now or utcnow()
    if campaign.status == CampaignStatus.closed.value:
        return "campaign.closed"
    if campaign.closes_at is not None and as_utc(campaign.closes_at) <= now:
        return "campaign.closed"
    if campaign.status == CampaignStatus.draft.value:
        return "campaign.not_open"
    if campaign.opens_at is not None and as_utc(campaign.opens_at) > now:
        return "campaign.not_open"
    return None


@dataclass(frozen=True)
class CampaignLinks:
    deep_link: str | None
    web_link: str


def links_for(campaign: Campaign, *, web_base_url: str, bot_username: str | None) -> CampaignLinks:
    deep = f"https://t.me/{bot_username}?start={campaign.code}" if bot_username else None
    return CampaignLinks(deep_link=deep, web_link=f"{web_base_url.rstrip('/')}/s/{campaign.code}")


async def answer_stats(session: AsyncSession, campaign_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """Answers so far and the time of the last one, per campaign, in one query."""
    if not campaign_ids:
        return {}
    rows = await session.exec(
        select(Answer.campaign_id, func.count(col(Answer.id)), func.max(Answer.created_at))
        .where(col(Answer.campaign_id).in_(campaign_ids))
        .group_by(col(Answer.campaign_id))
    )
    return {campaign_id: (count, last) for campaign_id, count, last in rows}
