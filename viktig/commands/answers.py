"""`viktig answers import` (paper cards) and `viktig export` (answers with themes)."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import IO

from surveys.access_log import record_access
from surveys.action_export import (
    action_cells,
    action_header,
    action_rows,
    write_actions_csv,
    write_actions_jsonl,
)
from surveys.campaigns import accepts_answers, require_campaign
from surveys.exporter import DELIMITERS, FORMATS, collect_rows, write_csv, write_jsonl, write_xlsx
from surveys.import_batches import CHUNK_ROWS, run_import
from surveys.importer import AnswerImportError, import_targets, prepare_import, read_import_file
from surveys.staff_text import STAFF_LANGUAGES, staff_text
from viktig.cli import UserError
from viktig.context import AppContext

PROGRESS_SECONDS = 2.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    answers = subparsers.add_parser("answers", help="answers", description="Answers typed in from paper cards.")
    commands = answers.add_subparsers(dest="answers_command", metavar="ACTION")
    commands.required = True
    importer = commands.add_parser(
        "import",
        help="import transcribed paper cards (CSV with a 'text' column, or JSONL)",
        description="Import answers from paper cards. CSV: a header with a 'text' column (optional 'question' and "
        "'language'), comma or semicolon separated, UTF-8 (with or without BOM) or Windows-1252. JSONL: one "
        '{"text": ...} per line. Every row is checked first: if any is wrong, nothing is imported and each problem is '
        "listed. A valid file is stored 500 rows at a time with progress lines; if the import is stopped half-way, "
        "run the same command again and it stores only the rest.",
    )
    importer.add_argument("file", type=Path, metavar="FILE")
    importer.add_argument("--campaign", required=True, metavar="CODE")
    importer.set_defaults(handler=_import)

    export = subparsers.add_parser("export", help="export a campaign's answers", description="One row per answer.")
    export.add_argument("--campaign", required=True, metavar="CODE")
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="write here instead of standard output (required for xlsx)"
    )
    export.add_argument(
        "--delimiter",
        choices=tuple(DELIMITERS),
        default="semicolon",
        help="CSV field separator: semicolon (Norwegian Excel, the default) or comma",
    )
    export.add_argument(
        "--language", choices=STAFF_LANGUAGES, default="nb", help="column names and values in CSV and XLSX"
    )
    export.add_argument(
        "--actions",
        action="store_true",
        help="export the campaign's actions (tiltak, with those carried over from earlier campaigns) instead of "
        "its answers: one row per action",
    )
    export.set_defaults(handler=_export)


async def _import(args: argparse.Namespace, ctx: AppContext) -> int:
    """Validate the whole file, then store it in chunks with a progress line each few seconds (stderr)."""
    try:
        raw = read_import_file(args.file)
        async with ctx.sessions() as session, session.begin():
            campaign = await require_campaign(session, args.campaign)
            if accepts_answers(campaign) == "campaign.closed":
                raise UserError(
                    f"campaign {campaign.code} is closed, so nothing was imported; open it again "
                    f"(`viktig campaign open {campaign.code}`) if these answers belong to it"
                )
            targets = await import_targets(session, campaign)
        prepared = await prepare_import(targets, raw, filename=args.file.name)
        total = len(prepared.rows)
        print(f"{args.file}: all {total} rows are valid; storing them in chunks of {CHUNK_ROWS}", file=sys.stderr)
        printed = [time.monotonic()]

        def progress(stored: int, total: int) -> None:
            if stored >= total or time.monotonic() - printed[0] >= PROGRESS_SECONDS:
                print(f"stored {stored} of {total} rows", file=sys.stderr, flush=True)
                printed[0] = time.monotonic()

        record, earlier = await run_import(
            ctx.sessions, prepared, actor=f"cli:{getpass.getuser()}", on_progress=progress
        )
    except AnswerImportError as error:
        reasons = "\n".join(f"  - {problem}" for problem in error.problems)
        raise UserError(f"nothing was imported from {args.file}:\n{reasons}") from error
    resumed = f"; {earlier} of them were stored by an earlier run that stopped" if earlier else ""
    print(
        f"imported {total - earlier} answers from {args.file} ({prepared.format}, {prepared.encoding}) into "
        f"{campaign.code} (import {record.id}, {record.stored_rows} rows{resumed})"
    )
    return 0


async def _export(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.format == "xlsx" and args.out is None:
        raise UserError("--format xlsx needs --out FILE.xlsx")
    async with ctx.sessions() as session, session.begin():
        campaign = await require_campaign(session, args.campaign)
        rows = [] if args.actions else await collect_rows(session, campaign)
        actions = await action_rows(session, campaign, args.language)
        await record_access(
            session,
            actor=f"cli:{getpass.getuser()}",
            action="export",
            campaign_id=campaign.id,
            detail=f"actions, {len(actions)} rows" if args.actions else f"{args.format}, {len(rows)} rows",
        )
    sheet = (staff_text("export", args.language, "actions_sheet"), action_header(args.language), action_cells(actions))
    if args.format == "xlsx" and args.actions:
        write_xlsx([], args.out, language=args.language, extra_sheets=[sheet])
        count = len(actions)
    elif args.format == "xlsx":
        count = write_xlsx(rows, args.out, language=args.language, extra_sheets=[sheet])
    else:

        def writer(out: IO[str]) -> int:
            delimiter = DELIMITERS[args.delimiter]
            if args.actions:
                if args.format == "jsonl":
                    return write_actions_jsonl(actions, out)
                return write_actions_csv(actions, out, delimiter=delimiter, language=args.language)
            if args.format == "jsonl":
                return write_jsonl(rows, out)
            return write_csv(rows, out, delimiter=delimiter, language=args.language)

        if args.out is None:
            count = writer(sys.stdout)
        else:
            with args.out.open("w", encoding="utf-8", newline="") as handle:
                count = writer(handle)
    if args.out is not None:
        print(f"wrote {count} {'actions' if args.actions else 'answers'} to {args.out}", file=sys.stderr)
    return 0
