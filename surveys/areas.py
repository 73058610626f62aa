"""Areas: the tree of the municipality's parts that units belong to ("Helse og omsorg" -> "Hjemmetjenesten Øst").

A tree of any depth through `Area.parent_id`; a move that would put an area under itself (a cycle) is refused, so
walking up always ends. The tree is small (tens of areas), so it is read whole and walked in Python: the same code
on SQLite and PostgreSQL, and one query per question. Functions take a session and do not commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.errors import ViktigError
from surveys.ids import pk
from surveys.models import Area, AreaCampaign, StaffUser, Unit

NAME_LENGTH = 120


class AreaError(ViktigError):
    """An area request staff can correct (empty or taken name, unknown area, a move that makes a cycle)."""


@dataclass(frozen=True)
class AreaNode:
    """An area in tree order, with its depth (0 for a top area) and its path of names from the top."""

    area: Area
    depth: int
    path: tuple[str, ...]

    @property
    def label(self) -> str:
        return " › ".join(self.path)


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise AreaError("area.need_name")
    return name[:NAME_LENGTH]


async def all_areas(session: AsyncSession) -> list[Area]:
    return list((await session.exec(select(Area).order_by(col(Area.name)))).all())


async def get_area_by_name(session: AsyncSession, name: str) -> Area | None:
    return (await session.exec(select(Area).where(Area.name == " ".join(name.split())))).first()


async def find_area(session: AsyncSession, name_or_id: str) -> Area:
    area = await get_area_by_name(session, name_or_id)
    if area is None and name_or_id.strip().isdigit():
        area = await session.get(Area, int(name_or_id))
    if area is None:
        raise AreaError("area.unknown", name=name_or_id)
    return area


async def add_area(session: AsyncSession, name: str, parent: Area | None = None) -> Area:
    name = _clean(name)
    if await get_area_by_name(session, name) is not None:
        raise AreaError("area.exists", name=name)
    area = Area(name=name, parent_id=parent.id if parent else None)
    session.add(area)
    await session.flush()
    return area


async def rename_area(session: AsyncSession, area: Area, name: str) -> Area:
    name = _clean(name)
    other = await get_area_by_name(session, name)
    if other is not None and other.id != area.id:
        raise AreaError("area.exists", name=name)
    area.name = name
    session.add(area)
    await session.flush()
    return area


def descendants(areas: list[Area], root_id: int) -> set[int]:
    """The ids of the area and every area under it, however deep."""
    children: dict[int | None, list[int]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(pk(area))
    found, queue = set(), [root_id]
    while queue:
        current = queue.pop()
        if current not in found:
            found.add(current)
            queue.extend(children.get(current, []))
    return found


async def move_area(session: AsyncSession, area: Area, parent: Area | None) -> Area:
    """Put `area` under `parent` (None: a top area). Refused when `parent` is the area itself or under it."""
    if parent is not None and pk(parent) in descendants(await all_areas(session), pk(area)):
        raise AreaError("area.cycle", name=area.name, parent=parent.name)
    area.parent_id = parent.id if parent else None
    session.add(area)
    await session.flush()
    return area


async def delete_area(session: AsyncSession, area: Area) -> None:
    """Only an empty area goes: no areas, units, leaders or area campaigns under it."""
    has_child = (await session.exec(select(Area.id).where(Area.parent_id == area.id).limit(1))).first()
    has_unit = (await session.exec(select(Unit.id).where(Unit.area_id == area.id).limit(1))).first()
    has_user = (await session.exec(select(StaffUser.id).where(StaffUser.area_id == area.id).limit(1))).first()
    has_campaign = (await session.exec(select(AreaCampaign.id).where(AreaCampaign.area_id == area.id))).first()
    if any(found is not None for found in (has_child, has_unit, has_user, has_campaign)):
        raise AreaError("area.not_empty", name=area.name)
    await session.delete(area)
    await session.flush()


def tree(areas: list[Area]) -> list[AreaNode]:
    """Every area in tree order (parents before children, siblings by name), with depth and path."""
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)
    nodes: list[AreaNode] = []

    def walk(parent_id: int | None, depth: int, path: tuple[str, ...]) -> None:
        for area in sorted(children.get(parent_id, []), key=lambda a: a.name.lower()):
            here = (*path, area.name)
            nodes.append(AreaNode(area, depth, here))
            walk(area.id, depth + 1, here)

    walk(None, 0, ())
    return nodes


async def area_tree(session: AsyncSession) -> list[AreaNode]:
    return tree(await all_areas(session))


async def unit_ids_under(session: AsyncSession, area_id: int) -> set[int]:
    """Units in the area or in any area under it."""
    ids = descendants(await all_areas(session), area_id)
    rows = (await session.exec(select(Unit.id).where(col(Unit.area_id).in_(ids)))).all()
    return {unit_id for unit_id in rows if unit_id is not None}


async def units_under(session: AsyncSession, area: Area) -> list[Unit]:
    ids = descendants(await all_areas(session), pk(area))
    return list((await session.exec(select(Unit).where(col(Unit.area_id).in_(ids)).order_by(col(Unit.name)))).all())


async def set_unit_area(session: AsyncSession, unit: Unit, area: Area | None) -> Unit:
    unit.area_id = area.id if area else None
    session.add(unit)
    await session.flush()
    return unit
