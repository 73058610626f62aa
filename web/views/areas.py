"""Area pages: the tree of areas (admins create, rename, move and delete areas and put units in them), the same
campaign in every unit under an area, the 6 June kit, and the roll-up across an area campaign's units.

Admins see every area; an area manager ("leder for område") sees their area and the areas under it; other roles
get 403. An area or area campaign outside the reader's scope answers 404, like a foreign campaign.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.area_campaigns import (
    AreaCampaignResult,
    area_campaigns,
    create_area_campaign,
    create_kit,
    members_of,
    parse_day,
)
from surveys.areas import (
    AreaError,
    add_area,
    area_tree,
    delete_area,
    descendants,
    move_area,
    rename_area,
    set_unit_area,
    units_under,
)
from surveys.campaigns import answer_stats
from surveys.errors import ViktigError
from surveys.ids import pk
from surveys.models import Area, AreaCampaign, StaffUser, Unit
from surveys.rollup import rollup
from web.access import area_scope, require_user, sessions_of
from web.client_info import public_base_url
from web.keys import SETTINGS
from web.kit import render_kit, render_report
from web.render import language_of, page


async def _area_or_404(session: AsyncSession, user: StaffUser, area_id: str) -> Area:
    area = await session.get(Area, int(area_id)) if area_id.isdigit() else None
    scope = await area_scope(session, user)
    if area is None or (scope is not None and pk(area) not in scope):
        raise web.HTTPNotFound(text="404: no such area.")
    return area


async def _group_or_404(session: AsyncSession, user: StaffUser, group_id: str) -> tuple[Area, AreaCampaign]:
    group = await session.get(AreaCampaign, int(group_id)) if group_id.isdigit() else None
    if group is None:
        raise web.HTTPNotFound(text="404: no such area campaign.")
    return await _area_or_404(session, user, str(group.area_id)), group


async def _list_context(session: AsyncSession, user: StaffUser) -> dict[str, Any]:
    scope = await area_scope(session, user)
    nodes = [node for node in await area_tree(session) if scope is None or pk(node.area) in scope]
    counts = dict(
        (await session.exec(select(Unit.area_id, func.count(col(Unit.id))).group_by(col(Unit.area_id)))).all()
    )
    groups = await area_campaigns(session, scope)
    names = {pk(node.area): node.label for node in nodes}
    return {"nodes": nodes, "counts": counts, "groups": groups, "area_names": names, "reason": None}


async def areas_page(request: web.Request) -> web.Response:
    user = await require_user(request, "area_manager")
    async with sessions_of(request)() as session:
        context = await _list_context(session, user)
    return page(request, "areas.html", context)


async def create(request: web.Request) -> web.Response:
    admin = await require_user(request, "admin")
    form = await request.post()
    try:
        async with sessions_of(request)() as session, session.begin():
            parent_id = str(form.get("parent_id", ""))
            parent = await session.get(Area, int(parent_id)) if parent_id.isdigit() else None
            area = await add_area(session, str(form.get("name", "")), parent)
            await record_access(session, actor=admin.email, action="add_area", campaign_id=None, detail=area.name)
    except AreaError as problem:
        async with sessions_of(request)() as session:
            context = await _list_context(session, admin)
        context["reason"] = problem.message(language_of(request))
        return page(request, "areas.html", context, status=400)
    raise web.HTTPSeeOther(f"/areas/{area.id}")


async def _area_context(session: AsyncSession, user: StaffUser, area: Area) -> dict[str, Any]:
    nodes = await area_tree(session)
    inside = descendants([node.area for node in nodes], pk(area))
    path = next(node.label for node in nodes if node.area.id == area.id)
    units = await units_under(session, area)
    area_labels = {pk(node.area): node.label for node in nodes}
    all_units = list((await session.exec(select(Unit).order_by(col(Unit.name)))).all()) if user.role == "admin" else []
    return {
        "area": area,
        "path": path,
        "units": units,
        "area_labels": area_labels,
        "children": [node for node in nodes if node.area.parent_id == area.id],
        "parents": [node for node in nodes if pk(node.area) not in inside],  # where it may move without a cycle
        "all_units": all_units,
        "groups": await area_campaigns(session, {pk(area)}),
        "reason": None,
    }


async def area_page(request: web.Request) -> web.Response:
    user = await require_user(request, "area_manager")
    async with sessions_of(request)() as session:
        area = await _area_or_404(session, user, request.match_info["area"])
        context = await _area_context(session, user, area)
    return page(request, "area.html", context)


async def _area_problem(request: web.Request, user: StaffUser, problem: ViktigError) -> web.Response:
    async with sessions_of(request)() as session:
        area = await _area_or_404(session, user, request.match_info["area"])
        context = await _area_context(session, user, area)
    context["reason"] = problem.message(language_of(request))
    return page(request, "area.html", context, status=400)


async def change(request: web.Request) -> web.Response:
    """Rename, move, delete, or put a unit in or out of the area (admins); each change is in the access log."""
    admin = await require_user(request, "admin")
    form = await request.post()
    what = request.match_info["what"]
    try:
        async with sessions_of(request)() as session, session.begin():
            area = await _area_or_404(session, admin, request.match_info["area"])
            detail = area.name
            if what == "rename":
                await rename_area(session, area, str(form.get("name", "")))
                detail = f"{detail} -> {area.name}"
            elif what == "move":
                parent_id = str(form.get("parent_id", ""))
                parent = await session.get(Area, int(parent_id)) if parent_id.isdigit() else None
                await move_area(session, area, parent)
                detail = f"{area.name} -> {parent.name if parent else '-'}"
            elif what == "delete":
                await delete_area(session, area)
            elif what in ("add-unit", "remove-unit"):
                unit_id = str(form.get("unit_id", ""))
                unit = await session.get(Unit, int(unit_id)) if unit_id.isdigit() else None
                if unit is None:
                    raise web.HTTPBadRequest(text="400: choose a unit.")
                await set_unit_area(session, unit, area if what == "add-unit" else None)
                detail = f"{unit.name} {'->' if what == 'add-unit' else '<-'} {area.name}"
            await record_access(
                session, actor=admin.email, action=f"area_{what.replace('-', '_')}", campaign_id=None, detail=detail
            )
    except ViktigError as problem:
        return await _area_problem(request, admin, problem)
    raise web.HTTPSeeOther("/areas" if what == "delete" else f"/areas/{area.id}")


async def _record_group(session: AsyncSession, user: StaffUser, action: str, result: AreaCampaignResult) -> None:
    await record_access(
        session,
        actor=user.email,
        action=action,
        campaign_id=None,
        detail=f"{result.area.name}: {result.area_campaign.name} (+{result.created_count})",
    )


async def new_group(request: web.Request) -> web.Response:
    """The same campaign in every unit under the area: one code and one poster per unit."""
    user = await require_user(request, "area_manager")
    form = await request.post()
    try:
        async with sessions_of(request)() as session, session.begin():
            area = await _area_or_404(session, user, request.match_info["area"])
            telegram = request.app[SETTINGS].telegram_bot_token is not None
            result = await create_area_campaign(
                session,
                area,
                name=str(form.get("name", "")),
                channels="telegram,web,staff" if telegram else "web,staff",
                draft=form.get("draft") == "1",
            )
            await _record_group(session, user, "area_campaign", result)
    except ViktigError as problem:
        return await _area_problem(request, user, problem)
    raise web.HTTPSeeOther(f"/area-campaigns/{result.area_campaign.id}?new={result.created_count}")


async def kit(request: web.Request) -> web.Response:
    """The dashboard's button for `viktig kit`: the day's campaigns for every unit under the area (again: none new)."""
    user = await require_user(request, "area_manager")
    form = await request.post()
    try:
        async with sessions_of(request)() as session, session.begin():
            area = await _area_or_404(session, user, request.match_info["area"])
            day = parse_day(str(form.get("date", "")))
            telegram = request.app[SETTINGS].telegram_bot_token is not None
            result = await create_kit(session, area, day, telegram=telegram)
            await _record_group(session, user, "kit", result)
    except ViktigError as problem:
        return await _area_problem(request, user, problem)
    raise web.HTTPSeeOther(f"/area-campaigns/{result.area_campaign.id}?new={result.created_count}")


async def group_page(request: web.Request) -> web.Response:
    user = await require_user(request, "area_manager")
    async with sessions_of(request)() as session:
        area, group = await _group_or_404(session, user, request.match_info["group"])
        members = await members_of(session, pk(group))
        stats = await answer_stats(session, [pk(campaign) for _, campaign in members])
    new = request.query.get("new", "")
    context = {
        "area": area,
        "group": group,
        "members": members,
        "stats": {key: value[0] for key, value in stats.items()},
        "new": int(new) if new.isdigit() else None,
    }
    return page(request, "area_campaign.html", context)


async def rollup_page(request: web.Request) -> web.Response:
    user = await require_user(request, "area_manager")
    async with sessions_of(request)() as session, session.begin():
        area, group = await _group_or_404(session, user, request.match_info["group"])
        table = await rollup(session, group, reveal=user.role == "admin")
        for row in table.rows:  # reading the roll-up reads every unit's themes
            await record_access(session, actor=user.email, action="view_themes", campaign_id=row.campaign.id)
    return page(request, "rollup.html", {"area": area, "group": group, "rollup": table})


async def print_page(request: web.Request) -> web.Response:
    """Posters (one A4 page per unit) and the staff guide, as one printable page."""
    user = await require_user(request, "area_manager")
    async with sessions_of(request)() as session:
        area, group = await _group_or_404(session, user, request.match_info["group"])
        members = await members_of(session, pk(group))
    settings = request.app[SETTINGS]
    html = render_kit(
        area,
        group,
        members,
        web_base_url=public_base_url(request),
        bot_username=settings.telegram_bot_username,
        language=language_of(request),
        standalone=False,
    )
    return web.Response(text=html, content_type="text/html")


async def report_page(request: web.Request) -> web.Response:
    """The report for the municipality: the roll-up and each unit's themes, protected as for managers."""
    user = await require_user(request, "area_manager")
    async with sessions_of(request)() as session, session.begin():
        area, group = await _group_or_404(session, user, request.match_info["group"])
        table = await rollup(session, group, reveal=False)
        for row in table.rows:
            await record_access(session, actor=user.email, action="report", campaign_id=row.campaign.id)
    html = render_report(area, table, language=language_of(request), standalone=False)
    return web.Response(text=html, content_type="text/html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/areas", areas_page)
    app.router.add_post("/areas", create)
    app.router.add_get(r"/areas/{area:\d+}", area_page)
    app.router.add_post(r"/areas/{area:\d+}/{what:rename|move|delete|add-unit|remove-unit}", change)
    app.router.add_post(r"/areas/{area:\d+}/campaigns", new_group)
    app.router.add_post(r"/areas/{area:\d+}/kit", kit)
    app.router.add_get(r"/area-campaigns/{group:\d+}", group_page)
    app.router.add_get(r"/area-campaigns/{group:\d+}/rollup", rollup_page)
    app.router.add_get(r"/area-campaigns/{group:\d+}/print", print_page)
    app.router.add_get(r"/area-campaigns/{group:\d+}/report", report_page)
