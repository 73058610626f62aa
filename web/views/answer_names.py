"""A manager replaces the names in one flagged answer with a placeholder before an export (surveys.names)."""

from __future__ import annotations

from aiohttp import web

from surveys.access_log import record_access
from surveys.models import Answer
from surveys.names import redact_names
from web.access import load_campaign, require_user, sessions_of


async def redact_answer_names(request: web.Request) -> web.Response:
    """Names the flag found become "[navn]"; the change is written to the access log (never the names)."""
    user = await require_user(request, "manager")
    form = await request.post()
    back = str(form.get("back", ""))
    async with sessions_of(request)() as session, session.begin():
        campaign = await load_campaign(session, user, request.match_info["id"])
        answer = await session.get(Answer, int(request.match_info["answer"]))
        if answer is None or answer.campaign_id != campaign.id:
            raise web.HTTPNotFound(text="404: no such answer.")
        redacted = redact_names(answer.text, answer.language)
        if redacted != answer.text:
            answer.text = redacted
            session.add(answer)
            await record_access(
                session, actor=user.email, action="redact_names", campaign_id=campaign.id, detail=f"answer={answer.id}"
            )
    prefix = f"/campaigns/{campaign.id}/answers"
    raise web.HTTPSeeOther((back if back.startswith(prefix) else prefix) + f"#answer-{answer.id}")
