"""`viktig purge` (retention) and `viktig erase REFERENCE` (an erasure request carried out by staff)."""

from __future__ import annotations

import argparse
import getpass
import sys

from surveys.retention import PurgeReport, checkpoint_sqlite, run_purge
from surveys.rights import erase_by_reference, erasure_scope, find_by_reference
from viktig.cli import UserError
from viktig.context import AppContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = subparsers.add_parser(
        "purge",
        help="delete what the retention rules say is due (the worker does this daily)",
        description="Delete the answers, conversations, themes and pseudonyms of campaigns whose retention period "
        "(retention_months after closing) has run out, conversations without consent idle for over 7 days, and "
        "processed-update keys older than 7 days. The campaign rows and the access log stay. Prints counts per kind.",
    )
    purge.add_argument("--dry-run", action="store_true", help="only show what is due and what would be deleted")
    purge.set_defaults(handler=_purge)

    erase = subparsers.add_parser(
        "erase",
        help="carry out an erasure request given the respondent's reference (R-XXXX-XXXX)",
        description="Delete everything stored about the respondent with this reference (the one the chat showed "
        "them): answers, conversations, contact data and the pseudonym. The access log records that an erasure "
        "was carried out, with counts only.",
    )
    erase.add_argument("reference", metavar="REFERENCE", help="e.g. R-ABCD-EFGH")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(handler=_erase)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def format_report(report: PurgeReport) -> str:
    lines = []
    if report.due:
        lines.append("campaigns past their retention period:")
        for due in report.due:
            lines.append(
                f"  {due.code}  {due.name}  closed {due.closed_at.date().isoformat()}, "
                f"due {due.due_at.date().isoformat()}, {due.answers} answers"
            )
    else:
        lines.append("no campaign is past its retention period")
    lines.append("would delete:" if report.dry_run else "deleted:")
    width = max(len(name) for name in report.COUNT_FIELDS)
    lines.extend(f"  {name.ljust(width)}  {value}" for name, value in report.counts().items())
    return "\n".join(lines)


async def _purge(args: argparse.Namespace, ctx: AppContext) -> int:
    report = await run_purge(ctx.sessions, dry_run=args.dry_run, actor=_actor())
    print(format_report(report))
    return 0


async def _erase(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        respondent = await find_by_reference(session, args.reference)
        if respondent is None:
            raise UserError(
                f"no respondent has the reference {args.reference!r} (already erased, mistyped, or an "
                "anonymous campaign, whose answers cannot be linked to anyone)"
            )
        scope = await erasure_scope(session, respondent)
    print(
        f"{respondent.reference}: {scope.answers} answers, {scope.conversations} conversations, "
        f"{scope.contacts} contact addresses; campaigns: {', '.join(scope.campaign_codes) or 'none'}"
    )
    if not args.yes and not _confirmed():
        print("nothing was deleted")
        return 1
    async with ctx.sessions() as session:
        async with session.begin():
            counts = await erase_by_reference(session, args.reference, actor=_actor())
        if counts is None:
            raise UserError(f"the respondent {args.reference!r} was erased in the meantime")
        await checkpoint_sqlite(ctx.db)
    print(
        f"erased: {counts.answers} answers, {counts.conversations} conversations, {counts.contacts} contacts, "
        f"{counts.respondents} pseudonym; recorded in the access log"
    )
    return 0


def _confirmed() -> bool:
    try:
        answer = input("delete all of it now? this cannot be undone [y/N] ")
    except EOFError:
        print(file=sys.stderr)
        return False
    return answer.strip().lower() in ("y", "yes", "j", "ja")
