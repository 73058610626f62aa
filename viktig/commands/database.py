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
    accept = commands.add_parser(
        "accept-secret-key",
        help="make the current VIKTIG_SECRET_KEY this database's key (a deliberate rotation)",
        description="Record the fingerprint of the current VIKTIG_SECRET_KEY, so commands start with it. Pseudonyms "
        "and erasure references made with the old key stop matching: read 'Rotating VIKTIG_SECRET_KEY' in "
        "docs/deploy.md first.",
    )
    accept.add_argument("--yes", action="store_true", help="confirm that old pseudonyms and references stop matching")
    accept.set_defaults(handler=_accept_secret_key, no_context=True)
    add_copy_action(commands)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url, args.revision)
    print(f"database is at revision {migrate.current_revision(settings.database_url)}")
    return 0


async def _current(args: argparse.Namespace, settings: Settings) -> int:
    print(migrate.current_revision(settings.database_url) or "empty (run `viktig db upgrade`)")
    return 0


async def _accept_secret_key(args: argparse.Namespace, settings: Settings) -> int:
    from surveys.db import create_engine, session_factory
    from surveys.key_fingerprint import accept_secret_key
    from viktig.cli import UserError

    if not args.yes:
        raise UserError(
            "accept-secret-key needs --yes: returning people will not be recognised and erasure references made "
            "with the old key will not match (see 'Rotating VIKTIG_SECRET_KEY' in docs/deploy.md)"
        )
    engine = create_engine(settings.database_url)
    try:
        await accept_secret_key(session_factory(engine), settings.secret_key)
    finally:
        await engine.dispose()
    print("the current VIKTIG_SECRET_KEY is now this database's key")
    return 0
