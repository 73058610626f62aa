"""Answers: the filtered list and the exports (managers), and staff entry of answers typed or from paper cards.

Every view and export of answers is written to the access log. Staff entry goes through surveys.importer, so
de-identification applies exactly as for every other channel.
"""

from __future__ import annotations

import io
import json

from aiohttp import web
from sqlmodel import col, select

from surveys.access_log import record_access
from surveys.campaigns import accepts_answers
from surveys.exporter import collect_rows, write_csv, write_xlsx
from surveys.importer import AnswerImportError, import_answers
from surveys.models import AnswerSource, Question
from surveys.settings import LANGUAGES
from web.access import load_campaign, require_user, sessions_of
from web.answer_query import AnswerFilter, answer_count, answer_page
from web.render import language_of, page


async def _questions(session, campaign) -> list[Question]:  # type: ignore[no-untyped-def]
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
        questions = await _questions(session, campaign)
        rows, next_cursor = await answer_page(session, campaign.id, filters, request.query.get("after", ""))  # type: ignore[arg-type]
        total = await answer_count(session, campaign.id, filters)  # type: ignore[arg-type]
        await record_access(
            session, actor=user.email, action="view_answers", campaign_id=campaign.id, detail=f"rows={len(rows)}"
        )
    query = {key: value for key, value in request.query.items() if key != "after"}
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
            "languages": LANGUAGES,
            "sources": [s.value for s in AnswerSource],
            "query": query,
            "first_page": "after" not in request.query,
        },
    )


async def export(request: web.Request) -> web.Response:
    user = await require_user(request, "manager")
    kind = request.match_info["kind"]
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        rows = await collect_rows(session, campaign)
        await record_access(
            session,
            actor=user.email,
            action="export",
            campaign_id=campaign.id,
            detail=f"format={kind} rows={len(rows)}",
        )
    filename = f"viktig-{campaign.code}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if kind == "csv":
        out = io.StringIO()
        write_csv(rows, out)
        return web.Response(
            body=out.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8", headers=headers
        )
    buffer = io.BytesIO()
    write_xlsx(rows, buffer)
    return web.Response(
        body=buffer.getvalue(),
        headers=headers,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


async def entry_form(request: web.Request) -> web.Response:
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        questions = await _questions(session, campaign)
    saved = request.query.get("saved", "")
    return page(
        request,
        "entry.html",
        {
            "campaign": campaign,
            "questions": questions,
            "languages": LANGUAGES,
            "problems": [],
            "saved": int(saved) if saved.isdigit() else None,
            "typed": "",
        },
    )


async def entry_post(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    upload = form.get("file")
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        questions = await _questions(session, campaign)
    context = {
        "campaign": campaign,
        "questions": questions,
        "languages": LANGUAGES,
        "saved": None,
        "typed": str(form.get("lines", "")),
    }
    if "staff" not in campaign.channel_list:
        return page(request, "entry.html", {**context, "problems": [], "error": "entry.channel_off"}, status=400)
    if accepts_answers(campaign) == "campaign.closed":  # a draft may take transcribed cards; a closed one not
        return page(request, "entry.html", {**context, "problems": [], "error": "entry.closed"}, status=409)
    if upload is not None and hasattr(upload, "file"):
        raw, filename, source = upload.file.read(), upload.filename or "upload.csv", AnswerSource.paper
    else:
        lines = [line.strip() for line in str(form.get("lines", "")).splitlines() if line.strip()]
        if not lines:
            return page(request, "entry.html", {**context, "problems": [], "error": "entry.empty"}, status=400)
        language = str(form.get("language", "")) if form.get("language") in LANGUAGES else campaign.language_list[0]
        question = next((q.key for q in questions if str(q.id) == str(form.get("question", ""))), None)
        raw = "\n".join(
            json.dumps({"text": line, "language": language, "question": question}) for line in lines
        ).encode()
        filename, source = "entry.jsonl", AnswerSource.staff
    try:
        async with sessions_of(request)() as session, session.begin():
            campaign = await load_campaign(session, user, request.match_info["id"])
            result = await import_answers(session, campaign, raw, filename=filename, source=source, channel="staff")
    except AnswerImportError as error:
        problems = error.messages(language_of(request))
        return page(request, "entry.html", {**context, "problems": problems, "error": "entry.failed"}, status=400)
    if result.warnings:
        warnings = [warning.render(language_of(request)) for warning in result.warnings]
        return page(request, "entry.html", {**context, "problems": [], "saved": result.imported, "warnings": warnings})
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/entry?saved={result.imported}")


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/campaigns/{id:\d+}/answers", answers_list)
    app.router.add_get(r"/campaigns/{id:\d+}/export.{kind:csv|xlsx}", export)
    app.router.add_get(r"/campaigns/{id:\d+}/entry", entry_form)
    app.router.add_post(r"/campaigns/{id:\d+}/entry", entry_post)
