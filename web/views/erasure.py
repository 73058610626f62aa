"""Erasure from the dashboard: a citizen phones with the reference the chat gave them ("R-XXXX-XXXX").

Staff, managers and admins find the person by reference, see what will be deleted (counts and campaign names, never
the answers), confirm, and everything about the person goes at once, as "delete my data" in the chat does; the
access log gets one entry per campaign (counts only, no reference). Staff and managers reach only people who
answered in a campaign of their own unit; for anyone else the page says "not found", so nothing is revealed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Campaign, StaffUser
from surveys.pseudonyms import normalise_reference
from surveys.rights import ErasureScope, erase_by_reference, erasure_scope, find_by_reference
from web.access import require_user, sessions_of, unit_scope
from web.render import page


async def _scope_for(session: AsyncSession, user: StaffUser, reference: str) -> tuple[ErasureScope, list[str]] | None:
    respondent = await find_by_reference(session, reference)
    if respondent is None:
        return None
    scope = await erasure_scope(session, respondent)
    campaigns = (
        (await session.exec(select(Campaign).where(col(Campaign.id).in_(scope.campaign_ids)))).all()
        if scope.campaign_ids
        else []
    )
    units = await unit_scope(session, user)
    if not any(units.allows(c.unit_id) for c in campaigns):
        return None
    names = [c.name for c in campaigns if units.allows(c.unit_id)]
    return scope, names


async def erasure_form(request: web.Request) -> web.Response:
    await require_user(request)
    done = request.query.get("done", "")
    return page(request, "erasure.html", {"reference": "", "scope": None, "error": None, "done": done.isdigit()})


async def erasure_preview(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    reference = normalise_reference(str(form.get("reference", "")))
    async with sessions_of(request)() as session:
        found = await _scope_for(session, user, reference)
    if found is None:
        missing = {"reference": reference, "scope": None, "error": "erasure.not_found", "done": False}
        return page(request, "erasure.html", missing, status=404)
    scope, names = found
    context: dict[str, Any] = {
        "reference": reference,
        "scope": scope,
        "campaign_names": names,
        "error": None,
        "done": False,
    }
    return page(request, "erasure.html", context)


async def erasure_confirm(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    reference = normalise_reference(str(form.get("reference", "")))
    if form.get("confirm") != "yes":
        raise web.HTTPSeeOther("/erasure")
    async with sessions_of(request)() as session, session.begin():
        if await _scope_for(session, user, reference) is None:
            context = {"reference": reference, "scope": None, "error": "erasure.not_found", "done": False}
            return page(request, "erasure.html", context, status=404)
        counts = await erase_by_reference(session, reference, actor=user.email)
    raise web.HTTPSeeOther(f"/erasure?done={counts.answers if counts else 0}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/erasure", erasure_form)
    app.router.add_post("/erasure", erasure_preview)
    app.router.add_post("/erasure/confirm", erasure_confirm)
