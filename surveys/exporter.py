"""Exporting answers (one row per answer, with its theme once analysis has run) as JSONL, CSV or XLSX."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Answer, AnswerTheme, Campaign, Question, Theme, Unit, as_utc

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
)
FORMATS = ("jsonl", "csv", "xlsx")


async def export_rows(session: AsyncSession, campaign: Campaign, *, batch: int = 5000) -> AsyncIterator[dict[str, Any]]:
    """Rows in answer order; a theme merged into another reports the theme it was merged into."""
    unit = await session.get(Unit, campaign.unit_id)
    target = aliased(Theme)
    query = (
        select(Answer, Question.key, Theme, target)
        .join(Question, col(Question.id) == Answer.question_id)
        .outerjoin(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id)
        .outerjoin(Theme, col(Theme.id) == AnswerTheme.theme_id)
        .outerjoin(target, col(target.id) == Theme.merged_into_id)
        .where(Answer.campaign_id == campaign.id)
        .order_by(col(Answer.id))
    )
    result = await session.stream(query.execution_options(yield_per=batch))
    async for answer, question_key, theme, merged_into in result:
        final = merged_into or theme
        yield {
            "answer_id": answer.id,
            "campaign": campaign.code,
            "unit": unit.name if unit else "",
            "question": question_key,
            "text": answer.text,
            "language": answer.language,
            "source": answer.source,
            "created_at": as_utc(answer.created_at).isoformat(),
            "theme_id": final.id if final else None,
            "theme_label": final.label if final else None,
        }


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """UTF-8 with a BOM so Excel shows æøå; fields with line breaks are quoted and survive a round-trip."""
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
        count += 1
    return count


def write_xlsx(rows: Iterable[dict[str, Any]], path_or_buffer: Path | io.BytesIO) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("answers")
    sheet.append(list(EXPORT_FIELDS))
    count = 0
    for row in rows:
        cells = []
        for key in EXPORT_FIELDS:
            value = row[key]
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, even if an answer starts with "="
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(path_or_buffer)
    return count


async def collect_rows(session: AsyncSession, campaign: Campaign) -> list[dict[str, Any]]:
    return [row async for row in export_rows(session, campaign)]
