"""The citizens' web chat at /s/<code>: the same conversation engine as Telegram, in plain HTML forms.

The thanks end with the address of the campaign's public page "Dette sa dere – dette gjør vi" (it says "come back
later" until a manager publishes it), and once a closed campaign's page is out, its chat link (the poster's QR code)
leads there instead of to a chat that takes no answers.

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
from surveys.deidentify import redact
from surveys.engine import MAX_ANSWER_CHARS
from surveys.i18n import normalise_language, t
from surveys.messages import Incoming, IncomingKind, Reply
from surveys.models import Campaign, Channel
from surveys.public_page import page_of
from surveys.text import clean_answer_text
from web.access import sessions_of
from web.chat_limits import CHAT_LIMITS, ChatLimits, refuse_if_flooding
from web.client_info import client_of
from web.cookies import VISITOR_COOKIE, VISITOR_MAX_AGE
from web.i18n import chat_text
from web.keys import CONVERSATIONS, SETTINGS
from web.security import SECURE, SESSION, chat_csrf
from web.transcript import Line, Transcript, TranscriptStore
from web.views.public import thanks_link

TRANSCRIPTS = web.AppKey("web_chat_transcripts", TranscriptStore)
STEP_SUMMARY, STEP_DONE = "summary", "done"  # the engine's stored step names
KIOSK_RESET_SECONDS = 20  # a kiosk tablet shows the thanks this long, then greets the next person


def _accept_language(request: web.Request) -> str | None:
    header = request.headers.get("Accept-Language", "")
    return header.split(",")[0].split(";")[0].strip() or None


def _visitor(request: web.Request) -> tuple[str, bool]:
    visitor = request.cookies.get(VISITOR_COOKIE, "")
    if 20 <= len(visitor) <= 64 and visitor.replace("-", "").replace("_", "").isalnum():
        return visitor, False
    return _new_visitor(), True


def _new_visitor() -> str:
    return secrets.token_urlsafe(24)


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


async def _refusal_page(request: web.Request, code: str) -> tuple[web.Response | None, Campaign | None]:
    """A clear page for an unknown, closed or not yet open campaign, before the engine is asked anything.

    A closed campaign whose public page is out sends the person there; until then its page gives that address.
    """
    async with sessions_of(request)() as session, session.begin():
        campaign = await find_campaign(session, code)
        reason = accepts_answers(campaign) if campaign is not None else None
        page = await page_of(session, campaign) if campaign is not None and reason == "campaign.closed" else None
    hint = _accept_language(request)
    if campaign is None:
        language = normalise_language(hint) or "nb"
        return (
            _page(request, "chat/closed.html", language, {"message": t(language, "campaign.unknown_code")}, 404),
            None,
        )
    if reason is None:
        return None, campaign
    if page is not None and page.published_at is not None:
        raise web.HTTPSeeOther(f"/p/{page.token}", headers={"Cache-Control": "no-store"})
    language = normalise_language(hint, campaign.language_list) or campaign.language_list[0]
    context: dict[str, Any] = {"message": t(language, reason), "title": campaign.name}
    if page is not None:
        context["public"] = _public_line(request, page.token, language)
    return _page(request, "chat/closed.html", language, context, 410), None


def _public_line(request: web.Request, token: str, language: str) -> Line:
    text, link = thanks_link(request, token, language)
    return Line("bot", text, link=link)


async def _public_line_for(request: web.Request, code: str, language: str) -> Line | None:
    """The thanks' public-page line for this campaign (its address is made now for a campaign older than that)."""
    async with sessions_of(request)() as session, session.begin():
        campaign = await find_campaign(session, code)
        token = (await page_of(session, campaign)).token if campaign is not None else None
    return _public_line(request, token, language) if token else None


async def chat_page(request: web.Request) -> web.Response:
    code = request.match_info["code"].strip().lower()
    visitor, fresh = _visitor(request)
    store = request.app[TRANSCRIPTS]
    transcript = None if fresh else store.get(visitor, code)
    if transcript is not None and transcript.finished:
        if transcript.show_finished_once:
            transcript.show_finished_once = False  # the redirect after the last answer shows the thanks, once
        else:
            store.drop(visitor, code)  # a later page load on a shared device: the next person starts fresh
            visitor, fresh, transcript = _new_visitor(), True, None
    if transcript is None:
        refusal, campaign = await _refusal_page(request, code)
        if refusal is not None or campaign is None:
            return refusal or web.Response(status=404)
        reply = await _start(request, visitor, code)
        if reply.step == STEP_DONE and not fresh:
            # This browser's conversation was finished earlier (its transcript is gone: a restart, another
            # process). Never greet the next person with "you have already answered": start a new visitor.
            visitor, fresh = _new_visitor(), True
            reply = await _start(request, visitor, code)
        transcript = store.create(visitor, code)
        transcript.reset_after = KIOSK_RESET_SECONDS if campaign.kiosk else None
        store.add_reply(transcript, reply)
    store.touch(transcript)
    response = _render_chat(request, code, visitor, transcript)
    if transcript.finished and transcript.reset_after:
        response.headers["Refresh"] = f"{transcript.reset_after}; url=/s/{code}"  # kiosk reset without JavaScript
    if fresh:
        _set_visitor(request, response, visitor)
    return response


async def _start(request: web.Request, visitor: str, code: str) -> Reply:
    return await request.app[CONVERSATIONS].handle(
        Incoming(
            channel=Channel.web,
            user_ref=visitor,
            kind=IncomingKind.command,
            command="start",
            argument=code,
            campaign_code=code,
            language_hint=_accept_language(request),
        )
    )


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
            "end_label": _end_label(transcript.language, transcript.step, transcript.finished),
            "reset_after": transcript.reset_after if transcript.finished else None,
        },
    )


