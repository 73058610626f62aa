"""`viktig survey ...`: importing custom survey definitions."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlmodel import col, select

from surveys.models import Survey
from surveys.survey_files import SurveyFileError, install_survey, load_survey_file
from viktig.cli import UserError
from viktig.context import AppContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    survey = subparsers.add_parser("survey", help="survey definitions", description="Survey definitions (TOML files).")
    commands = survey.add_subparsers(dest="survey_command", metavar="ACTION")
    commands.required = True
    importer = commands.add_parser("import", help="add a survey from a TOML file (see surveys/definitions/)")
    importer.add_argument("file", type=Path, metavar="FILE")
    importer.set_defaults(handler=_import)
    listing = commands.add_parser("list", help="list surveys")
    listing.set_defaults(handler=_list)


async def _import(args: argparse.Namespace, ctx: AppContext) -> int:
    try:
        definition = load_survey_file(args.file)
        async with ctx.sessions() as session, session.begin():
            survey = await install_survey(session, definition)
    except SurveyFileError as error:
        lines = "\n".join(f"  - {problem}" for problem in error.problems)
        raise UserError(f"{args.file} cannot be imported:\n{lines}") from error
    print(f"survey {survey.key!r} version {survey.version} with {len(definition.questions)} questions is ready")
    return 0


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        for survey in (await session.exec(select(Survey).order_by(col(Survey.key)))).all():
            print(f"{survey.key}\tversion {survey.version}\t{survey.texts.get('title', {}).get('nb', '')}")
    return 0
