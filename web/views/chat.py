"""The citizens' web chat at /s/<code>: the same conversation engine as Telegram, in plain HTML forms.

A long-lived HttpOnly cookie holds a random visitor id (only its keyed pseudonym reaches the database). Each
rendered form carries a fresh nonce that becomes the engine's update_key, so a double click or a resubmitted
form is processed once. With JavaScript the forms post by fetch and get JSON back; without it, POST-redirect-GET.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aiohttp import web

from surveys.campaigns import accepts_answers, find_campaign
from surveys.engine import MAX_ANSWER_CHARS
from surveys.i18n import normalise_language, t
from surveys.messages import Incoming, IncomingKind, Reply
from web.access import sessions_of
from web.chat_limits import CHAT_LIMITS, ChatLimits, refuse_if_flooding
from web.client_info import client_of
from web.cookies import VISITOR_COOKIE, VISITOR_MAX_AGE
from web.i18n import chat_text
from web.keys import CONVERSATIONS, SETTINGS
from web.security import SECURE, SESSION, chat_csrf
from web.transcript import Line, Transcript, TranscriptStore

TRANSCRIPTS = web.AppKey("web_chat_transcripts", TranscriptStore)


def _accept_language(request: web.Request) -> str | None:
    header = request.headers.get("Accept-Language", "")
    return header.split(",")[0].split(";")[0].strip() or None


def _visitor(request: web.Request) -> tuple[str, bool]:
    visitor = request.cookies.get(VISITOR_COOKIE, "")
    if 20 <= len(visitor) <= 64 and visitor.replace("-", "").replace("_", "").isalnum():
        return visitor, False
    return secrets.token_urlsafe(24), True


def _set_visitor(request: web.Request, response: web.StreamResponse, visitor: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE,
        visitor,
        max_age=VISITOR_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.app[SECURE] or client_of(request).secure,
        path="/s/",
    )


def _page(
    request: web.Request, template: str, language: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    import aiohttp_jinja2

    values = {"c": lambda key, **kw: chat_text(language, key, **kw), "lang": language, "max_chars": MAX_ANSWER_CHARS}
    values.update(context)
    return aiohttp_jinja2.render_template(template, request, values, status=status)


async def _refusal_page(request: web.Request, code: str) -> web.Response | None:
    """A clear page for an unknown, closed or not yet open campaign, before the engine is asked anything."""
    async with sessions_of(request)() as session:
        campaign = await find_campaign(session, code)
    hint = _accept_language(request)
    if campaign is None:
        language = normalise_language(hint) or "nb"
        return _page(request, "chat/closed.html", language, {"message": t(language, "campaign.unknown_code")}, 404)
    reason = accepts_answers(campaign)
    if reason is None:
        return None
    language = normalise_language(hint, campaign.language_list) or campaign.language_list[0]
    return _page(request, "chat/closed.html", language, {"message": t(language, reason), "title": campaign.name}, 410)


async def chat_page(request: web.Request) -> web.Response:
    code = request.match_info["code"].strip().lower()
    visitor, fresh = _visitor(request)
    store = request.app[TRANSCRIPTS]
    transcript = None if fresh else store.get(visitor, code)
    if transcript is None:
        refusal = await _refusal_page(request, code)
        if refusal is not None:
            return refusal
        reply = await request.app[CONVERSATIONS].handle(
            Incoming(
                channel="web",
                user_ref=visitor,
                kind=IncomingKind.command,
                command="start",
                argument=code,
                campaign_code=code,
                language_hint=_accept_language(request),
            )
        )
        transcript = store.create(visitor, code)
        transcript.add_reply(reply)
    store.touch(transcript)
    response = _render_chat(request, code, visitor, transcript)
    if fresh:
        _set_visitor(request, response, visitor)
    return response


def _render_chat(request: web.Request, code: str, visitor: str, transcript: Transcript) -> web.Response:
    return _page(
        request,
        "chat/chat.html",
        transcript.language,
        {
            "code": code,
            "lines": transcript.lines,
            "nonce": secrets.token_urlsafe(12),
            "csrf": chat_csrf(request.app[SESSION], visitor),
        },
    )


def _button_label(transcript: Transcript | None, payload: str) -> str:
    for line in reversed(transcript.lines if transcript else []):
        for row in line.buttons:
            for button in row:
                if button.payload == payload:
                    return button.label
    return payload


async def chat_post(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"].strip().lower()
    visitor, fresh = _visitor(request)
    if fresh:
        raise web.HTTPSeeOther(f"/s/{code}")
    if (refusal := refuse_if_flooding(request, visitor)) is not None:
        return refusal
    form = await request.post()
    # Never cut here: an over-long text goes to the engine, which says so clearly (aiohttp's body limit still holds).
    text = str(form.get("text", ""))
    payload = str(form.get("payload", ""))[:64]
    nonce = str(form.get("nonce", ""))[:40] or secrets.token_urlsafe(12)
    store = request.app[TRANSCRIPTS]
    transcript = store.get(visitor, code)
    visit = hashlib.sha256(visitor.encode()).hexdigest()[:20]
    incoming = Incoming(
        channel="web",
        user_ref=visitor,
        kind=IncomingKind.choice if payload else IncomingKind.text,
        text="" if payload else text,
        payload=payload or None,
        campaign_code=code,
        update_key=f"web:{visit}:{nonce}",
        language_hint=_accept_language(request),
    )
    reply = await request.app[CONVERSATIONS].handle(incoming)
    new: list[Line] = []
    if not reply.duplicate:
        if transcript is None:
            transcript = store.create(visitor, code)
        said = _button_label(transcript, payload) if payload else text.strip()
        if said:  # an empty send still gets the engine's answer ("write a few words"), but no empty bubble
            mine = Line("me", said)
            transcript.lines.append(mine)
            new = [mine]
        if reply.notice:
            new.append(Line("bot", reply.notice))
            transcript.lines.append(new[-1])
        new.extend(transcript.add_reply(reply))
        store.touch(transcript)
    return _respond(request, code, visitor, transcript, reply, new)


def _respond(
    request: web.Request, code: str, visitor: str, transcript: Transcript | None, reply: Reply | None, new: list[Line]
) -> web.StreamResponse:
    if "application/json" not in request.headers.get("Accept", ""):
        raise web.HTTPSeeOther(f"/s/{code}#latest")
    return web.json_response(
        {
            "duplicate": bool(reply and reply.duplicate),
            "language": transcript.language if transcript else "nb",
            "nonce": secrets.token_urlsafe(12),
            "lines": [
                {
                    "who": line.who,
                    "text": line.text,
                    "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in line.buttons],
                }
                for line in new
            ],
        }
    )


def add_routes(app: web.Application) -> None:
    app[TRANSCRIPTS] = TranscriptStore()
    app[CHAT_LIMITS] = ChatLimits.from_settings(app[SETTINGS])
    app.router.add_get(r"/s/{code:[A-Za-z0-9]{4,40}}", chat_page)
    app.router.add_post(r"/s/{code:[A-Za-z0-9]{4,40}}", chat_post)
