"""Actions ("tiltak") in `viktig report` and `viktig export --actions`, through the real command line on a SQLite
file that production code migrated and filled (themes of known sizes, actions through surveys.actions)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveys.actions import add_action, read_action
from surveys.db import create_engine, session_factory
from surveys.ids import pk
from surveys.models import Campaign, Theme
from tests.analysis.test_cli_analysis import viktig
from tests.support.factories import make_campaign
from tests.web.theme_data import themes_in

UNIT = "Sykehjemmet"


async def _data(sqlite_url: str) -> tuple[str, str]:
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    try:
        spring = await make_campaign(sessions, "Våren", UNIT)
        before = await themes_in(sessions, pk(spring), {"selskap": 9, "mat": 7})
        autumn = await make_campaign(sessions, "Høsten", UNIT)
        now = await themes_in(sessions, pk(autumn), {"selskap": 4, "mat": 12})
        async with sessions() as session, session.begin():
            first = await session.get_one(Campaign, pk(spring))
            second = await session.get_one(Campaign, pk(autumn))
            theme = await session.get_one(Theme, before["selskap"])
            await add_action(
                session, first, theme, read_action("Kaffeprat hver onsdag", "Aktivitetsgruppa", "2026-03-04")
            )
            theme = await session.get_one(Theme, now["mat"])
            await add_action(session, second, theme, read_action("=Ny meny", status="dropped", reason="For dyrt"))
        return spring.code, autumn.code
    finally:
        await engine.dispose()


@pytest.mark.slow
def test_report_and_export_carry_the_actions(sqlite_url: str, tmp_path: Path) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    _, autumn = asyncio.run(_data(sqlite_url))
    db.replace(tmp_path / "cli.db")  # the file the command line opens (tests.analysis.test_cli_analysis.viktig)

    out = tmp_path / "rapport.html"
    viktig(tmp_path, "report", "--campaign", autumn, "--out", str(out))
    html = out.read_text(encoding="utf-8")
    # The comparison says which actions came before the change; each theme lists its own and carried-over ones.
    assert "<th>Etter tiltak</th>" in html
    assert "Kaffeprat hver onsdag (Planlagt)" in html
    assert "<strong>Forkastet</strong>: =Ny meny" in html and "Begrunnelse: For dyrt" in html
    assert "bestemt i «Våren»" in html and "Ansvarlig: Aktivitetsgruppa" in html and "Når: 04.03.2026" in html

    lines = viktig(tmp_path, "export", "--campaign", autumn, "--actions").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(row["what"], row["status"], row["decided_in"] != autumn) for row in rows] == [
        ("=Ny meny", "dropped", False),
        ("Kaffeprat hver onsdag", "planned", True),
    ]
    assert rows[1]["due_on"] == "2026-03-04" and rows[1]["theme_key"] == "selskap"

    text = viktig(tmp_path, "export", "--campaign", autumn, "--actions", "--format", "csv").stdout
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:3] == ["Tiltak-nr", "Tema", "Hva gjøres"]
    assert table[1][2] == "'=Ny meny" and table[1][5] == "Forkastet"  # a formula is defused

    book = tmp_path / "svar.xlsx"
    viktig(tmp_path, "export", "--campaign", autumn, "--format", "xlsx", "--out", str(book))
    workbook = load_workbook(book)
    assert workbook.sheetnames == ["Svar", "Tiltak"]
    sheet = [[cell.value for cell in row] for row in workbook["Tiltak"].iter_rows()]
    assert sheet[2][2] == "Kaffeprat hver onsdag" and sheet[2][7] == "Våren" and len(sheet) == 3
    assert len(list(workbook["Svar"].iter_rows())) == 17  # the answers are still there, header + 16
