"""The actions ("tiltak") a campaign shows, as export rows: one row per action, in JSONL, CSV or an XLSX sheet.

The answers export (surveys.exporter) is one row per answer; actions are another kind of row, so they get their
own file (`viktig export --actions`, the themes page's CSV link) and their own sheet in the answers' XLSX. The same
conventions: JSONL with keys and codes and UTC, CSV and XLSX in the reader's language, formulas defused.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.actions import campaign_actions
from surveys.exporter import LOCAL, defuse
from surveys.models import Campaign, as_utc
from surveys.staff_text import staff_text

ACTION_FIELDS = (
    "action_id",
    "theme_key",
    "theme_label",
    "what",
    "responsible",
    "due_on",
    "status",
    "reason",
    "decided_in",
    "updated_at",
)
ACTION_SHEET_FIELDS = (
    "action_id",
    "theme_label",
    "what",
    "responsible",
    "due_on",
    "status_name",
    "reason",
    "decided_in_name",
    "updated_local",
)


async def action_rows(session: AsyncSession, campaign: Campaign, language: str = "nb") -> list[dict[str, Any]]:
    """The campaign's own actions and those carried over from the unit's earlier campaigns."""
    rows = []
    for shown in await campaign_actions(session, campaign):
        action = shown.action
        updated = as_utc(action.updated_at)
        rows.append(
            {
                "action_id": action.id,
                "theme_key": action.theme_key,
                "theme_label": action.theme_label,
                "what": action.what,
                "responsible": action.responsible,
                "due_on": action.due_on,
                "status": action.status,
                "status_name": staff_text("export", language, f"action_status.{action.status}"),
                "reason": action.reason,
                "decided_in": shown.origin.code,
                "decided_in_name": shown.origin.name,
                "updated_at": updated.isoformat(),
                "updated_local": updated.astimezone(LOCAL).replace(tzinfo=None, microsecond=0),
            }
        )
    return rows


def action_header(language: str) -> list[str]:
    return [staff_text("export", language, f"action_column.{name}") for name in ACTION_SHEET_FIELDS]


def action_cells(rows: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """Rows as spreadsheet cells (dates stay dates for XLSX)."""
    return [[row[key] for key in ACTION_SHEET_FIELDS] for row in rows]


def write_actions_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        record = {key: row[key] for key in ACTION_FIELDS}
        record["due_on"] = row["due_on"].isoformat() if row["due_on"] else None
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_actions_csv(
    rows: Iterable[dict[str, Any]], out: IO[str], *, delimiter: str = ";", language: str = "nb"
) -> int:
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(action_header(language))
    count = 0
    for cells in action_cells(rows):
        writer.writerow(["" if value is None else _text(value) for value in cells])
        count += 1
    return count


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return defuse(value)
