"""Areas as a tree of any depth (cycles refused), units under an area, and one campaign per unit under an area,
created again without duplicates (the 6 June kit)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.area_campaigns import create_area_campaign, create_kit, kit_name, members_of, parse_day
from surveys.areas import (
    AreaError,
    add_area,
    area_tree,
    delete_area,
    move_area,
    rename_area,
    set_unit_area,
    units_under,
)
from surveys.campaigns import add_unit
from surveys.ids import pk
from surveys.models import Area, Campaign, as_utc


async def _tree(session: AsyncSession) -> dict[str, Area]:
    """Helse og omsorg > Hjemmetjenesten > Sone nord > Rode 1 (four deep), and Oppvekst beside it."""
    top = await add_area(session, "Helse og omsorg")
    home = await add_area(session, "Hjemmetjenesten", top)
    north = await add_area(session, "Sone nord", home)
    round_one = await add_area(session, "Rode 1", north)
    school = await add_area(session, "Oppvekst")
    return {"top": top, "home": home, "north": north, "round": round_one, "school": school}


async def test_units_anywhere_under_an_area_belong_to_it(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        areas = await _tree(session)
        placed = {"Solsiden sykehjem": "top", "Hjemmetjenesten Øst": "home", "Rode 1 natt": "round", "Skole": "school"}
        for name, key in placed.items():
            await set_unit_area(session, await add_unit(session, name), areas[key])
        await add_unit(session, "Uten område")
        under_top = [unit.name for unit in await units_under(session, areas["top"])]
        under_north = [unit.name for unit in await units_under(session, areas["north"])]
        nodes = await area_tree(session)
    assert under_top == ["Hjemmetjenesten Øst", "Rode 1 natt", "Solsiden sykehjem"]
    assert under_north == ["Rode 1 natt"]
    assert [(node.label, node.depth) for node in nodes] == [
        ("Helse og omsorg", 0),
        ("Helse og omsorg › Hjemmetjenesten", 1),
        ("Helse og omsorg › Hjemmetjenesten › Sone nord", 2),
        ("Helse og omsorg › Hjemmetjenesten › Sone nord › Rode 1", 3),
        ("Oppvekst", 0),
    ]


async def test_a_move_that_makes_a_cycle_is_refused_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        areas = await _tree(session)
        for parent in ("top", "north", "round"):  # itself, a grandchild, the deepest descendant
            with pytest.raises(AreaError) as refused:
                await move_area(session, areas["top"], areas[parent])
            assert refused.value.code == "area.cycle"
        assert areas["top"].parent_id is None
        await move_area(session, areas["north"], areas["school"])  # a legal move: a subtree goes with it
        moved = [node.label for node in await area_tree(session) if node.area.name == "Rode 1"]
        await move_area(session, areas["north"], None)
        top_level = sorted(node.area.name for node in await area_tree(session) if node.depth == 0)
    assert moved == ["Oppvekst › Sone nord › Rode 1"]
    assert top_level == ["Helse og omsorg", "Oppvekst", "Sone nord"]
    assert "cannot go under" in refused.value.message("en") and "ligger under" in refused.value.message("nb")


async def test_names_are_unique_and_only_an_empty_area_can_be_deleted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        areas = await _tree(session)
        for bad, code in (("Oppvekst", "area.exists"), ("   ", "area.need_name")):
            with pytest.raises(AreaError) as refused:
                await add_area(session, bad)
            assert refused.value.code == code
        with pytest.raises(AreaError):
            await rename_area(session, areas["home"], "Helse og omsorg")
        await rename_area(session, areas["home"], "Hjemmebaserte  tjenester")
        with pytest.raises(AreaError) as refused:
            await delete_area(session, areas["north"])  # Rode 1 lies under it
        assert refused.value.code == "area.not_empty"
        await delete_area(session, areas["round"])
        names = {area.name for area in (await session.exec(select(Area))).all()}
    assert names == {"Helse og omsorg", "Hjemmebaserte tjenester", "Sone nord", "Oppvekst"}


async def test_an_area_campaign_gives_every_unit_its_own_campaign_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        areas = await _tree(session)
        for name, key in (("Øst", "home"), ("Vest", "home"), ("Nord", "round")):
            await set_unit_area(session, await add_unit(session, name), areas[key])
        first = await create_area_campaign(session, areas["top"], name="Brukerundersøkelse våren")
        again = await create_area_campaign(session, areas["top"], name="Brukerundersøkelse våren")
        await set_unit_area(session, await add_unit(session, "Sør"), areas["north"])  # a unit put in afterwards
        third = await create_area_campaign(session, areas["top"], name="Brukerundersøkelse våren")
        campaigns = int((await session.exec(select(func.count()).select_from(Campaign))).one())
        members = await members_of(session, pk(third.area_campaign))
    assert (first.created, first.created_count) == (True, 3)
    assert (again.created, again.created_count) == (False, 0)
    assert third.created_count == 1 and [m.unit.name for m in third.members if m.created] == ["Sør"]
    assert campaigns == 4 and len({campaign.code for _, campaign in members}) == 4
    assert {campaign.unit_id for _, campaign in members} == {m.unit.id for m in third.members}


async def test_the_kit_is_the_day_in_four_languages_and_running_it_twice_makes_no_duplicates(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    day = parse_day("2027-06-06")
    async with sessions() as session, session.begin():
        area = await add_area(session, "Helse og omsorg")
        for n in range(5):
            await set_unit_area(session, await add_unit(session, f"Enhet {n + 1}"), area)
        first = await create_kit(session, area, day, telegram=False)
        second = await create_kit(session, area, day, telegram=False)
        campaigns = list((await session.exec(select(Campaign))).all())
    assert first.created_count == 5 and second.created_count == 0
    assert second.area_campaign.id == first.area_campaign.id and first.area_campaign.day == date(2027, 6, 6)
    assert len(campaigns) == 5
    for campaign in campaigns:
        assert campaign.name == kit_name(day) == "Hva er viktig for deg-dagen 2027"
        assert campaign.language_list == ["nb", "nn", "sv", "en"] and campaign.channel_list == ["web", "staff"]
        assert campaign.opens_at is not None and campaign.closes_at is not None
        assert as_utc(campaign.opens_at) == datetime(2027, 6, 5, 22, 0, tzinfo=UTC)  # midnight in Norway (summer)
        assert as_utc(campaign.closes_at) == datetime(2027, 6, 12, 22, 0, tzinfo=UTC)
    with pytest.raises(AreaError) as refused:
        parse_day("6. juni")
    assert refused.value.code == "area.bad_date"


async def test_an_area_without_units_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        area = await add_area(session, "Tomt område")
        with pytest.raises(AreaError) as refused:
            await create_kit(session, area, date(2027, 6, 6), telegram=True)
    assert refused.value.code == "area.no_units"
