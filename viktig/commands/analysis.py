"""`viktig analyse` (themes of a campaign) and `viktig report` (a self-contained HTML report for a manager)."""

from __future__ import annotations

# The analysis stack (scikit-learn, simplemma) is imported inside the handlers, so `viktig --help` and every
# other command start quickly.
import argparse
import getpass
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.access_log import record_access
from surveys.actions import ShownAction, unit_actions
from surveys.campaigns import require_campaign
from surveys.ids import pk
from surveys.models import Campaign, Theme, Unit
from surveys.small_numbers import small_numbers, theme_people
from surveys.themes import previous_campaign, theme_identity, visible_themes
from viktig.context import AppContext

if TYPE_CHECKING:
    from analysis.report import ReportAction
    from analysis.service import ThemeSummary

JSON_FIELDS = ("id", "label", "size", "share", "keywords", "quotes")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    analyse = subparsers.add_parser(
        "analyse",
        help="find the themes in a campaign's answers",
        description="Cluster the campaign's free-text answers into themes (guided by the taxonomy, "
        "VIKTIG_TAXONOMY_FILE), keep managers' renames, merges and moves, and print the themes.",
    )
    analyse.add_argument("--campaign", required=True, metavar="CODE")
    analyse.add_argument(
        "--json", action="store_true", help="print a JSON list: id, label, size, share, keywords, quotes"
    )
    analyse.add_argument(
        "--assign-new",
        action="store_true",
        help="give answers that arrived since the last run a theme among the existing ones, without a re-run",
    )
    analyse.set_defaults(handler=_analyse)
    report = subparsers.add_parser("report", help="write an HTML report of a campaign's themes")
    report.add_argument("--campaign", required=True, metavar="CODE")
    report.add_argument("--out", required=True, type=Path, metavar="FILE.html")
    report.set_defaults(handler=_report)


class ProgressBar:
    """A plain text bar on stderr; drawn only when stderr is a terminal or forced, so pipes stay clean."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream, self.width = stream, width

    def __call__(self, step: str, fraction: float) -> None:
        done = int(self.width * fraction)
        self.stream.write(f"\r[{'#' * done}{'.' * (self.width - done)}] {fraction:4.0%} {step:<10}")
        if fraction >= 1.0:
            self.stream.write("\n")
        self.stream.flush()


async def _analyse(args: argparse.Namespace, ctx: AppContext) -> int:
    from analysis.service import assign_new_answers, campaign_summary

    taxonomy = getattr(ctx.settings, "taxonomy_file", None)
    if args.assign_new:
        assigned = await assign_new_answers(ctx.sessions, args.campaign, taxonomy_path=taxonomy)
        print(f"assigned {answers(assigned, 'new answer')} to existing themes", file=sys.stderr)
        themes = await campaign_summary(ctx.sessions, args.campaign)
    else:
        themes = await _full_run(ctx, args.campaign, taxonomy)
    await _log_access(ctx, args.campaign, "view_themes", f"{len(themes)} themes")
    if args.json:
        print(json.dumps([_json_row(theme) for theme in themes], ensure_ascii=False, indent=2))
        return 0
    if not themes:
        print("no free-text answers to analyse yet")
    for theme in themes:
        print(f"[{theme.id}] {theme.label} — {answers(theme.size)} ({theme.share:.0%})")
        print(f"    keywords: {', '.join(theme.keywords)}")
        for text in theme.quote_texts:
            print(f"    “{text}”")
    return 0


def answers(count: int, noun: str = "answer") -> str:
    """ "1 answer", "2 answers": the command's English output counts right."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


async def _full_run(ctx: AppContext, code: str, taxonomy: str | None) -> list[ThemeSummary]:
    from analysis.service import analyse_campaign

    with ThreadPoolExecutor(max_workers=1) as executor:  # a CLI process blocks nobody; threads let progress through
        return await analyse_campaign(
            ctx.sessions, code, taxonomy_path=taxonomy, progress=ProgressBar(), executor=executor
        )


def _json_row(theme: ThemeSummary) -> dict[str, object]:
    row = asdict(theme)
    result = {field: row[field] for field in JSON_FIELDS}
    result["quotes"] = list(theme.quote_texts)
    return result


async def _log_access(ctx: AppContext, code: str, action: str, detail: str) -> None:
    async with ctx.sessions() as session, session.begin():
        campaign = await require_campaign(session, code)
        await record_access(
            session, actor=f"cli:{getpass.getuser()}", action=action, campaign_id=campaign.id, detail=detail
        )


async def _report(args: argparse.Namespace, ctx: AppContext) -> int:
    from analysis.report import ReportInput, render_report
    from analysis.service import analyse_campaign, campaign_summary, main_language

    themes = await campaign_summary(ctx.sessions, args.campaign)
    if not themes:
        themes = await analyse_campaign(
            ctx.sessions,
            args.campaign,
            taxonomy_path=getattr(ctx.settings, "taxonomy_file", None),
            executor=ThreadPoolExecutor(max_workers=1),
        )
    async with ctx.sessions() as session:
        campaign = await require_campaign(session, args.campaign)
        unit = await session.get(Unit, campaign.unit_id)
        previous = await previous_campaign(session, campaign)
        shares = None
        if previous is not None:
            rows = (
                await session.exec(
                    select(Theme).where(Theme.campaign_id == previous.id, col(Theme.merged_into_id).is_(None))
                )
            ).all()
            shares = {row.key: (row.label, row.share) for row in rows}
        protection = await small_numbers(session, campaign, reveal=False)
        people = await theme_people(session, pk(campaign))
        previous_people = None
        if previous is not None:
            counted = await theme_people(session, pk(previous))
            previous_people = {row.key: counted.get(pk(row), row.size) for row in rows}
        actions, previous_actions = await report_actions(session, campaign, previous, list(rows) if previous else [])
    html = render_report(
        ReportInput(
            campaign.name,
            unit.name if unit else "",
            main_language(campaign),
            themes,
            previous.name if previous else None,
            shares,
            min_group=protection.min_group,
            people=people,
            previous_people=previous_people,
            respondents=protection.respondents,
            actions=actions,
            previous_actions=previous_actions,
        )
    )
    args.out.write_text(html, encoding="utf-8")
    await _log_access(ctx, args.campaign, "report", f"{len(themes)} themes")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


async def report_actions(
    session: AsyncSession, campaign: Campaign, previous: Campaign | None, previous_themes: list[Theme]
) -> tuple[dict[int, list[ReportAction]], dict[str, list[ReportAction]] | None]:
    """Per current theme its actions (own and carried over); per previous theme key those decided by then."""
    from analysis.report import ReportAction

    def line(shown: ShownAction) -> ReportAction:
        action = shown.action
        return ReportAction(
            action.theme_label,
            action.what,
            action.status,
            action.responsible,
            action.due_on.strftime("%d.%m.%Y") if action.due_on else "",
            action.reason,
            shown.origin.name if shown.carried else "",
        )

    shown = await unit_actions(session, campaign)
    current = {
        pk(theme): [line(s) for s in shown.get(theme_identity(theme), [])]
        for theme in await visible_themes(session, pk(campaign))
    }
    if previous is None:
        return current, None
    after = await unit_actions(session, campaign, up_to=previous.id)
    return current, {theme.key: [line(s) for s in after.get(theme_identity(theme), [])] for theme in previous_themes}
