"""Areas in the dashboard: an area manager ("leder for område") sees every unit under the area, at any depth, and
nothing outside it; admins build the tree (cycles refused with a message); one action creates the same campaign in
every unit; the kit button is safe to press twice; the roll-up hides small cells from managers."""

from __future__ import annotations

import re

from sqlmodel import func, select

from surveys.areas import add_area, get_area_by_name, set_unit_area
from surveys.campaigns import add_unit, get_unit_by_name
from surveys.ids import pk
from surveys.models import Area, AreaCampaign, Campaign, Unit
from tests.web.conftest import PASSWORD, Client, Server
from tests.web.theme_data import themes_with_sizes
from web.accounts import save_user


async def _municipality(server: Server) -> dict[str, Campaign]:
    """Helse og omsorg > Hjemmetjenesten > Sone nord; a campaign in each unit; Oppvekst beside it."""
    async with server.ctx.sessions() as session, session.begin():
        top = await add_area(session, "Helse og omsorg")
        home = await add_area(session, "Hjemmetjenesten", top)
        north = await add_area(session, "Sone nord", home)
        school = await add_area(session, "Oppvekst")
        for unit, area in (
            ("Hjemmetjenesten Øst", home),
            ("Nordbyen natt", north),
            ("Solsiden sykehjem", top),
            ("Skolehelsetjenesten", school),
        ):
            await set_unit_area(session, await add_unit(session, unit), area)
        await add_unit(session, "Uten område")
    names = ["Hjemmetjenesten Øst", "Nordbyen natt", "Solsiden sykehjem", "Skolehelsetjenesten", "Uten område"]
    return {name: await server.campaign(name, name=f"Våren i {name}") for name in names}


async def _area_manager(server: Server, email: str, area: str) -> None:
    async with server.ctx.sessions() as session, session.begin():
        found = await get_area_by_name(session, area)
        await save_user(session, email=email, role="area_manager", unit=None, area=found, password=PASSWORD)


async def test_an_area_manager_sees_every_unit_under_the_area_and_nothing_outside(
    server: Server, client: Client
) -> None:
    campaigns = await _municipality(server)
    await _area_manager(server, "omrade@kommune.no", "Hjemmetjenesten")
    await client.login("omrade@kommune.no")
    await client.get("/campaigns")
    listed = set(re.findall(r'href="/campaigns/(\d+)"', client.last_html))
    inside = {str(campaigns[name].id) for name in ("Hjemmetjenesten Øst", "Nordbyen natt")}
    assert listed == inside, client.last_html
    assert "leder for område" in client.last_html and 'href="/areas"' in client.last_html
    for name, campaign in campaigns.items():
        expected = 200 if str(campaign.id) in inside else 404
        for path in ("", "/themes", "/answers", "/poster"):
            response = await client.get(f"/campaigns/{campaign.id}{path}")
            assert response.status == expected, (name, path, response.status)
    await client.get("/campaigns/new")
    assert set(re.findall(r'<option value="\d+"[^>]*>([^<]+)<', client.last_html)) == {
        "Hjemmetjenesten Øst",
        "Nordbyen natt",
    }
    await client.get("/areas")
    assert "Sone nord" in client.last_html and "Oppvekst" not in client.last_html
    assert "Helse og omsorg</a>" not in client.last_html
    async with server.ctx.sessions() as session:
        ids = {area.name: pk(area) for area in (await session.exec(select(Area))).all()}
    assert (await client.get(f"/areas/{ids['Sone nord']}")).status == 200
    for outside in ("Helse og omsorg", "Oppvekst"):
        assert (await client.get(f"/areas/{ids[outside]}")).status == 404
    # The scope follows the tree as it is now: a unit moved out is out of sight at once.
    async with server.ctx.sessions() as session, session.begin():
        unit = await get_unit_by_name(session, "Nordbyen natt")
        assert unit is not None
        await set_unit_area(session, unit, None)
    assert (await client.get(f"/campaigns/{campaigns['Nordbyen natt'].id}")).status == 404


async def test_unit_managers_and_staff_have_no_area_pages(server: Server, make_client) -> None:
    await _municipality(server)
    for email, role in (("leder@kommune.no", "manager"), ("ansatt@kommune.no", "staff")):
        await server.user(email, role, "Hjemmetjenesten Øst")
        client = make_client()
        await client.login(email)
        await client.get("/campaigns")
        assert 'href="/areas"' not in client.last_html
        assert (await client.get("/areas")).status == 403
        assert (await client.get("/areas/1")).status == 403


