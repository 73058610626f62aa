"""The roll-up of an area campaign: its units side by side, units × themes, a share in every cell (a heat map).

Each unit's cells come from that unit's own themes page (surveys.theme_overview), so small-number protection is the
unit's own: a cell resting on fewer people than the unit's "minste gruppe" is shown to managers as "færre enn N",
with no share and no colour, and a unit's respondent count below its threshold is withheld the same way. Themes are
matched across units as the comparison matches them (taxonomy key, else label). There is deliberately no total row
or column: a total minus the visible cells would give a hidden cell away.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.area_campaigns import members_of
from surveys.ids import pk
from surveys.models import AreaCampaign, Campaign, Unit
from surveys.theme_overview import ShownTheme, theme_overview
from surveys.themes import theme_identity

HEAT_STEPS = (0.05, 0.10, 0.20, 0.30, 0.40)  # share thresholds of heat levels 1..5 (0: under 5 %)


@dataclass(frozen=True)
class Cell:
    people: int
    share: float
    hidden: bool  # fewer people than the unit's minste gruppe: managers see "færre enn N" and nothing else
    min_group: int
    present: bool  # the unit has this theme at all (False: 0 %)

    @property
    def level(self) -> int:
        """Heat level 0..5 for the cell's colour; hidden cells get none (the colour would tell the share)."""
        return sum(self.share >= step for step in HEAT_STEPS)


@dataclass(frozen=True)
class Column:
    identity: str
    label: str


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    campaign: Campaign
    respondents: int
    respondents_hidden: bool
    min_group: int
    analysed: bool  # the unit's campaign has themes
    cells: list[Cell]
    themes: list[ShownTheme]  # the unit's own theme cards, protected, for the per-unit part of the report


@dataclass(frozen=True)
class Rollup:
    area_campaign: AreaCampaign
    columns: list[Column]
    rows: list[UnitRow]
    reveal: bool

    @property
    def hidden_cells(self) -> int:
        return sum(cell.hidden for row in self.rows for cell in row.cells)


async def rollup(session: AsyncSession, area_campaign: AreaCampaign, *, reveal: bool) -> Rollup:
    """`reveal` for admins, as on the themes page: every number is there and `hidden` says what managers do not see."""
    per_unit: list[tuple[Unit, Campaign, list[ShownTheme], int, int]] = []
    labels: dict[str, str] = {}
    for unit, campaign in await members_of(session, pk(area_campaign)):
        overview = await theme_overview(session, campaign, reveal=reveal)
        for item in overview.themes:
            labels.setdefault(theme_identity(item.card.theme), item.card.theme.label)
        protection = overview.protection
        per_unit.append((unit, campaign, overview.themes, protection.respondents, protection.min_group))
    # Columns by the sum of the shares readers may see (hidden cells do not steer the order), "other" last.
    weight: dict[str, float] = dict.fromkeys(labels, 0.0)
    other: set[str] = set()
    for _, _, themes, _, _ in per_unit:
        for item in themes:
            identity = theme_identity(item.card.theme)
            if item.card.theme.is_other:
                other.add(identity)
            if reveal or not item.hidden:
                weight[identity] += item.card.theme.share
    order = sorted(labels, key=lambda key: (key in other, -weight[key], labels[key].lower()))
    columns = [Column(key, labels[key]) for key in order]
    rows = []
    for unit, campaign, themes, respondents, min_group in per_unit:
        by_identity = {theme_identity(item.card.theme): item for item in themes}
        cells = []
        for column in columns:
            found = by_identity.get(column.identity)
            if found is None:
                cells.append(Cell(0, 0.0, False, min_group, False))
            else:
                cells.append(Cell(found.people, found.card.theme.share, found.hidden, min_group, True))
        rows.append(
            UnitRow(unit, campaign, respondents, 0 < respondents < min_group, min_group, bool(themes), cells, themes)
        )
    return Rollup(area_campaign, columns, rows, reveal)
