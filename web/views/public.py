"""The public page "Dette sa dere – dette gjør vi" at /p/<token> (no login), its A4 poster, and the manager's page.

What the page may show is decided in surveys.public_page; here it is rendered in the campaign's languages (the
chooser offers only those), plain or lettlest (`?lettlest=1`). The address exists from the campaign's start (the web
chat's thanks give it), so before publishing it answers a friendly "come back later" in the reader's language that
shows nothing of the answers: no theme, no count, no quote. An unknown token is 404. Managers of the unit (and
admins) publish and withdraw it and pick the quotes at /campaigns/<id>/public, and see a preview there before
publishing. Staff see its address on the campaign page once it is published.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from surveys.access_log import record_access
from surveys.campaigns import accepts_answers
from surveys.i18n import normalise_language, t
from surveys.ids import pk
from surveys.models import Campaign, Unit, utcnow
from surveys.public_page import (
    QUOTES_PER_THEME,
    PublicPageError,
    PublicView,
    page_address,
    page_by_token,
    page_of,
    pick_quote,
    public_view,
    quote_candidates,
    set_published,
    unpick_quote,
)
from surveys.small_numbers import small_numbers
from web.access import load_campaign, require_user, sessions_of
from web.client_info import public_base_url
from web.i18n import CHAT_LANGUAGES, chat_text
from web.keys import THEME_LABELS
from web.qr import qr_svg
from web.render import language_of, page
from web.views.campaigns import only_here

LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "sv": "Svenska", "en": "English"}
PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def public_address(request: web.Request, token: str) -> str:
    return page_address(public_base_url(request), token)


def thanks_link(request: web.Request, token: str, language: str) -> tuple[str, str]:
    """ "Her kan du se hva vi gjør med svarene: <address>" and the link to the page in the person's language.

    The text shows the bare address (short enough to write down); the link adds ?lang= so a person who answered in
    nynorsk reads the page in nynorsk.
    """
    address = public_address(request, token)
    return t(language, "done.public_page", address=address), f"{address}?lang={language}"


def page_languages(campaign: Campaign) -> list[str]:
    """The languages the page is offered in: the campaign's, main language first."""
    return [code for code in campaign.language_list if code in CHAT_LANGUAGES] or ["nb"]


def _reader_context(language: str, campaign: Campaign) -> dict[str, Any]:
    """What every public template needs: its texts in the reader's language and the language chooser."""
    return {
        "c": lambda key, **kw: chat_text(language, key, **kw),
        "lang": language,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in page_languages(campaign)],
    }


def reader_language(request: web.Request, campaign: Campaign) -> str:
    """?lang= when the campaign has it, else the browser's language when it has that, else its main language."""
    allowed = page_languages(campaign)
    return (
        normalise_language(request.query.get("lang"), allowed)
        or normalise_language(request.headers.get("Accept-Language", "").split(",")[0].split(";")[0], allowed)
        or allowed[0]
    )


def local_date(language: str, day: date) -> str:
    months = chat_text(language, "public.months").split(",")
    return chat_text(language, "public.date", day=day.day, month=months[day.month - 1], year=day.year)


def _context(request: web.Request, view: PublicView, language: str, token: str, *, easy: bool) -> dict[str, Any]:
    return {
        **_reader_context(language, view.campaign),
        "view": view,
        "easy": easy,
        "token": token,
        "tenths": lambda share: round(share * 10),
        "when": lambda day: local_date(language, day),
        "address": public_address(request, token),
    }


async def _render(
    request: web.Request, campaign: Campaign, token: str, template: str, extra: dict[str, Any] | None = None
) -> web.Response:
    language = reader_language(request, campaign)
    easy = request.query.get("lettlest") == "1"
    async with sessions_of(request)() as session:
        view = await public_view(session, campaign, language, request.app[THEME_LABELS])
    context = _context(request, view, language, token, easy=easy)
    context.update(extra or {})
    response = aiohttp_jinja2.render_template(template, request, context)
    response.headers.update(PUBLIC_HEADERS)
    return response


async def _published(request: web.Request) -> tuple[Campaign, str] | web.Response:
    """The campaign of a published page, or the "come back later" page when it is not out yet (404: unknown)."""
    token = request.match_info["token"]
    async with sessions_of(request)() as session:
        found = await page_by_token(session, token)
        unit = await session.get(Unit, found[0].unit_id) if found is not None else None
    if found is None:
        raise web.HTTPNotFound(text="404", headers=PUBLIC_HEADERS)
    campaign, row = found
    if row.published_at is not None:
        return campaign, token
    return pending_page(request, campaign, unit.name if unit else "")


