"""`viktig area ...` (the tree of areas that units belong to, and one campaign in every unit under an area) and
`viktig kit --area NAME --date YYYY-MM-DD` (the 6 June kit: the day's campaigns, posters, guide and report).

The kit is safe to run again: the day's area campaign is found by area and day, and only units without their
campaign yet get one; the files are written again with what is there now (after the day: the report has answers).
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.area_campaigns import AreaCampaignResult, create_area_campaign, create_kit, members_of, parse_day
from surveys.areas import add_area, area_tree, find_area, move_area, rename_area, set_unit_area, units_under
from surveys.campaigns import find_unit
from surveys.ids import pk
from surveys.models import Area, Unit
from surveys.rollup import rollup
from viktig.context import AppContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    area = subparsers.add_parser(
        "area",
        help="areas that units belong to",
        description="Areas: a tree of any depth ('Helse og omsorg' > 'Hjemmetjenesten Øst'); units belong to areas.",
    )
    commands = area.add_subparsers(dest="area_command", metavar="ACTION")
    commands.required = True
    add = commands.add_parser("add", help="add an area")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--parent", help="the area it lies under (name or id); without it a top area")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=_add)
    listing = commands.add_parser("list", help="the areas as a tree, with their units")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    rename = commands.add_parser("rename", help="give an area a new name")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.set_defaults(handler=_rename)
    move = commands.add_parser("move", help="put an area under another (refused if that makes a cycle)")
    move.add_argument("name", metavar="NAME")
    where = move.add_mutually_exclusive_group(required=True)
    where.add_argument("--parent", help="the new parent area")
    where.add_argument("--top", action="store_true", help="make it a top area")
    move.set_defaults(handler=_move)
    unit = commands.add_parser("unit", help="put a unit in an area (or --none: in no area)")
    unit.add_argument("unit", metavar="UNIT")
    place = unit.add_mutually_exclusive_group(required=True)
    place.add_argument("--area", help="the area (name or id)")
    place.add_argument("--none", action="store_true", help="take the unit out of its area")
    unit.set_defaults(handler=_unit)
    campaign = commands.add_parser("campaign", help="create the same campaign in every unit under an area")
    campaign.add_argument("--area", required=True)
    campaign.add_argument("--name", required=True)
    campaign.add_argument("--languages", default="nb,nn,sv,en")
    campaign.add_argument("--channels", default="telegram,web,staff")
    campaign.add_argument("--draft", action="store_true")
    campaign.add_argument("--json", action="store_true")
    campaign.set_defaults(handler=_campaign)

    kit = subparsers.add_parser(
        "kit",
        help="the 6 June kit for an area",
        description=(
            "Create the day's campaigns for every unit under the area (default survey in nb/nn/sv/en), and write "
            "kit.html (one A4 poster per unit with its QR code, then the staff guide) and report.html (the roll-up "
            "for the municipality; run it again after the day). Running it again creates no duplicates."
        ),
    )
    kit.add_argument("--area", required=True, help='e.g. "Helse og omsorg"')
    kit.add_argument("--date", required=True, help="the day, e.g. 2027-06-06")
    kit.add_argument("--out", type=Path, help="folder for kit.html and report.html (default: kit-<area>-<date>)")
    kit.add_argument("--json", action="store_true", help="print one JSON object")
    kit.set_defaults(handler=_kit)


async def _add(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session, session.begin():
        parent = await find_area(session, args.parent) if args.parent else None
        area = await add_area(session, args.name, parent)
    data = {"id": area.id, "name": area.name, "parent": parent.name if parent else None}
    print(json.dumps(data, ensure_ascii=False) if args.json else f"added area {area.name} (id {area.id})")
    return 0


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        nodes = await area_tree(session)
        units = {pk(node.area): [u.name for u in await units_under(session, node.area)] for node in nodes}
    if args.json:
        rows = [
            {"id": n.area.id, "name": n.area.name, "parent_id": n.area.parent_id, "path": list(n.path)}
            | {"units": units[pk(n.area)]}
            for n in nodes
        ]
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for node in nodes:
            print(f"{'  ' * node.depth}{node.area.name} ({len(units[pk(node.area)])} units)")
    return 0


async def _rename(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session, session.begin():
        area = await rename_area(session, await find_area(session, args.name), args.new_name)
    print(f"renamed area to {area.name}")
    return 0


Placed = TypeVar("Placed", Area, Unit)


async def _place(
    ctx: AppContext,
    find: Callable[[AsyncSession, str], Awaitable[Placed]],
    place: Callable[[AsyncSession, Placed, Area | None], Awaitable[object]],
    name: str,
    target: str | None,
    said: tuple[str, str],
) -> int:
    """`area move` and `area unit`: find it, find the area it goes in (None: none), put it there, and say so
    (`said`: the sentence with an area, and the one without)."""
    async with ctx.sessions() as session, session.begin():
        item = await find(session, name)
        area = await find_area(session, target) if target is not None else None
        await place(session, item, area)
    print(said[0].format(name=item.name, area=area.name) if area else said[1].format(name=item.name))
    return 0


async def _move(args: argparse.Namespace, ctx: AppContext) -> int:
    said = ("{name} now lies under {area}", "{name} is now a top area")
    return await _place(ctx, find_area, move_area, args.name, None if args.top else args.parent, said)


async def _unit(args: argparse.Namespace, ctx: AppContext) -> int:
    said = ("{name} is now in {area}", "{name} is now in no area")
    return await _place(ctx, find_unit, set_unit_area, args.unit, None if args.none else args.area, said)


def _summary(result: AreaCampaignResult, ctx: AppContext) -> dict[str, object]:
    from viktig.commands.campaigns import campaign_json

    return {
        "area": result.area.name,
        "area_campaign_id": result.area_campaign.id,
        "name": result.area_campaign.name,
        "day": result.area_campaign.day.isoformat() if result.area_campaign.day else None,
        "created": result.created_count,
        "existing": len(result.members) - result.created_count,
        "campaigns": [
            campaign_json(m.campaign, m.unit, "hva-er-viktig", ctx.settings) | {"new": m.created}
            for m in result.members
        ],
    }


async def _campaign(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session, session.begin():
        area = await find_area(session, args.area)
        result = await create_area_campaign(
            session, area, name=args.name, languages=args.languages, channels=args.channels, draft=args.draft
        )
    data = _summary(result, ctx)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(f"{data['name']}: {data['created']} new campaigns, {data['existing']} already there")
    return 0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9æøå]+", "-", text.lower()).strip("-") or "area"


async def _kit(args: argparse.Namespace, ctx: AppContext) -> int:
    from surveys.access_log import record_access
    from web.kit import render_kit, render_report, write_kit_files

    day = parse_day(args.date)
    async with ctx.sessions() as session, session.begin():
        area = await find_area(session, args.area)
        result = await create_kit(session, area, day, telegram=ctx.settings.telegram_bot_token is not None)
        members = await members_of(session, pk(result.area_campaign))
        table = await rollup(session, result.area_campaign, reveal=False)  # the report leaves the system: protected
        actor = f"cli:{getpass.getuser()}"
        detail = f"{area.name}: {result.area_campaign.name} (+{result.created_count})"
        await record_access(session, actor=actor, action="kit", campaign_id=None, detail=detail)
        for row in table.rows:
            await record_access(session, actor=actor, action="report", campaign_id=row.campaign.id)
    kit_html = render_kit(
        area,
        result.area_campaign,
        members,
        web_base_url=ctx.settings.web_base_url,
        bot_username=ctx.settings.telegram_bot_username,
    )
    report_html = render_report(area, table)
    folder = args.out or Path(f"kit-{_slug(area.name)}-{day.isoformat()}")
    kit_file, report_file = write_kit_files(folder, kit_html, report_html)
    data = _summary(result, ctx) | {"kit": str(kit_file.resolve()), "report": str(report_file.resolve())}
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(f"{data['name']} for {area.name}: {data['created']} new campaigns, {data['existing']} already there")
        print(f"posters and guide: {kit_file}  (open in a browser, print on A4)")
        print(f"report:            {report_file}")
    return 0