def _end_label(language: str, step: str | None, finished: bool) -> str | None:
    """The control that ends this visit: "Ferdig – neste person" after the thanks, "Avslutt" on the summary."""
    if finished or step == STEP_DONE:
        return chat_text(language, "end.next_person")
    if step == STEP_SUMMARY:
        return chat_text(language, "end.quit")
    return None


def _button_label(transcript: Transcript | None, payload: str) -> str | None:
    """What the person pressed, as its label; None for a button this visit no longer shows (an old tab's), never
    the internal payload."""
    for line in reversed(transcript.lines if transcript else []):
        for row in line.buttons:
            for button in row:
                if button.payload == payload:
                    return button.label
    return None


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
        channel=Channel.web,
        user_ref=visitor,
        kind=IncomingKind.choice if payload else IncomingKind.text,
        text="" if payload else text,
        payload=payload or None,
        campaign_code=code,
        update_key=f"web:{visit}:{nonce}",
        language_hint=_accept_language(request),
        repeat_on_stale=True,  # an old tab's button: say so and show the current question there
    )
    reply = await request.app[CONVERSATIONS].handle(incoming)
    new: list[Line] = []
    completed = not reply.duplicate and reply.finished and reply.step == STEP_DONE  # not a declined consent
    public = await _public_line_for(request, code, reply.language) if completed else None
    if not reply.duplicate:
        said = _button_label(transcript, payload) if payload else _as_stored(text, reply.language)
        if said:  # an empty send still gets the engine's answer ("write a few words"), but no empty bubble
            new.append(Line("me", said))
        if reply.notice:
            new.append(Line("bot", reply.notice))
        if transcript is None:  # no visit in this process (a restart): answer, but keep nothing
            new.extend(Line("bot", message.text, message.buttons) for message in reply.messages)
            new.extend([public] if public else [])
        else:
            if _erased(reply):
                store.clear(transcript)  # nothing of what was erased may be shown again, not even after a reload
            else:
                new = [store.add_line(transcript, line) for line in new]
            new.extend(store.add_reply(transcript, reply))
            new.extend([store.add_line(transcript, public)] if public else [])
            if transcript.finished and "application/json" not in request.headers.get("Accept", ""):
                transcript.show_finished_once = True  # the redirect that follows shows the thanks
            store.touch(transcript)
    return _respond(request, code, visitor, transcript, reply, new)


def _as_stored(text: str, language: str) -> str | None:
    """A person's words as the transcript may keep them: de-identified like the stored answer, never raw.

    Text the engine refuses as too long is not kept at all (the engine's reply says why).
    """
    cleaned = clean_answer_text(text)
    if not cleaned or len(cleaned) > MAX_ANSWER_CHARS:
        return None
    return redact(cleaned, language)


def _erased(reply: Reply) -> bool:
    """Whether this reply confirms that the person's data was erased (/slett, confirmed)."""
    return t(reply.language, "delete.done") in reply.texts


async def end_visit(request: web.Request) -> web.StreamResponse:
    """ "Ferdig – neste person" / "Avslutt": forget this visit and its cookie; the next page load is a new person.

    The answers already given stay stored as they are (the person can still erase them with their reference).
    """
    code = request.match_info["code"].strip().lower()
    visitor = request.cookies.get(VISITOR_COOKIE, "")
    request.app[TRANSCRIPTS].drop(visitor, code)
    response = web.HTTPSeeOther(f"/s/{code}")
    response.del_cookie(VISITOR_COOKIE, path="/s/")
    raise response


def _respond(
    request: web.Request, code: str, visitor: str, transcript: Transcript | None, reply: Reply | None, new: list[Line]
) -> web.StreamResponse:
    if "application/json" not in request.headers.get("Accept", ""):
        raise web.HTTPSeeOther(f"/s/{code}#latest")
    reset_after = transcript.reset_after if transcript and transcript.finished else None
    return web.json_response(
        {
            "duplicate": bool(reply and reply.duplicate),
            "language": transcript.language if transcript else reply.language if reply else "nb",
            "end_label": _end_label(reply.language, reply.step, reply.finished) if reply else None,
            "reset_after": reset_after,
            "reset_note": chat_text(reply.language, "end.kiosk_reset", seconds=reset_after)
            if reset_after and reply
            else None,
            "nonce": secrets.token_urlsafe(12),
            "texts": interface_texts(transcript.language if transcript else reply.language if reply else "nb"),
            "lines": [
                {
                    "who": line.who,
                    "text": line.text,
                    "link": line.link,
                    "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in line.buttons],
                }
                for line in new
            ],
        }
    )


# The page's own texts (heading, label, hint...) that the script swaps when the person chooses another language.
INTERFACE_KEYS = (
    "title",
    "skip_to_answer",
    "conversation",
    "you",
    "bot",
    "error",
    "your_message",
    "message_hint",
    "send",
    "end.hint",
)


def interface_texts(language: str) -> dict[str, str]:
    """The chat page's interface in `language`, so a language chosen in the chat applies at once, not at a reload."""
    return {key: chat_text(language, key) for key in INTERFACE_KEYS}


def add_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[TRANSCRIPTS] = TranscriptStore(settings.chat_transcript_visit_bytes, settings.chat_transcript_total_bytes)
    app[CHAT_LIMITS] = ChatLimits.from_settings(settings)
    app.router.add_get(r"/s/{code:[A-Za-z0-9]{4,40}}", chat_page)
    app.router.add_post(r"/s/{code:[A-Za-z0-9]{4,40}}", chat_post)
    app.router.add_post(r"/s/{code:[A-Za-z0-9]{4,40}}/ferdig", end_visit)
