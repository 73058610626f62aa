"""`viktig`: the command line, and the composition root that wires settings, database, bot, web and jobs.

Each module in viktig/commands/ adds its subcommands through `register(subparsers)`; a handler is
`async def handler(args, ctx) -> int`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from surveys.errors import ViktigError
from surveys.settings import Settings, SettingsError
from viktig.commands import COMMANDS

if TYPE_CHECKING:
    from viktig.context import AppContext


class UserError(Exception):
    """A problem the person running the command can fix; printed without a traceback."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or (for a known `command`) with that command's module alone: each module
    imports what its commands need, and `viktig campaign list` need not load the web server or scikit-learn."""
    parser = argparse.ArgumentParser(
        prog="viktig",
        description='Viktig: ask "Hva er viktig for deg?", keep the answers safe, and turn them into themes.',
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    modules = [COMMANDS[command]] if command in COMMANDS else sorted(set(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"viktig.commands.{name}").register(subparsers)
    return parser


def command_in(argv: Sequence[str]) -> str | None:
    """The command word of a command line (the top-level parser has no options but --help)."""
    return argv[0] if argv and not argv[0].startswith("-") else None


def configure_logging(settings: Settings) -> None:
    from viktig.logging_setup import setup_logging

    setup_logging(settings)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_in(argv))
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"viktig: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    run = handler(args, settings) if getattr(args, "no_context", False) else _run(handler, args, settings)
    try:
        return int(asyncio.run(run) or 0)
    except (UserError, ViktigError) as error:  # the one place a command's problem becomes a message
        print(f"viktig: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


Handler = Callable[[argparse.Namespace, "AppContext"], Awaitable[int | None]]


async def _run(handler: Handler, args: argparse.Namespace, settings: Settings) -> int | None:
    from viktig.context import AppContext

    ensure_schema_is_current(settings)
    ctx = AppContext.create(settings)
    try:
        await ensure_secret_key_matches(ctx)
        return await handler(args, ctx)
    finally:
        await ctx.close()


def ensure_schema_is_current(settings: Settings) -> None:
    """Refuse to work on a database whose schema is missing or old, with the command that fixes it."""
    from viktig import migrate

    try:
        current = migrate.current_revision(settings.database_url)
    except Exception as error:
        raise UserError(f"cannot open the database at DATABASE_URL ({type(error).__name__}: {error})") from error
    head = migrate.head_revision()
    if current != head:
        where = "has no schema yet" if current is None else f"is at schema {current}, not {head}"
        raise UserError(f"the database {where}: run `viktig db upgrade` first")


async def ensure_secret_key_matches(ctx: AppContext) -> None:
    """Refuse to work with a VIKTIG_SECRET_KEY other than the one the database was set up with."""
    from surveys.key_fingerprint import SecretKeyMismatch, verify_secret_key
    from surveys.storage_health import describe

    try:
        await verify_secret_key(ctx.sessions, ctx.settings.secret_key)
    except SecretKeyMismatch as error:
        raise UserError(str(error)) from error
    except Exception as error:  # e.g. a read-only file on the very first start
        raise UserError(f"cannot start: {describe(error, ctx.settings.database_url)}") from error


async def ensure_database_writable(ctx: AppContext) -> None:
    """Long-running commands refuse a database they cannot write to, naming the cause, instead of failing later."""
    from surveys.storage_health import StorageProblem, check_writable

    try:
        await check_writable(ctx.db, ctx.settings.database_url)
    except StorageProblem as problem:
        raise UserError(f"cannot start: {problem}") from problem


if __name__ == "__main__":
    sys.exit(main())
