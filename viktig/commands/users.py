"""`viktig user add EMAIL --role admin|area_manager|manager|staff --unit UNIT|--area AREA`: dashboard accounts.

The password is read from stdin when it is piped, otherwise generated and printed once (only its argon2id hash is
stored).
"""

from __future__ import annotations

import argparse
import sys

from surveys.areas import find_area
from surveys.campaigns import find_unit
from viktig.cli import UserError
from viktig.context import AppContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", help="dashboard users", description="Staff accounts for the web dashboard.")
    commands = user.add_subparsers(dest="user_command", metavar="ACTION")
    commands.required = True
    add = commands.add_parser(
        "add",
        help="add a user (or --reset the password of an existing one)",
        description="Add a dashboard user. Pipe a password on stdin, or get a generated one printed once.",
    )
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--role", required=True, choices=("admin", "area_manager", "manager", "staff"))
    add.add_argument("--unit", help="unit name or id (required for manager and staff)")
    add.add_argument("--area", help="area name or id (required for area_manager: sees every unit under the area)")
    add.add_argument("--reset", action="store_true", help="the user exists: set a new password, role and unit")
    add.set_defaults(handler=_add)


def _password_from_stdin() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    text = sys.stdin.readline().rstrip("\r\n")
    return text or None


async def _add(args: argparse.Namespace, ctx: AppContext) -> int:
    from web.accounts import save_user
    from web.passwords import generate_password, password_problem

    piped = _password_from_stdin()
    problem = password_problem(piped) if piped is not None else None
    if problem == "password.too_short":
        raise UserError("the password from stdin is too short (at least 12 characters)")
    if problem == "password.common":
        raise UserError("the password from stdin is too common (it is in lists of leaked passwords); choose another")
    password = piped or generate_password()
    async with ctx.sessions() as session, session.begin():
        unit = await find_unit(session, args.unit) if args.unit else None
        area = await find_area(session, args.area) if args.area else None
        user, created = await save_user(
            session, email=args.email, role=args.role, unit=unit, area=area, password=password, reset=args.reset
        )
    where = area.name if area and user.area_id else unit.name if unit and user.unit_id else ""
    print(f"{'added' if created else 'updated'} {user.email} ({user.role}{', ' + where if where else ''})")
    if piped is None:
        print(f"password (shown only now): {password}")
    return 0
