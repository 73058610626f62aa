"""`viktig db ...`: schema migrations."""

from __future__ import annotations

import argparse

from surveys.settings import Settings
from viktig import migrate
from viktig.commands.dbcopy import add_copy_action


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="database schema", description="Database schema management (Alembic).")
    commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    commands.required = True
    upgrade = commands.add_parser("upgrade", help="apply every pending migration (safe to run at each release)")
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(handler=_upgrade, no_context=True)
    current = commands.add_parser("current", help="print the database's schema revision")
    current.set_defaults(handler=_current, no_context=True)
    add_copy_action(commands)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url, args.revision)
    print(f"database is at revision {migrate.current_revision(settings.database_url)}")
    return 0


async def _current(args: argparse.Namespace, settings: Settings) -> int:
    print(migrate.current_revision(settings.database_url) or "empty (run `viktig db upgrade`)")
    return 0
