"""Staff entry: answers typed on behalf of a person, and files of transcribed paper cards, with import progress.

Everything goes through surveys.importer, so de-identification applies exactly as for every other channel. The whole
file is validated first (a bad row anywhere stores nothing, as before); then it is stored in chunks of a few hundred
rows (surveys.import_batches). A file bigger than one chunk is stored by a background task, and the page shows
"12 000 av 30 000 rader lagret" and refreshes itself until it is done, so the web chat keeps flowing meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.campaigns import accepts_answers
from surveys.import_batches import CHUNK_ROWS, STALE_AFTER, begin_import, store_chunks, unfinished_imports
from surveys.import_columns import ImportProblem
from surveys.importer import AnswerImportError, PreparedImport, import_targets, prepare_import
from surveys.models import AnswerImport, AnswerSource, Campaign, Channel, ImportStatus, Question, as_utc, utcnow
from surveys.public_page import page_of
from surveys.settings import LANGUAGES
from web.access import load_campaign, require_user, sessions_of
from web.keys import SESSIONS, SETTINGS
from web.render import language_of, page
from web.security import Handler
from web.views.public import thanks_link

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2


class ImportTasks:
    """The imports this process is storing in the background, so shutdown can stop them between chunks."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()


IMPORT_TASKS = web.AppKey("entry_import_tasks", ImportTasks)
ENTRY_POST = "entry_post"  # the route's name, so the upload-limit middleware knows the entry form


async def _questions(session: AsyncSession, campaign: Campaign) -> list[Question]:
    return list(
        (
            await session.exec(
                select(Question).where(Question.survey_id == campaign.survey_id).order_by(col(Question.position))
            )
        ).all()
    )


def _thousands(number: int) -> str:
    """12 000, as Norwegian writes it (a no-break space between thousands)."""
    return f"{number:,}".replace(",", "\u00a0")


def _warnings(record: AnswerImport, language: str) -> list[str]:
    return [ImportProblem(w["code"], w.get("line"), w.get("values") or {}).render(language) for w in record.warnings]


def _import_view(record: AnswerImport, language: str) -> dict[str, Any]:
    stale = as_utc(record.updated_at) < utcnow() - STALE_AFTER
    state = "stopped" if record.status == ImportStatus.interrupted.value or stale else record.status
    if record.status == ImportStatus.done.value:
        state = "done"
    return {
        "id": record.id,
        "filename": record.filename,
        "state": state,
        "stored": _thousands(record.stored_rows),
        "total": _thousands(record.total_rows),
        "warnings": _warnings(record, language) if state == "done" else [],
    }


async def _entry_context(request: web.Request, session: AsyncSession, campaign: Campaign) -> dict[str, Any]:
    """What every rendering of the entry page shows: the forms and the imports still under way or stopped."""
    language = language_of(request)
    shown: AnswerImport | None = None
    wanted = request.query.get("import", "")
    if wanted.isdigit():
        found = await session.get(AnswerImport, int(wanted))
        shown = found if found is not None and found.campaign_id == campaign.id else None
    others = [r for r in await unfinished_imports(session, campaign.id or 0) if shown is None or r.id != shown.id]
    current = _import_view(shown, language) if shown is not None else None
    return {
        "campaign": campaign,
        "questions": await _questions(session, campaign),
        "languages": LANGUAGES,
        "problems": [],
        "saved": None,
        "typed": "",
        "current_import": current,
        "unfinished": [_import_view(r, language) for r in others],
        "refresh": REFRESH_SECONDS if current is not None and current["state"] == "running" else None,
    }


async def entry_form(request: web.Request) -> web.Response:
    user = await require_user(request)
    saved = request.query.get("saved", "")
    typed_for = request.query.get("lang", "")  # set after typed answers: the person is here
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        context = await _entry_context(request, session, campaign)
        token = (await page_of(session, campaign)).token if saved.isdigit() and typed_for else None
    context["saved"] = int(saved) if saved.isdigit() else None
    if token is not None:
        # The chat's thanks, in the language the answers were typed in, for staff to pass on.
        language = typed_for if typed_for in campaign.language_list else campaign.language_list[0]
        text, link = thanks_link(request, token, language)
        context["public"] = {"text": text, "link": link, "lang": language}
    return page(request, "entry.html", context)


