"""The themes page (managers): cards with share chart, keywords and quotes; rename, merge, run the analysis;
suggested themes to accept (into the unit's taxonomy) or reject; uncertain placements to confirm.

The analysis runs through the `analyse` callable the root bound (one process pool for the server); without the
analysis package it is None, and the dashboard works and says so.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.actions import STATUSES
from surveys.ids import pk
from surveys.models import Campaign, StaffUser, Theme
from surveys.theme_overview import theme_overview
from surveys.themes import (
    ThemeError,
    accept_suggestion,
    confirm_answer,
    latest_run,
    merge_theme,
    reject_suggestion,
    rename_theme,
)
from web.access import load_campaign, require_user, sessions_of
from web.charts import share_chart
from web.i18n import dashboard_text
from web.keys import ANALYSE
from web.render import language_of, page

log = logging.getLogger(__name__)


async def themes_page(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    return await render_themes(request, user)


async def render_themes(
    request: web.Request, user: StaffUser, problem: dict[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    """The themes page; `problem` re-shows a refused action form with its message and the values as typed."""
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        overview = await theme_overview(session, campaign, reveal=user.role == "admin")
        run = await latest_run(session, pk(campaign))
        if problem is None:
            await record_access(session, actor=user.email, action="view_themes", campaign_id=campaign.id)
    title = dashboard_text(language_of(request), "themes.chart")
    charted = [
        (item.card.theme.label, item.card.theme.share)
        for item in overview.themes
        if overview.protection.reveal or not item.hidden
    ]
    chart = share_chart(charted, title=title) if charted else ""
    notice = request.query.get("ran")
    return page(
        request,
        "themes.html",
        {
            "campaign": campaign,
            "cards": overview.settled,
            "all_cards": overview.themes,
            "suggestions": overview.suggestions,
            "uncertain": overview.uncertain,
            "done": request.query.get("done", ""),
            "accepted_label": request.query.get("label", ""),
            "previous": overview.previous,
            "comparison": overview.comparison,
            "protection": overview.protection,
            "run": run,
            "chart": chart,
            "analysis_available": request.app[ANALYSE] is not None,
            "notice": notice,
            "problem": problem or {},
            "statuses": STATUSES,
        },
        status=status,
    )


async def run_analysis(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
    analyse = request.app[ANALYSE]
    if analyse is None:
        raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes?ran=pending")
    try:
        themes = await analyse(campaign.code)
    except Exception as error:
        log.error("theme analysis failed for campaign %s: %s", campaign.id, type(error).__name__)
        raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes?ran=failed") from error
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes?ran={themes}")


async def _theme(session: AsyncSession, user: StaffUser, request: web.Request) -> tuple[Campaign, Theme]:
    campaign = await load_campaign(session, user, request.match_info["id"])
    theme_id = request.match_info["theme"]
    theme = await session.get(Theme, int(theme_id))
    if theme is None or theme.campaign_id != campaign.id:
        raise web.HTTPNotFound(text="404: no such theme.")
    return campaign, theme


async def rename(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    form = await request.post()
    label = str(form.get("label", "")).strip()
    async with sessions_of(request)() as session, session.begin():
        campaign, theme = await _theme(session, user, request)
        if label:
            await rename_theme(session, theme, label)
            await record_access(
                session, actor=user.email, action="rename_theme", campaign_id=campaign.id, detail=_ref(theme)
            )
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes#theme-{theme.id}")


async def merge(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    form = await request.post()
    async with sessions_of(request)() as session, session.begin():
        campaign, theme = await _theme(session, user, request)
        target_id = str(form.get("into", ""))
        target = await session.get(Theme, int(target_id)) if target_id.isdigit() else None
        if (
            target is None
            or target.campaign_id != campaign.id
            or target.id == theme.id
            or target.merged_into_id is not None
        ):
            raise web.HTTPBadRequest(text="400: choose another theme of this campaign to merge into.")
        await merge_theme(session, theme, target)
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes#theme-{target.id}")


async def accept(request: web.Request) -> web.Response:
    """A suggestion becomes the unit's own theme, under the name in the form (the proposed one by default)."""
    user = await require_user(request, "manager")
    form = await request.post()
    async with sessions_of(request)() as session, session.begin():
        campaign, theme = await _theme(session, user, request)
        try:
            proposed = theme.label
            learned = await accept_suggestion(session, theme, str(form.get("label", "")), actor=user.email)
        except ThemeError as error:
            raise web.HTTPBadRequest(text=error.message(language_of(request))) from None
        detail = _ref(theme) + (", renamed" if learned.label != proposed else "")
        await record_access(session, actor=user.email, action="accept_theme", campaign_id=campaign.id, detail=detail)
    query = urlencode({"done": "accepted", "label": learned.label})
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes?{query}#theme-{theme.id}")


async def reject(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    async with sessions_of(request)() as session, session.begin():
        campaign, theme = await _theme(session, user, request)
        try:
            await reject_suggestion(session, theme)
        except ThemeError as error:
            raise web.HTTPBadRequest(text=error.message(language_of(request))) from None
        await record_access(
            session, actor=user.email, action="reject_theme", campaign_id=campaign.id, detail=_ref(theme)
        )
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes?done=rejected#suggestions")


async def confirm(request: web.Request) -> web.Response:
    """An uncertain answer is where it belongs: the placement is fixed, like a move."""
    user = await require_user(request, "manager")
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        try:
            row = await confirm_answer(session, pk(campaign), int(request.match_info["answer"]))
        except ThemeError as error:
            raise web.HTTPNotFound(text=error.message(language_of(request))) from None
        await record_access(
            session,
            actor=user.email,
            action="confirm_placement",
            campaign_id=campaign.id,
            detail=f"answer {row.answer_id}",
        )
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes?done=confirmed#uncertain")


def _ref(theme: Theme) -> str:
    """A theme in the access log: its id only. Proposed names are phrases taken from answers, and a manager's name
    may quote one, so neither is logged."""
    return f"theme {theme.id}"


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/campaigns/{id:\d+}/themes", themes_page)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/analyse", run_analysis)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/{theme:\d+}/rename", rename)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/{theme:\d+}/merge", merge)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/{theme:\d+}/accept", accept)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/{theme:\d+}/reject", reject)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/confirm/{answer:\d+}", confirm)
