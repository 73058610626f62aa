"""Actions per theme ("tiltak") on the themes page: managers of the unit (and admins) add and change them.

Staff read them on the campaign page (they often carry them out) and on the public page once it is published; the
texts are written for the public, so they are not kept from staff. Every change goes to the access log, with the
action's number and status, never its text. A refused form comes back with its message and the values as typed.
"""

from __future__ import annotations

import io
from typing import Any

from aiohttp import web

from surveys.access_log import record_access
from surveys.action_export import action_rows, write_actions_csv
from surveys.actions import ActionError, ActionInput, action_of_unit, add_action, read_action, update_action
from surveys.exporter import DELIMITERS
from surveys.ids import pk
from surveys.models import Theme
from web.access import load_campaign, require_user, sessions_of
from web.render import language_of
from web.views.themes import render_themes


def _read(form: Any) -> tuple[dict[str, str], ActionInput | None, ActionError | None]:
    values = {name: str(form.get(name, "")) for name in ("what", "responsible", "due_on", "status", "reason")}
    try:
        return values, read_action(**values), None
    except ActionError as error:
        return values, None, error


async def add(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    form = await request.post()
    values, data, problem = _read(form)
    theme_id = int(request.match_info["theme"])
    if data is None:
        return await _refused(request, {"theme": theme_id, "values": values, "error": problem})
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        theme = await session.get(Theme, theme_id)
        if theme is None or theme.campaign_id != campaign.id:
            raise web.HTTPNotFound(text="404: no such theme.")
        action = await add_action(session, campaign, theme, data)
        await record_access(
            session,
            actor=user.email,
            action="add_action",
            campaign_id=campaign.id,
            detail=f"action {pk(action)}: {action.status}",
        )
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes#action-{action.id}")


async def change(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    form = await request.post()
    values, data, problem = _read(form)
    action_id = int(request.match_info["action"])
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        action = await action_of_unit(session, campaign, action_id)
        if action is None:
            raise web.HTTPNotFound(text="404: no such action.")
        if data is not None:
            await update_action(session, action, data)
            await record_access(
                session,
                actor=user.email,
                action="change_action",
                campaign_id=campaign.id,
                detail=f"action {action_id}: {action.status}",
            )
    if data is None:
        return await _refused(request, {"action": action_id, "values": values, "error": problem})
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/themes#action-{action_id}")


async def _refused(request: web.Request, problem: dict[str, Any]) -> web.Response:
    user = await require_user(request, "manager")
    error = problem.pop("error")
    assert isinstance(error, ActionError)
    problem["message"] = error.message(language_of(request))
    return await render_themes(request, user, problem, status=400)


async def export_csv(request: web.Request) -> web.Response:
    """The actions the campaign shows, one row per action, for Excel (the XLSX answers export has them as a sheet)."""
    user = await require_user(request, "manager")
    language = language_of(request)
    delimiter = DELIMITERS.get(request.query.get("delimiter", "semicolon"), ";")
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        rows = await action_rows(session, campaign, language)
        await record_access(
            session, actor=user.email, action="export", campaign_id=campaign.id, detail=f"actions, {len(rows)} rows"
        )
    out = io.StringIO()
    write_actions_csv(rows, out, delimiter=delimiter, language=language)
    return web.Response(
        body=out.getvalue().encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="viktig-{campaign.code}-tiltak.csv"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/campaigns/{id:\d+}/actions.csv", export_csv)
    app.router.add_post(r"/campaigns/{id:\d+}/themes/{theme:\d+}/actions", add)
    app.router.add_post(r"/campaigns/{id:\d+}/actions/{action:\d+}", change)