async def entry_post(request: web.Request) -> web.Response:
    user = await require_user(request)
    form = await request.post()
    upload = form.get("file")
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        context = {**await _entry_context(request, session, campaign), "typed": str(form.get("lines", ""))}
        targets = await import_targets(session, campaign)
    questions = context["questions"]
    if "staff" not in campaign.channel_list:
        return page(request, "entry.html", {**context, "error": "entry.channel_off"}, status=400)
    if accepts_answers(campaign) == "campaign.closed":  # a draft may take transcribed cards; a closed one not
        return page(request, "entry.html", {**context, "error": "entry.closed"}, status=409)
    if isinstance(upload, web.FileField):
        raw, filename, source = upload.file.read(), upload.filename or "upload.csv", AnswerSource.paper
        typed_for = ""
    else:
        lines = [line.strip() for line in str(form.get("lines", "")).splitlines() if line.strip()]
        if not lines:
            return page(request, "entry.html", {**context, "error": "entry.empty"}, status=400)
        language = str(form.get("language", "")) if form.get("language") in LANGUAGES else campaign.language_list[0]
        question = next((q.key for q in questions if str(q.id) == str(form.get("question", ""))), None)
        raw = "\n".join(
            json.dumps({"text": line, "language": language, "question": question}) for line in lines
        ).encode()
        filename, source = "entry.jsonl", AnswerSource.staff
        typed_for = f"&lang={language}"  # staff typed for a person who is here: the page gives them the address
    sessions = sessions_of(request)
    try:
        # No transaction is open while the file is checked: on SQLite that would hold the only write lock.
        prepared = await prepare_import(targets, raw, filename=filename, source=source, channel=Channel.staff)
        record = await begin_import(sessions, prepared, actor=user.email)
        assert record.id is not None
        if len(prepared.rows) - record.stored_rows > CHUNK_ROWS:
            _store_in_background(request.app, prepared, record.id)
            raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/entry?import={record.id}")
        record = await store_chunks(sessions, prepared, record.id)
    except AnswerImportError as error:
        problems = error.messages(language_of(request))
        return page(request, "entry.html", {**context, "problems": problems, "error": "entry.failed"}, status=400)
    if record.warnings:
        warnings = _warnings(record, language_of(request))
        return page(request, "entry.html", {**context, "saved": len(prepared.rows), "warnings": warnings})
    raise web.HTTPSeeOther(f"/campaigns/{campaign.id}/entry?saved={len(prepared.rows)}{typed_for}")


def _store_in_background(app: web.Application, prepared: PreparedImport, import_id: int) -> None:
    """The rest of the file, chunk by chunk, after the response; a stop marks the import interrupted."""

    async def store() -> None:
        try:
            await store_chunks(app[SESSIONS], prepared, import_id)
        except AnswerImportError:
            log.warning("import %s was taken over by another worker", import_id)
        except Exception:
            log.exception("import %s stopped", import_id)

    task = asyncio.create_task(store(), name=f"import-{import_id}")
    app[IMPORT_TASKS].running.add(task)
    task.add_done_callback(app[IMPORT_TASKS].running.discard)


async def import_tasks(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: on shutdown, stop running imports between chunks (they are marked interrupted)."""
    app[IMPORT_TASKS] = ImportTasks()
    yield
    tasks = list(app[IMPORT_TASKS].running)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


@web.middleware
async def upload_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A file over the upload limit gets the entry page again with a clear message, not aiohttp's English 413."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        if request.match_info.route.name != ENTRY_POST:
            raise
    user = await require_user(request)
    async with sessions_of(request)() as session:
        campaign = await load_campaign(session, user, request.match_info["id"])
        context = await _entry_context(request, session, campaign)
    megabytes = f"{request.app[SETTINGS].upload_max_bytes / (1024 * 1024):.1f}".replace(".0", "").replace(".", ",")
    context = {**context, "error": "entry.too_large", "error_values": {"limit": megabytes}}
    return page(request, "entry.html", context, status=413)


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/campaigns/{id:\d+}/entry", entry_form)
    app.router.add_post(r"/campaigns/{id:\d+}/entry", entry_post, name=ENTRY_POST)
