"""Campaign pages: the list, create and edit, the campaign page with links, QR code and poster, open and close."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.actions import campaign_actions
from surveys.campaigns import CampaignError, CampaignLinks, answer_stats, create_campaign, links_for, set_status
from surveys.ids import pk
from surveys.models import Campaign, CampaignStatus, PublicPage, StaffUser, Unit
from surveys.public_page import page_address
from surveys.settings import LANGUAGES
from web.access import load_campaign, require_user, role_at_least, sessions_of, unit_scope
from web.client_info import public_base_url
from web.forms import read_campaign_form
from web.i18n import chat_text, dashboard_text
from web.keys import SETTINGS
from web.qr import qr_png, qr_svg
from web.render import language_of, page


def campaign_links(request: web.Request, campaign: Campaign) -> CampaignLinks:
    settings = request.app[SETTINGS]
    return links_for(campaign, web_base_url=public_base_url(request), bot_username=settings.telegram_bot_username)


async def campaign_list(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        query = (
            select(Campaign, Unit.name).join(Unit, col(Unit.id) == Campaign.unit_id).order_by(col(Campaign.id).desc())
        )
        query = query.where((await unit_scope(session, user)).where(Campaign.unit_id))
        rows = (await session.exec(query)).all()
        stats = await answer_stats(session, [pk(campaign) for campaign, _ in rows])
    items = [
        {"campaign": c, "unit": unit, "count": stats.get(pk(c), (0, None))[0], "last": stats.get(pk(c), (0, None))[1]}
        for c, unit in rows
    ]
    return page(request, "campaigns.html", {"items": items})


async def _units_for(session: AsyncSession, user: StaffUser) -> list[Unit]:
    query = select(Unit).where((await unit_scope(session, user)).where(Unit.id)).order_by(col(Unit.name))
    return list((await session.exec(query)).all())


def _form_context(
    campaign: Campaign | None, units: list[Unit], errors: list[str], values: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"campaign": campaign, "units": units, "errors": errors, "languages": LANGUAGES, "v": values or {}}


async def new_form(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        units = await _units_for(session, user)
    return page(request, "campaign_form.html", _form_context(None, units, []))


async def create(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    parsed = read_campaign_form(form)
    async with sessions_of(request)() as session, session.begin():
        units = await _units_for(session, user)
        unit = next(
            (u for u in units if str(u.id) == str(form.get("unit_id", ""))), units[0] if len(units) == 1 else None
        )
        if unit is None:
            parsed.errors.append("campaign.need_unit")
        if parsed.errors or unit is None:
            return page(
                request, "campaign_form.html", _form_context(None, units, parsed.errors, parsed.values), status=400
            )
        try:
            campaign = await create_campaign(session, unit=unit, **parsed.values)
        except CampaignError as error:  # the specific reason, in the reader's language
            context = _form_context(None, units, [], parsed.values)
            context["reasons"] = [error.message(language_of(request))]
            return page(request, "campaign_form.html", context, status=400)
        campaign_id = campaign.id
    raise web.HTTPSeeOther(f"/campaigns/{campaign_id}")


async def edit_form(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        units = await _units_for(session, user)
    return page(request, "campaign_form.html", _form_context(campaign, units, []))


async def update(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    parsed = read_campaign_form(form)
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        units = await _units_for(session, user)
        if parsed.errors:
            return page(
                request, "campaign_form.html", _form_context(campaign, units, parsed.errors, parsed.values), status=400
            )
        unit = next((u for u in units if str(u.id) == str(form.get("unit_id", ""))), None)
        if unit is not None:
            campaign.unit_id = pk(unit)
        if parsed.values["privacy_text"] != (campaign.privacy_text or {}):
            campaign.privacy_version += 1  # consent records name the version the person saw
        for name, value in parsed.values.items():
            setattr(campaign, name, value)
        session.add(campaign)
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}")


async def change_status(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    try:
        status = CampaignStatus(str(form.get("status", "")))
    except ValueError:
        raise web.HTTPBadRequest(text="400: unknown status") from None
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        await set_status(session, campaign, status)
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}")


async def campaign_page(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        unit = await session.get(Unit, campaign.unit_id)
        count, last = (await answer_stats(session, [pk(campaign)])).get(pk(campaign), (0, None))
        actions = await campaign_actions(session, campaign)  # staff often carry them out: everyone may read them
        public = await session.get(PublicPage, pk(campaign))
    links = campaign_links(request, campaign)
    published = public is not None and public.published_at is not None
    return page(
        request,
        "campaign.html",
        {
            "campaign": campaign,
            "unit": unit,
            "count": count,
            "last": last,
            "links": links,
            "local_only": only_here(links.web_link),
            "qr": qr_svg(links.web_link, scale=5, title=dashboard_text(language_of(request), "campaign.qr_caption")),
            "can_read": role_at_least(user, "manager"),
            "actions": actions,
            "public_link": page_address(public_base_url(request), public.token) if public and published else None,
        },
    )


async def answer_count(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        count, last = (await answer_stats(session, [pk(campaign)])).get(pk(campaign), (0, None))
    return web.json_response({"count": count, "last": last.isoformat() if last else None})


async def qr_code(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
    link = campaign_links(request, campaign).web_link
    if request.match_info["kind"] == "png":
        return web.Response(
            body=qr_png(link),
            content_type="image/png",
            headers={"Content-Disposition": f'attachment; filename="viktig-{campaign.code}.png"'},
        )
    return web.Response(text=qr_svg(link, scale=10), content_type="image/svg+xml")


def only_here(url: str) -> bool:
    """A link that works only on this machine (127.0.0.1, localhost): a printed QR code with it leads nowhere."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.") or host == "0.0.0.0"


async def poster(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        unit = await session.get(Unit, campaign.unit_id)
    language = (campaign.language_list or ["nb"])[0]
    links = campaign_links(request, campaign)
    return page(
        request,
        "poster.html",
        {
            "campaign": campaign,
            "unit": unit,
            "links": links,
            "local_only": only_here(links.web_link),
            "qr": qr_svg(links.web_link, scale=12, title=chat_text(language, "poster.title")),
            "poster_lang": language,
            "p": lambda key, **kw: chat_text(language, key, **kw),
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/campaigns", campaign_list)
    app.router.add_get("/campaigns/new", new_form)
    app.router.add_post("/campaigns/new", create)
    app.router.add_get(r"/campaigns/{id:\d+}", campaign_page)
    app.router.add_get(r"/campaigns/{id:\d+}/edit", edit_form)
    app.router.add_post(r"/campaigns/{id:\d+}/edit", update)
    app.router.add_post(r"/campaigns/{id:\d+}/status", change_status)
    app.router.add_get(r"/campaigns/{id:\d+}/count", answer_count)
    app.router.add_get(r"/campaigns/{id:\d+}/qr.{kind:svg|png}", qr_code)
    app.router.add_get(r"/campaigns/{id:\d+}/poster", poster)


async def home(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/campaigns")