def pending_page(request: web.Request, campaign: Campaign, unit_name: str) -> web.Response:
    """Before publishing: what the page will be and when, in plain words; nothing that comes from the answers."""
    language = reader_language(request, campaign)
    collecting = accepts_answers(campaign) != "campaign.closed"
    context = {
        **_reader_context(language, campaign),
        "unit_name": unit_name,
        "message": "public.pending.collecting" if collecting else "public.pending.reading",
    }
    response = aiohttp_jinja2.render_template("public/pending.html", request, context)
    response.headers.update(PUBLIC_HEADERS)
    return response


async def public_page(request: web.Request) -> web.Response:
    published = await _published(request)
    if isinstance(published, web.Response):
        return published
    campaign, token = published
    return await _render(request, campaign, token, "public/page.html")


async def public_poster(request: web.Request) -> web.Response:
    published = await _published(request)
    if isinstance(published, web.Response):
        return published
    campaign, token = published
    language = reader_language(request, campaign)
    address = public_address(request, token)
    qr = qr_svg(address, scale=7, title=chat_text(language, "public.qr"))
    return await _render(request, campaign, token, "public/poster.html", {"qr": qr})


async def manage(request: web.Request) -> web.Response:
    await require_user(request, "manager")
    return await render_manage(request)


async def render_manage(request: web.Request, problem: str = "", *, status: int = 200) -> web.Response:
    user = await require_user(request, "manager")
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        row = await page_of(session, campaign)
        view = await public_view(session, campaign, language_of(request), request.app[THEME_LABELS])
        candidates = await quote_candidates(session, campaign)
        protection = await small_numbers(session, campaign, reveal=False)
    address = public_address(request, row.token)
    return page(
        request,
        "campaign_public.html",
        {
            "campaign": campaign,
            "public": row,
            "address": address,
            "local_only": only_here(address),
            "view": view,
            "candidates": candidates,
            "protection": protection,
            "per_theme": QUOTES_PER_THEME,
            "problem": problem,
        },
        status=status,
    )


async def preview(request: web.Request) -> web.Response:
    """The page as it will look, for a manager, before (or after) publishing."""
    user = await require_user(request, "manager")
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        token = (await page_of(session, campaign)).token
    return await _render(request, campaign, token, "public/page.html", {"preview": True})


async def publish(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    form = await request.post()
    wanted = str(form.get("publish", "")) == "1"
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        _, changed = await set_published(session, campaign, wanted)
        if changed:
            await record_access(
                session,
                actor=user.email,
                action="publish" if wanted else "unpublish",
                campaign_id=campaign.id,
                detail=utcnow().date().isoformat(),
            )
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/public")


async def quotes(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    form = await request.post()
    answer = str(form.get("answer_id", ""))
    pick = str(form.get("pick", "")) == "1"
    if not answer.isdigit():
        raise web.HTTPBadRequest(text="400: choose an answer to quote.")
    try:
        async with sessions_of(request)() as session, session.begin():
            campaign = await load_campaign(session, user, request.match_info["id"])
            if pick:
                await pick_quote(session, campaign, int(answer))
                done = True
            else:
                done = await unpick_quote(session, campaign, int(answer))
            if done:
                await record_access(
                    session,
                    actor=user.email,
                    action="pick_quote" if pick else "unpick_quote",
                    campaign_id=campaign.id,
                    detail=f"answer {int(answer)}",
                )
    except PublicPageError as error:
        return await render_manage(request, error.message(language_of(request)), status=400)
    raise web.HTTPSeeOther(f"/campaigns/{pk(campaign)}/public#theme-quotes")


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/p/{token:[A-Za-z0-9_-]{8,64}}", public_page)
    app.router.add_get(r"/p/{token:[A-Za-z0-9_-]{8,64}}/plakat", public_poster)
    app.router.add_get(r"/campaigns/{id:\d+}/public", manage)
    app.router.add_get(r"/campaigns/{id:\d+}/public/preview", preview)
    app.router.add_post(r"/campaigns/{id:\d+}/public/publish", publish)
    app.router.add_post(r"/campaigns/{id:\d+}/public/quotes", quotes)