async def test_admin_builds_the_tree_and_a_cycle_is_refused_with_its_reason(server: Server, client: Client) -> None:
    await server.user("sjef@kommune.no", "admin", None)
    async with server.ctx.sessions() as session, session.begin():
        await add_unit(session, "Hjemmetjenesten Øst")
    await client.login("sjef@kommune.no")
    await client.get("/areas")
    await client.post("/areas", {"name": "Helse og omsorg", "parent_id": ""})
    async with server.ctx.sessions() as session:
        top = await get_area_by_name(session, "Helse og omsorg")
        unit = await get_unit_by_name(session, "Hjemmetjenesten Øst")
    assert top is not None and unit is not None
    await client.post("/areas", {"name": "Hjemmetjenesten", "parent_id": str(top.id)})
    async with server.ctx.sessions() as session:
        home = await get_area_by_name(session, "Hjemmetjenesten")
    assert home is not None and home.parent_id == top.id
    await client.post(f"/areas/{home.id}/add-unit", {"unit_id": str(unit.id)})
    await client.post(f"/areas/{home.id}/rename", {"name": "Hjemmebaserte tjenester"})
    response = await client.post(f"/areas/{top.id}/move", {"parent_id": str(home.id)})
    assert response.status == 400 and "ligger under" in client.last_html
    response = await client.post("/areas", {"name": "Helse og omsorg", "parent_id": ""})
    assert response.status == 400 and "Det finnes allerede et område" in client.last_html
    async with server.ctx.sessions() as session:
        top_again, home_again = await session.get_one(Area, pk(top)), await session.get_one(Area, pk(home))
        placed = await session.get_one(Unit, pk(unit))
    assert top_again.parent_id is None and home_again.name == "Hjemmebaserte tjenester"
    assert placed.area_id == home.id
    await client.get("/admin/access-log")
    assert "Ga et område nytt navn" in client.last_html and "La en enhet i et område" in client.last_html


async def test_one_action_makes_a_campaign_in_every_unit_and_the_kit_twice_makes_no_duplicates(
    server: Server, client: Client
) -> None:
    await _municipality(server)
    await _area_manager(server, "omrade@kommune.no", "Helse og omsorg")
    await client.login("omrade@kommune.no")
    async with server.ctx.sessions() as session:
        top = await get_area_by_name(session, "Helse og omsorg")
        before = int((await session.exec(select(func.count()).select_from(Campaign))).one())
    assert top is not None
    await client.get(f"/areas/{top.id}")
    response = await client.post(f"/areas/{top.id}/campaigns", {"name": "Brukerundersøkelse 2027"})
    assert response.status == 200 and "3 nye kampanjer er laget." in client.last_html
    for run in (1, 2):
        await client.get(f"/areas/{top.id}")
        response = await client.post(f"/areas/{top.id}/kit", {"date": "2027-06-06"})
        assert response.status == 200
        assert ("3 nye kampanjer er laget." if run == 1 else "Ingen nye kampanjer") in client.last_html
    codes = re.findall(r"<code>([a-z0-9]{10})</code>", client.last_html)
    assert len(set(codes)) == 3
    async with server.ctx.sessions() as session:
        after = int((await session.exec(select(func.count()).select_from(Campaign))).one())
        groups = (await session.exec(select(AreaCampaign))).all()
    assert after == before + 6 and sorted(g.name for g in groups) == [
        "Brukerundersøkelse 2027",
        "Hva er viktig for deg-dagen 2027",
    ]
    await client.get(f"/areas/{top.id}")
    response = await client.post(f"/areas/{top.id}/kit", {"date": "6. juni"})
    assert response.status == 400 and "er ikke en dato" in client.last_html
    kit = next(g for g in groups if g.day is not None)
    printed = await client.get(f"/area-campaigns/{kit.id}/print")
    html = await printed.text()
    assert printed.status == 200 and html.count('class="sheet poster"') == 3 and "Slik gjør dere det" in html
    assert all(code in html for code in codes) and "<style>" not in html  # the dashboard's CSP: no inline styles


async def test_the_roll_up_hides_small_cells_from_area_managers_and_shows_admins_why(
    server: Server, make_client
) -> None:
    await _municipality(server)
    await _area_manager(server, "omrade@kommune.no", "Hjemmetjenesten")
    await server.user("sjef@kommune.no", "admin", None)
    manager, admin = make_client(), make_client()
    await manager.login("omrade@kommune.no")
    await admin.login("sjef@kommune.no")
    async with server.ctx.sessions() as session:
        home = await get_area_by_name(session, "Hjemmetjenesten")
    assert home is not None
    await manager.get(f"/areas/{home.id}")
    await manager.post(f"/areas/{home.id}/kit", {"date": "2027-06-06"})
    async with server.ctx.sessions() as session:
        group = (await session.exec(select(AreaCampaign))).one()
        from surveys.area_campaigns import members_of

        members = {unit.name: campaign for unit, campaign in await members_of(session, pk(group))}
    await themes_with_sizes(server, pk(members["Hjemmetjenesten Øst"]), {"selskap": 9, "familie": 3})
    await themes_with_sizes(server, pk(members["Nordbyen natt"]), {"familie": 6, "selskap": 6})
    await manager.get(f"/area-campaigns/{group.id}/rollup")
    page = manager.last_html
    assert page.count('data-hidden="1"') == 1 and "færre enn 5" in page and "25 %" not in page
    assert "75 %" in page and page.count("50 %") == 2 and 'class="cell heat-5"' in page
    await admin.get(f"/area-campaigns/{group.id}/rollup")
    assert "25 %" in admin.last_html and "skjult for ledere, færre enn 5" in admin.last_html
    report = await manager.get(f"/area-campaigns/{group.id}/report")
    text = await report.text()
    assert (
        report.status == 200 and "færre enn 5" in text and "25 %" not in text and "Rapport for Hjemmetjenesten" in text
    )
