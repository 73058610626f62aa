"""The 6 June kit from the command line (issue 16, "Done when"): an area with 5 units, the day's campaigns made by
one `viktig kit` command, paper cards imported into each unit by the real importer, and the roll-up's heat map in
the report: the cells' shares, and the small cells hidden per unit ("færre enn N"). Running the kit again makes no
new campaigns."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from surveys.actions import add_action, read_action
from surveys.area_campaigns import members_of
from surveys.areas import add_area, set_unit_area
from surveys.campaigns import add_unit
from surveys.db import create_engine, session_factory
from surveys.ids import pk
from surveys.models import AreaCampaign, Campaign, Theme, Unit
from surveys.rollup import rollup
from tests.conftest import TEST_SECRET
from tests.web.theme_data import themes_in
from viktig.migrate import upgrade

UNITS = {  # unit -> (minste gruppe, themes and how many people in each)
    "Hjemmetjenesten Øst": (5, {"selskap": 8, "familie": 6, "tur": 2}),
    "Hjemmetjenesten Vest": (5, {"familie": 10, "selskap": 3}),
    "Solsiden sykehjem": (3, {"tur": 3, "familie": 2, "selskap": 7}),
    "Dagsenteret": (5, {"familie": 5, "selskap": 4, "tur": 11}),
    "Rehabilitering": (5, {}),  # no answers yet
}


class Cells(HTMLParser):
    """The heat map's rows: unit -> list of (cell text, hidden)."""

    def __init__(self) -> None:
        super().__init__()
        self.header: list[str] = []
        self.rows: dict[str, list[tuple[str, bool]]] = {}
        self._row: str | None = None
        self._cell: list[str] | None = None
        self._hidden = False
        self._in_map = False
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table" and values.get("id") == "heatmap":
            self._in_map = True
        if not self._in_map:
            return
        if tag == "thead":
            self._head = True
        if tag == "tr" and values.get("data-unit"):
            self._row = values["data-unit"]
            self.rows[self._row or ""] = []
        if tag == "th" and self._head and values.get("data-theme"):
            self.header.append(values["data-theme"] or "")
        if tag == "td" and self._row and "cell" in (values.get("class") or ""):
            self._cell, self._hidden = [], values.get("data-hidden") == "1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._head = False
        if tag == "table":
            self._in_map = False
        if tag == "td" and self._cell is not None and self._row:
            self.rows[self._row].append((" ".join("".join(self._cell).split()), self._hidden))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture
def viktig(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'kit.db'}",
        VIKTIG_SECRET_KEY=TEST_SECRET,
        VIKTIG_PUBLIC_URL="https://viktig.kommune.no",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "viktig", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert result.returncode == 0, f"viktig {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return result

    return run


