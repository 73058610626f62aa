"""`viktig unit ...` and `viktig campaign ...`: the staff's scriptable side of campaigns."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from sqlmodel import col, select

from surveys.campaigns import (
    add_unit,
    answer_stats,
    create_campaign,
    find_unit,
    links_for,
    require_campaign,
    set_status,
)
from surveys.ids import pk
from surveys.models import Campaign, CampaignStatus, Survey, Unit
from surveys.settings import Settings
from viktig.context import AppContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    unit = subparsers.add_parser(
        "unit", help="organisational units", description="Organisational units (e.g. 'Hjemmetjenesten Øst')."
    )
    unit_commands = unit.add_subparsers(dest="unit_command", metavar="ACTION")
    unit_commands.required = True
    add = unit_commands.add_parser("add", help="add a unit")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--json", action="store_true", help="print the unit as JSON")
    add.set_defaults(handler=_unit_add)
    listing = unit_commands.add_parser("list", help="list units")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_unit_list)

    campaign = subparsers.add_parser(
        "campaign", help="survey campaigns", description="Create, list, open and close campaigns."
    )
    commands = campaign.add_subparsers(dest="campaign_command", metavar="ACTION")
    commands.required = True
    create = commands.add_parser("create", help="create a campaign (live unless --draft)")
    create.add_argument("--name", required=True, help="e.g. 'Hva er viktig for deg-dagen 2026'")
    create.add_argument("--unit", required=True, help="unit name (or id)")
    create.add_argument("--survey", default="hva-er-viktig", metavar="KEY", help="survey key (default: hva-er-viktig)")
    create.add_argument(
        "--languages", default="nb,nn,sv,en", help="comma-separated, first is the main language (default: nb,nn,sv,en)"
    )
    create.add_argument("--channels", default="telegram,web,staff", help="where answers are taken: telegram,web,staff")
    create.add_argument("--anonymous", action="store_true", help="answers can never be linked back to a person")
    create.add_argument(
        "--kiosk",
        action="store_true",
        help="a shared tablet on a stand: every finished web-chat conversation resets after a short pause",
    )
    create.add_argument(
        "--draft", action="store_true", help="create it closed for answers until `viktig campaign open`"
    )
    create.add_argument("--opens", type=_datetime, help="ISO date/time when answers open")
    create.add_argument("--closes", type=_datetime, help="ISO date/time when answers close")
    create.add_argument("--reminder-hours", type=int, help="remind unfinished conversations after this many hours")
    create.add_argument(
        "--retention-months", type=int, default=12, help="delete answers this long after closing (default 12)"
    )
    create.add_argument("--json", action="store_true", help="print one JSON object")
    create.set_defaults(handler=_create)
    listing = commands.add_parser("list", help="list campaigns with status and answer counts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    for action, status in (("close", CampaignStatus.closed), ("open", CampaignStatus.live)):
        sub = commands.add_parser(action, help=f"{action} a campaign for answers")
        sub.add_argument("code", metavar="CODE")
        sub.add_argument("--json", action="store_true")
        sub.set_defaults(handler=_set_status, status=status)
    show = commands.add_parser("show", help="show one campaign")
    show.add_argument("code", metavar="CODE")
    show.set_defaults(handler=_show)


def _datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date/time such as 2026-06-06 or 2026-06-06T08:00"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def campaign_json(
    campaign: Campaign, unit: Unit, survey_key: str, settings: Settings, stats: tuple[int, datetime | None] = (0, None)
) -> dict[str, object]:
    links = links_for(campaign, web_base_url=settings.web_base_url, bot_username=settings.telegram_bot_username)
    return {
        "id": campaign.id,
        "code": campaign.code,
        "name": campaign.name,
        "unit": unit.name,
        "survey": survey_key,
        "status": campaign.status,
        "anonymous": campaign.anonymous,
        "kiosk": campaign.kiosk,
        "languages": campaign.language_list,
        "channels": campaign.channel_list,
        "deep_link": links.deep_link,
        "web_link": links.web_link,
        "answers": stats[0],
        "last_answer_at": stats[1].isoformat() if stats[1] else None,
        "created_at": campaign.created_at.isoformat(),
    }


async def _unit_add(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session, session.begin():
        unit = await add_unit(session, args.name)
    print(
        json.dumps({"id": unit.id, "name": unit.name}, ensure_ascii=False)
        if args.json
        else f"added unit {unit.name} (id {unit.id})"
    )
    return 0


async def _unit_list(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        units = (await session.exec(select(Unit).order_by(col(Unit.name)))).all()
    if args.json:
        print(json.dumps([{"id": unit.id, "name": unit.name} for unit in units], ensure_ascii=False))
    else:
        for unit in units:
            print(f"{unit.id}\t{unit.name}")
    return 0


async def _create(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session, session.begin():
        unit = await find_unit(session, args.unit)
        campaign = await create_campaign(
            session,
            name=args.name,
            unit=unit,
            survey_key=args.survey,
            languages=args.languages,
            anonymous=args.anonymous,
            kiosk=args.kiosk,
            draft=args.draft,
            channels=args.channels,
            opens_at=args.opens,
            closes_at=args.closes,
            reminder_after_hours=args.reminder_hours,
            retention_months=args.retention_months,
        )
        data = campaign_json(campaign, unit, args.survey, ctx.settings)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(f"created campaign {data['name']!r} ({data['status']}), code {data['code']}")
        print(f"web chat:  {data['web_link']}")
        if data["deep_link"]:
            print(f"Telegram:  {data['deep_link']}")
    return 0


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        rows = (
            await session.exec(
                select(Campaign, Unit, Survey)
                .join(Unit, col(Unit.id) == Campaign.unit_id)
                .join(Survey, col(Survey.id) == Campaign.survey_id)
                .order_by(col(Campaign.created_at).desc())
            )
        ).all()
        stats = await answer_stats(session, [pk(campaign) for campaign, _, _ in rows])
    items = [campaign_json(c, u, s.key, ctx.settings, stats.get(pk(c), (0, None))) for c, u, s in rows]
    if args.json:
        print(json.dumps(items, ensure_ascii=False))
    else:
        for item in items:
            print(f"{item['code']}\t{item['status']:<6}\t{item['answers']:>6} answers\t{item['unit']}\t{item['name']}")
    return 0


async def _set_status(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session, session.begin():
        campaign = await require_campaign(session, args.code)
        await set_status(session, campaign, args.status)
    if args.json:
        print(json.dumps({"code": campaign.code, "status": campaign.status}))
    else:
        print(f"campaign {campaign.code} is now {campaign.status}")
    return 0


async def _show(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        campaign = await require_campaign(session, args.code)
        unit = await session.get(Unit, campaign.unit_id)
        survey = await session.get(Survey, campaign.survey_id)
        assert unit is not None and survey is not None  # foreign keys
        stats = await answer_stats(session, [pk(campaign)])
    print(
        json.dumps(
            campaign_json(campaign, unit, survey.key, ctx.settings, stats.get(pk(campaign), (0, None))),
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0
