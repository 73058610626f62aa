"""What the respondent does outside any conversation's steps: /avbryt, the answer to a question put to them
outside a conversation (`flow.Pending`: /slett's confirmation, the language choice) and the erasure itself."""

from __future__ import annotations

import logging

from surveys.engine.flow import Pending, set_language
from surveys.engine.payloads import Payload
from surveys.engine.turn import Turn
from surveys.engine.words import NO, YES, language_from_words, norm
from surveys.i18n import t
from surveys.models import ConversationStatus

log = logging.getLogger("surveys.engine")


async def cancel(turn: Turn) -> None:
    conversation = await turn.load_conversation()
    if turn.respondent is not None and turn.respondent.pending_action:
        turn.respondent.pending_action = None
        turn.save(turn.respondent)
    if conversation is None or conversation.status != ConversationStatus.active.value:
        turn.say_key("cancel.nothing")
        return
    if conversation.consent_at is None:
        await turn.drop_conversation(conversation)
        turn.say_key("consent.declined")
        return
    conversation.status = ConversationStatus.cancelled.value
    conversation.reminder_due_at = None
    turn.touch()
    turn.say_key("cancel.done")


async def on_pending_choice(turn: Turn, payload: Payload) -> None:
    assert turn.respondent is not None
    pending = turn.respondent.pending_action
    turn.respondent.pending_action = None
    turn.save(turn.respondent)
    if pending == Pending.confirm_delete and payload.action == "del" and payload.value in ("yes", "no"):
        if payload.value == "yes":
            await erase(turn)
        else:
            turn.say_key("delete.kept")
            if await turn.load_conversation() is not None:
                await turn.prompt()
    elif pending == Pending.choose_language and payload.action == "lang":
        await set_language(turn, payload.value)
    else:
        turn.stale()


async def on_pending_text(turn: Turn, text: str) -> bool:
    """Typed words while a confirmation is pending; True when they settled it."""
    respondent = turn.respondent
    assert respondent is not None
    words, lang = norm(text), turn.language
    if respondent.pending_action == Pending.confirm_delete:
        if words in YES or words == norm(t(lang, "delete.yes")):
            await on_pending_choice(turn, Payload("del", "yes"))
            return True
        if words in NO or words == norm(t(lang, "delete.no")):
            await on_pending_choice(turn, Payload("del", "no"))
            return True
    elif respondent.pending_action == Pending.choose_language:
        language = language_from_words(words)
        if language:
            await on_pending_choice(turn, Payload("lang", language))
            return True
    respondent.pending_action = None  # anything else: forget the question and treat it as an answer
    turn.save(respondent)
    return False


async def erase(turn: Turn) -> None:
    counts = await turn.erase_respondent()
    log.info(
        "erasure by respondent %s: %d answers, %d conversations", turn.key[:10], counts.answers, counts.conversations
    )
    turn.conversation = None
    turn.say_key("delete.done")
