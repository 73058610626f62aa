"""Exporting answers (one row per answer, with its theme once analysis has run) as JSONL, CSV or XLSX.

JSONL is for programs: keys and codes, UTC times. CSV and XLSX are for people in Norwegian Excel: column names,
question texts, campaign names and language names in the reader's language, local time (Europe/Oslo); CSV with
`;` and a UTF-8 BOM by default (Excel then opens it in columns), `,` on request; XLSX with real dates, column
widths, a filter and a frozen header. A CSV cell that starts with =, +, -, @, a tab or a carriage return gets a
leading apostrophe, so a spreadsheet never runs an answer as a formula (XLSX cells are always plain text).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.answer_filter import AnswerFilter
from surveys.completion import completion_state
from surveys.i18n import pick
from surveys.models import Answer, AnswerTheme, Campaign, Conversation, Question, Theme, Unit, as_utc, utcnow
from surveys.staff_text import staff_text

EXPORT_FIELDS = (
    "answer_id",
    "campaign",
    "unit",
    "question",
    "text",
    "language",
    "source",
    "created_at",
    "theme_id",
    "theme_label",
    "status",
    "theme_confidence",
)
# What a spreadsheet shows, in this order; the header is looked up in the export catalogue.
SHEET_FIELDS = (
    "answer_id",
    "campaign_name",
    "unit",
    "question_text",
    "text",
    "language_name",
    "source_name",
    "status_name",
    "created_local",
    "theme_id",
    "theme_label",
    "confidence_percent",
)
FORMATS = ("jsonl", "csv", "xlsx")
DELIMITERS = {"semicolon": ";", "comma": ","}
LOCAL = ZoneInfo("Europe/Oslo")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD.MM.YYYY HH:MM"
MAX_WIDTH = 60


@dataclass(frozen=True)
class ExportOptions:
    """What to export and for whom: the answers page's filter, the reader's language, themes to withhold."""

    filters: AnswerFilter = field(default_factory=AnswerFilter)
    language: str = "nb"
    hidden_themes: frozenset[int] = frozenset()  # small-number protection: shown as "færre enn N"
    hidden_label: str = ""


async def export_rows(
    session: AsyncSession, campaign: Campaign, *, batch: int = 5000, options: ExportOptions | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Rows in answer order; a theme merged into another reports the theme it was merged into."""
    options = options or ExportOptions()
    lang = options.language
    unit = await session.get(Unit, campaign.unit_id)
    target = aliased(Theme)
    assert campaign.id is not None
    now = utcnow()
    query = (
        sa.select(Answer, Question, Theme, target, Conversation, AnswerTheme)  # SQLModel's select() takes four
        .join(Question, col(Question.id) == Answer.question_id)
        .outerjoin(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id)
        .outerjoin(Theme, col(Theme.id) == AnswerTheme.theme_id)
        .outerjoin(target, col(target.id) == Theme.merged_into_id)
        .outerjoin(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(*options.filters.conditions(campaign.id, now))
        .order_by(col(Answer.id))
    )
    result = await session.stream(query.execution_options(yield_per=batch))
    async for answer, question, theme, merged_into, conversation, placement in result:
        final = merged_into or theme
        hidden = final is not None and final.id in options.hidden_themes
        confidence = None if final is None or hidden else placement_confidence(placement)
        created = as_utc(answer.created_at)
        status = completion_state(conversation, now).value
        yield {
            "answer_id": answer.id,
            "campaign": campaign.code,
            "campaign_name": campaign.name,
            "unit": unit.name if unit else "",
            "question": question.key,
            "question_text": pick((question.texts or {}).get("prompt") or {}, lang) or question.key,
            "text": answer.text,
            "language": answer.language,
            "language_name": staff_text("export", lang, f"language.{answer.language}"),
            "source": answer.source,
            "source_name": staff_text("export", lang, f"source.{answer.source}"),
            "status": status,
            "status_name": staff_text("export", lang, f"status.{status}"),
            "created_at": created.isoformat(),
            "created_local": created.astimezone(LOCAL).replace(tzinfo=None, microsecond=0),
            "theme_id": None if final is None or hidden else final.id,
            "theme_label": (options.hidden_label if hidden else final.label) if final else None,
            "theme_confidence": confidence,
            "confidence_percent": None if confidence is None else round(confidence * 100),
        }


def placement_confidence(placement: AnswerTheme | None) -> float | None:
    """0-1: the analysis' confidence in the answer's theme; 1 when a manager moved or confirmed it."""
    if placement is None:
        return None
    if placement.manual:
        return 1.0
    return None if placement.score is None else round(float(placement.score), 2)


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({key: row[key] for key in EXPORT_FIELDS}, ensure_ascii=False) + "\n")
        count += 1
    return count


def defuse(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sheet_header(language: str) -> list[str]:
    return [staff_text("export", language, f"column.{name}") for name in SHEET_FIELDS]


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], *, delimiter: str = ";", language: str = "nb") -> int:
    """UTF-8 with a BOM so Excel shows æøå; fields with line breaks are quoted and survive a round-trip."""
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(sheet_header(language))
    count = 0
    for row in rows:
        cells = []
        for key in SHEET_FIELDS:
            value = row[key]
            if isinstance(value, datetime):
                value = value.strftime("%d.%m.%Y %H:%M")
            cells.append("" if value is None else defuse(value))
        writer.writerow(cells)
        count += 1
    return count


def _widths(rows: list[dict[str, Any]], header: list[str]) -> list[int]:
    widths = [len(name) + 2 for name in header]
    for row in rows[:2000]:
        for index, key in enumerate(SHEET_FIELDS):
            value = row[key]
            length = 16 if isinstance(value, datetime) else len(str(value or "").split("\n", 1)[0])
            widths[index] = max(widths[index], min(MAX_WIDTH, length + 2))
    return widths


# A further sheet of an XLSX export: its title, header and rows of cells (the actions, surveys.action_export).
Sheet = tuple[str, list[str], list[list[Any]]]


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    path_or_buffer: Path | io.BytesIO,
    *,
    language: str = "nb",
    extra_sheets: Iterable[Sheet] = (),
) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    rows = list(rows)
    header = sheet_header(language)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(staff_text("export", language, "sheet"))
    for index, width in enumerate(_widths(rows, header), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    sheet.append(_header_cells(sheet, header))
    for row in rows:
        sheet.append([_typed_cell(sheet, row[key]) for key in SHEET_FIELDS])
    for title, names, table in extra_sheets:
        extra = workbook.create_sheet(title)
        extra.freeze_panes = "A2"
        for index, name in enumerate(names, start=1):
            extra.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(len(name) + 2, 14))
        extra.append(_header_cells(extra, names))
        for values in table:
            extra.append([_typed_cell(extra, value) for value in values])
    workbook.save(path_or_buffer)
    return len(rows)


def _header_cells(sheet: Any, names: Iterable[str]) -> list[Any]:
    """Bold header cells, the same on the answers sheet and every extra sheet."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _typed_cell(sheet: Any, value: Any) -> Any:
    """Text is always text (never a formula, even if an answer starts with "="); dates are real Excel dates."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, date):
        cell.number_format = "DD.MM.YYYY"
    return cell


async def collect_rows(
    session: AsyncSession, campaign: Campaign, options: ExportOptions | None = None
) -> list[dict[str, Any]]:
    return [row async for row in export_rows(session, campaign, options=options)]
