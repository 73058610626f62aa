"""Answers: the filtered list and the exports (managers). Staff entry of answers is web.views.entry.

Every view and export of answers is written to the access log.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.action_export import action_cells, action_header, action_rows
from surveys.answer_filter import AnswerFilter
from surveys.completion import CompletionState
from surveys.exporter import DELIMITERS, ExportOptions, collect_rows, write_csv, write_xlsx
from surveys.ids import pk
from surveys.models import AnswerSource, Campaign, Question, Theme
from surveys.names import mentions_a_name
from surveys.settings import LANGUAGES
from surveys.small_numbers import small_numbers, theme_people
from surveys.staff_text import staff_text
from surveys.themes import ThemeError, move_answer, visible_themes
from web.access import load_campaign, require_user, sessions_of
from web.answer_query import answer_count, answer_page
from web.i18n import dashboard_text
from web.render import language_of, page
from web.views.answer_names import redact_answer_names


async def _questions(session: AsyncSession, campaign: Campaign) -> list[Question]:
    return list(
        (
            await session.exec(
                select(Question).where(Question.survey_id == campaign.survey_id).order_by(col(Question.position))
            )
        ).all()
    )


async def answers_list(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    filters = AnswerFilter.from_query(request.query)
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        assert campaign.id is not None
        questions = await _questions(session, campaign)
        themes = await visible_themes(session, pk(campaign))
        rows, next_cursor = await answer_page(session, pk(campaign), filters, request.query.get("after", ""))
        total = await answer_count(session, pk(campaign), filters)
        await record_access(
            session, actor=user.email, action="view_answers", campaign_id=campaign.id, detail=f"rows={len(rows)}"
        )
    query = {key: value for key, value in request.query.items() if key not in ("after", "moved")}
    return page(
        request,
        "answers.html",
        {
            "campaign": campaign,
            "rows": rows,
            "total": total,
            "next_cursor": next_cursor,
            "filters": filters,
            "questions": questions,
            "themes": themes,
            "theme_names": {theme.id: theme.label for theme in themes},
            "languages": LANGUAGES,
            "sources": [s.value for s in AnswerSource],
            "states": [s.value for s in CompletionState],
            "query": query,
            "export_query": urlencode(query),
            "first_page": "after" not in request.query,
            "back": f"{request.path}?{urlencode(query)}",
            "moved": request.query.get("moved") == "1",
            "may_name": mentions_a_name,
        },
    )


async def export(request: web.Request) -> web.Response:
    """The answers on screen (the page's filter travels in the query), for Excel or for programs."""
    user = await require_user(request, "manager")
    kind = request.match_info["kind"]
    filters = AnswerFilter.from_query(request.query)
    delimiter = DELIMITERS.get(request.query.get("delimiter", "semicolon"), ";")
    language = language_of(request)
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        protection = await small_numbers(session, campaign, reveal=user.role == "admin")
        hidden: frozenset[int] = frozenset()
        if not protection.reveal:
            people = await theme_people(session, pk(campaign))
            hidden = frozenset(theme_id for theme_id, count in people.items() if protection.hides(count))
            if filters.theme_id is not None and filters.theme_id in hidden:
                raise web.HTTPForbidden(
                    text=dashboard_text(language, "small.export_refused", count=protection.min_group)
                )
        options = ExportOptions(
            filters=filters,
            language=language,
            hidden_themes=hidden,
            hidden_label=staff_text("export", language, "hidden", count=protection.min_group),
        )
        rows = await collect_rows(session, campaign, options)
        actions = await action_rows(session, campaign, language) if kind == "xlsx" else []
        await record_access(
            session,
            actor=user.email,
            action="export",
            campaign_id=campaign.id,
            detail=f"format={kind} rows={len(rows)}" + (" filtered" if filters != AnswerFilter() else ""),
        )
    filename = f"viktig-{campaign.code}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if kind == "csv":
        out = io.StringIO()
        write_csv(rows, out, delimiter=delimiter, language=language)
        return web.Response(
            body=out.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8", headers=headers
        )
    buffer = io.BytesIO()
    sheets = [(staff_text("export", language, "actions_sheet"), action_header(language), action_cells(actions))]
    write_xlsx(rows, buffer, language=language, extra_sheets=sheets)
    return web.Response(
        body=buffer.getvalue(),
        headers=headers,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


async def move_to_theme(request: web.Request) -> web.Response:
    """A manager puts one answer in another theme; the move is marked manual, so re-analysis keeps it."""
    user = await require_user(request, "manager")
    form = await request.post()
    back = str(form.get("back", ""))
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        target_id = str(form.get("theme", ""))
        target = await session.get(Theme, int(target_id)) if target_id.isdigit() else None
        if target is None or target.campaign_id != campaign.id or target.merged_into_id is not None:
            raise web.HTTPBadRequest(text=dashboard_text(language_of(request), "answers.move_bad"))
        try:
            await move_answer(session, int(request.match_info["answer"]), target)
        except ThemeError:
            raise web.HTTPNotFound(text="404: no such answer.") from None
    prefix = f"/campaigns/{campaign.id}/answers"
    target_url = back if back.startswith(prefix) else prefix
    raise web.HTTPSeeOther(target_url + ("&" if "?" in target_url else "?") + "moved=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/campaigns/{id:\d+}/answers", answers_list)
    app.router.add_get(r"/campaigns/{id:\d+}/export.{kind:csv|xlsx}", export)
    app.router.add_post(r"/campaigns/{id:\d+}/answers/{answer:\d+}/theme", move_to_theme)
    app.router.add_post(r"/campaigns/{id:\d+}/answers/{answer:\d+}/redact-names", redact_answer_names)
