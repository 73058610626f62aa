"""`viktig chat`: the survey in the terminal, to try it or to type answers on behalf of a person (source staff)."""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import TextIO

from surveys.campaigns import find_campaign
from surveys.i18n import t
from surveys.messages import Incoming, IncomingKind, OutgoingMessage
from surveys.models import AnswerSource, Channel
from surveys.public_page import page_address, page_of
from viktig.context import AppContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = subparsers.add_parser(
        "chat",
        help="answer a campaign in the terminal (staff typing on behalf of a person)",
        description="A terminal chat with the conversation engine. Answer buttons by typing their number. Each run is "
        "a new person and ends when the conversation does; answers are stored with source 'staff'. Type /hjelp "
        "for commands, Ctrl-D to leave.",
    )
    chat.add_argument("--campaign", required=True, metavar="CODE")
    chat.add_argument("--language", choices=["nb", "nn", "sv", "en"], help="the person's language (asked if not given)")
    chat.set_defaults(handler=_chat)


def render(message: OutgoingMessage, out: TextIO = sys.stdout) -> list[str]:
    """Print a message and its buttons as numbered choices; returns the payloads by number."""
    print(message.text, file=out)
    payloads = []
    for number, button in enumerate(message.flat_buttons, start=1):
        print(f"  [{number}] {button.label}", file=out)
        payloads.append(button.payload)
    print(file=out)
    return payloads


async def _public_line_text(ctx: AppContext, code: str, language: str) -> str:
    """The web chat's last line of thanks: where the public page "Dette sa dere – dette gjør vi" will be."""
    async with ctx.sessions() as session, session.begin():
        campaign = await find_campaign(session, code)
        assert campaign is not None  # the conversation just ended in it
        token = (await page_of(session, campaign)).token
    return t(language, "done.public_page", address=page_address(ctx.settings.web_base_url, token))


async def _chat(args: argparse.Namespace, ctx: AppContext) -> int:
    person = f"terminal-{uuid.uuid4()}"
    engine = ctx.conversations

    finished = False
    step: str | None = None

    async def send(incoming: Incoming) -> list[str]:
        nonlocal finished, step
        reply = await engine.handle(incoming)
        finished, step = reply.finished, reply.step
        if reply.notice:
            print(f"({reply.notice})\n")
        payloads: list[str] = []
        for message in reply.messages:
            payloads = render(message)  # only the last message's buttons can be chosen by number
        if finished and step == "done":  # completed, not declined: staff can tell the person where to look later
            print(await _public_line_text(ctx, args.campaign, reply.language), end="\n\n")
        return payloads

    base = dict(
        channel=Channel.terminal,
        user_ref=person,
        campaign_code=args.campaign,
        source=AnswerSource.staff,
        language_hint=args.language,
    )
    payloads = await send(Incoming(kind=IncomingKind.command, command="start", argument=args.campaign, **base))
    if step is None:  # the campaign refused (unknown code, closed, not open, staff entry not offered)
        return 1
    while not finished:
        try:
            # One person at a terminal and nothing else on the loop; in a thread, Ctrl-C would hang on the join.
            line = input("> ")  # noqa: ASYNC250
        except EOFError:
            print()
            return 0
        stripped = line.strip()
        if stripped.isdigit() and payloads and 1 <= int(stripped) <= len(payloads):
            incoming = Incoming(kind=IncomingKind.choice, payload=payloads[int(stripped) - 1], **base)
        else:
            incoming = Incoming(kind=IncomingKind.text, text=line, **base)
        payloads = await send(incoming)
    print("(the conversation is over; run `viktig chat` again for the next person)")
    return 0
