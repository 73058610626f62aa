"""The commands as a table: each command names its one handler; they work at any step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from surveys.commands import Command
from surveys.engine import flow, pending
from surveys.engine.flow import Pending
from surveys.engine.turn import Turn
from surveys.engine.words import date_text
from surveys.i18n import catalogue, t
from surveys.messages import Button
from surveys.models import ConversationStatus
from surveys.rights import respondent_data

CommandHandler = Callable[[Turn, str | None], Awaitable[None]]


async def start(turn: Turn, argument: str | None) -> None:
    await flow.start(turn, argument or turn.incoming.campaign_code)


async def show_help(turn: Turn, argument: str | None) -> None:
    turn.say_key("help.text")
    conversation = await turn.load_conversation()
    if conversation is not None and conversation.status == ConversationStatus.active.value:
        await turn.prompt()


async def cancel(turn: Turn, argument: str | None) -> None:
    await pending.cancel(turn)


async def change_language(turn: Turn, argument: str | None) -> None:
    await flow.ask_language_change(turn)


async def show_data(turn: Turn, argument: str | None) -> None:
    if turn.respondent is None:
        turn.say_key("mydata.none")
        return
    data = await respondent_data(await turn.orm_session(), turn.respondent)
    lang = turn.language
    lines = [t(lang, "mydata.header", reference=data.reference)]
    if data.language:
        lines.append(t(lang, "mydata.language", language=catalogue(data.language)["language_name"]))
    for conversation in data.conversations:
        status = t(lang, f"mydata.status_{conversation.status}")
        lines.append(t(lang, "mydata.conversation", campaign=conversation.campaign_name, status=status))
        if conversation.consent_at is not None:
            lines.append(
                t(lang, "mydata.consent", date=date_text(conversation.consent_at), version=conversation.consent_version)
            )
        for text, created in conversation.answers:
            lines.append(t(lang, "mydata.answer", text=text, date=date_text(created)))
        if conversation.campaign_name in data.notify_campaigns:
            lines.append(t(lang, "mydata.notify"))
    turn.say("\n".join(lines))


async def ask_delete(turn: Turn, argument: str | None) -> None:
    if turn.respondent is None:
        turn.say_key("delete.nothing")
        return
    turn.respondent.pending_action = Pending.confirm_delete
    turn.save(turn.respondent)
    lang = turn.language
    buttons: tuple[tuple[Button, ...], ...] = (
        (turn.button(t(lang, "delete.yes"), "del", "yes", respondent_level=True),),
        (turn.button(t(lang, "delete.no"), "del", "no", respondent_level=True),),
    )
    turn.say(t(lang, "delete.confirm"), buttons)


async def stop_notices(turn: Turn, argument: str | None) -> None:
    await flow.stop_notices(turn)


COMMANDS: dict[str, CommandHandler] = {
    Command.start.value: start,
    Command.help.value: show_help,
    Command.cancel.value: cancel,
    Command.language.value: change_language,
    Command.mydata.value: show_data,
    Command.stop.value: stop_notices,
    Command.delete.value: ask_delete,
}