async def test_kit_for_five_units_imports_and_the_heat_map_hides_small_cells(viktig, tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'kit.db'}")  # as `viktig db upgrade` does; the kit itself runs as a command
    engine = create_engine(f"sqlite:///{tmp_path / 'kit.db'}")
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            top = await add_area(session, "Helse og omsorg")
            home = await add_area(session, "Hjemmetjenesten", top)  # two units one level deeper
            for name, (min_group, _) in UNITS.items():
                unit = await add_unit(session, name)
                unit.min_group = min_group
                await set_unit_area(session, unit, home if name.startswith("Hjemmetjenesten") else top)
            other = await add_area(session, "Oppvekst")
            await set_unit_area(session, await add_unit(session, "Skolehelsetjenesten"), other)

        made = json.loads(viktig("kit", "--area", "Helse og omsorg", "--date", "2027-06-06", "--json").stdout)
        assert (made["created"], made["existing"], made["day"]) == (5, 0, "2027-06-06")
        assert sorted(c["unit"] for c in made["campaigns"]) == sorted(UNITS)
        assert all(
            c["languages"] == ["nb", "nn", "sv", "en"] and "telegram" not in c["channels"] for c in made["campaigns"]
        )
        assert len({c["code"] for c in made["campaigns"]}) == 5
        assert all(c["web_link"] == f"https://viktig.kommune.no/s/{c['code']}" for c in made["campaigns"])
        kit_html = Path(made["kit"]).read_text(encoding="utf-8")  # noqa: ASYNC240 (a test reading its output)
        assert kit_html.count('class="sheet poster"') == 5 and "Slik gjør dere det" in kit_html
        assert all(c["code"] in kit_html for c in made["campaigns"]) and "<svg" in kit_html

        by_unit = {c["unit"]: c["id"] for c in made["campaigns"]}
        for name, (_, groups) in UNITS.items():
            if groups:
                await themes_in(sessions, by_unit[name], groups)  # imported with surveys.importer
        async with sessions() as session, session.begin():  # a manager's action on one theme goes in the report
            campaign = await session.get_one(Campaign, by_unit["Hjemmetjenesten Vest"])
            theme = (
                await session.exec(select(Theme).where(Theme.campaign_id == campaign.id, Theme.key == "familie"))
            ).one()
            await add_action(
                session,
                campaign,
                theme,
                read_action("Besøksvenn hver uke", "Frivilligsentralen", "2027-09-01", "in_progress"),
            )

        again = json.loads(viktig("kit", "--area", "Helse og omsorg", "--date", "2027-06-06", "--json").stdout)
        assert (again["created"], again["existing"]) == (0, 5)  # idempotent: no duplicates
        async with sessions() as session:
            assert int((await session.exec(select(func.count()).select_from(Campaign))).one()) == 5
            assert int((await session.exec(select(func.count()).select_from(AreaCampaign))).one()) == 1
            group = (await session.exec(select(AreaCampaign))).one()
            assert len(await members_of(session, pk(group))) == 5
            managers = await rollup(session, group, reveal=False)
            admins = await rollup(session, group, reveal=True)
            outside = (await session.exec(select(Unit.name).where(col(Unit.name) == "Skolehelsetjenesten"))).one()
    finally:
        await engine.dispose()

    # The roll-up itself: columns by visible share, one row per unit, per-unit thresholds.
    assert [column.identity for column in managers.columns] == ["familie", "selskap", "tur"]
    assert outside not in [row.unit.name for row in managers.rows]
    cells = {
        row.unit.name: {c.identity: cell for c, cell in zip(managers.columns, row.cells, strict=True)}
        for row in managers.rows
        if row.analysed
    }
    assert cells["Hjemmetjenesten Øst"]["tur"].hidden and cells["Hjemmetjenesten Øst"]["tur"].people == 2
    assert not cells["Solsiden sykehjem"]["tur"].hidden  # 3 people, and this unit's minste gruppe is 3
    assert cells["Solsiden sykehjem"]["familie"].hidden
    assert not cells["Dagsenteret"]["familie"].hidden  # exactly at the threshold (5) is shown
    assert not cells["Hjemmetjenesten Vest"]["tur"].present
    assert managers.hidden_cells == admins.hidden_cells == 4
    assert {row.unit.name: row.analysed for row in managers.rows}["Rehabilitering"] is False

    # The report a manager takes to the municipality: shares where allowed, "færre enn N" (no share) elsewhere.
    report = Path(again["report"]).read_text(encoding="utf-8")  # noqa: ASYNC240
    parsed = Cells()
    parsed.feed(report)
    assert parsed.header == ["familie", "selskap", "tur"]
    assert parsed.rows == {
        "Dagsenteret": [("25 %", False), ("færre enn 5", True), ("55 %", False)],
        "Hjemmetjenesten Vest": [("77 %", False), ("færre enn 5", True), ("0 %", False)],
        "Hjemmetjenesten Øst": [("38 %", False), ("50 %", False), ("færre enn 5", True)],
        "Rehabilitering": [],
        "Solsiden sykehjem": [("færre enn 3", True), ("58 %", False), ("25 %", False)],
    }
    for hidden_share in ("13 %", "23 %", "17 %", "20 %"):  # Øst tur, Vest selskap, Solsiden familie, Dagsenteret
        assert hidden_share not in report
    assert "Temaene er ikke laget ennå." in report and "Skolehelsetjenesten" not in report
    assert "Besøksvenn hver uke (I gang, Frivilligsentralen, 2027-09-01)" in report


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`viktig ...` through viktig.cli.main in this process (the same parser and handlers, without a Python start
    per command): returns the exit code, stdout and stderr."""
    from viktig.cli import main

    for name in [k for k in os.environ if k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'areas.db'}")
    monkeypatch.setenv("VIKTIG_SECRET_KEY", TEST_SECRET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # nothing piped: `user add` generates the password

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_area_commands_build_the_tree_and_refuse_a_cycle(in_process) -> None:
    upgrade(os.environ["DATABASE_URL"])
    for args in (
        ("area", "add", "Helse og omsorg"),
        ("area", "add", "Hjemmetjenesten", "--parent", "Helse og omsorg"),
        ("unit", "add", "Hjemmetjenesten Øst"),
    ):
        assert in_process(*args)[0] == 0, args
    assert in_process("area", "unit", "Hjemmetjenesten Øst", "--none") == (
        0,
        "Hjemmetjenesten Øst is now in no area\n",
        "",
    )
    placed = in_process("area", "unit", "Hjemmetjenesten Øst", "--area", "Hjemmetjenesten")
    assert placed == (0, "Hjemmetjenesten Øst is now in Hjemmetjenesten\n", "")
    moved = in_process("area", "move", "Hjemmetjenesten", "--parent", "Helse og omsorg")
    assert moved == (0, "Hjemmetjenesten now lies under Helse og omsorg\n", "")
    code, _, err = in_process("area", "move", "Helse og omsorg", "--parent", "Hjemmetjenesten")
    assert code == 1 and "cannot go under" in err
    code, out, _ = in_process("area", "list", "--json")
    assert [(row["path"], row["units"]) for row in json.loads(out)] == [
        (["Helse og omsorg"], ["Hjemmetjenesten Øst"]),
        (["Helse og omsorg", "Hjemmetjenesten"], ["Hjemmetjenesten Øst"]),
    ]
    code, out, _ = in_process("user", "add", "omrade@kommune.no", "--role", "area_manager", "--area", "Helse og omsorg")
    assert code == 0 and "area_manager, Helse og omsorg" in out
    code, _, err = in_process("user", "add", "leder2@kommune.no", "--role", "area_manager")
    assert code == 1 and "needs --area" in err
    code, out, _ = in_process("area", "campaign", "--area", "Hjemmetjenesten", "--name", "Våren", "--json")
    made = json.loads(out)
    assert (made["created"], [c["unit"] for c in made["campaigns"]]) == (1, ["Hjemmetjenesten Øst"])
