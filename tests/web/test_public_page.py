"""Actions per theme and the public page "Dette sa dere – dette gjør vi" on the real server (issue 16, items 1–2).

The data: the unit's earlier campaign (selskap 10, mat 6) and the current one (selskap 8, trygghet 6, hagen 2),
answers from distinct people (paper cards) so people = answers, and the unit's "minste gruppe" is the default 5.
"""

from __future__ import annotations

import re

from sqlalchemy import delete
from sqlmodel import col, select

from surveys.ids import pk
from surveys.models import AccessLogEntry, Answer, Campaign, PublicQuote, ThemeAction
from tests.web.conftest import Client, Server
from tests.web.theme_data import themes_with_sizes
from web.security import SECURITY_HEADERS

UNIT = "Hjemmetjenesten Øst"
CARD = re.compile(r"Kort nummer \d+")


def _assert_reveals_nothing(html: str, message: str) -> None:
    """The page before publishing: its message, and no theme, action, picked quote or number."""
    visible = re.sub(r"<[^>]+>", " ", html)
    assert message in visible, visible
    for word in ("Selskap", "Trygghet", "Hagen", "Fuglekassar", "Kaffeprat", "Benk", "Aktivitetsgruppa", "%"):
        assert word not in html, word
    assert CARD.search(html) is None and re.search(r"\d", visible) is None, visible  # no quote, no count


async def _two_campaigns(
    server: Server, *, suggested: int = 0
) -> tuple[Campaign, dict[str, int], Campaign, dict[str, int]]:
    earlier = await server.campaign(UNIT, name="Høsten 2025")
    before = await themes_with_sizes(server, pk(earlier), {"selskap": 10, "mat": 6})
    campaign = await server.campaign(UNIT, name="Våren 2026", languages="nn,nb,sv,en")
    groups = {"selskap": 8, "trygghet": 6, "hagen": 2} | ({"fuglekassar": suggested} if suggested else {})
    now = await themes_with_sizes(server, pk(campaign), groups, suggested=frozenset({"fuglekassar"}))
    await server.user("leder@kommune.no", "manager", UNIT)
    return earlier, before, campaign, now


async def _add(client: Client, campaign_id: int, theme_id: int, **fields: str) -> None:
    await client.get(f"/campaigns/{campaign_id}/themes")
    response = await client.post(f"/campaigns/{campaign_id}/themes/{theme_id}/actions", fields)
    assert response.status == 200 and "/themes" in response.url.path, (response.status, client.last_html[-500:])


async def _token(client: Client, campaign_id: int) -> str:
    await client.get(f"/campaigns/{campaign_id}/public")
    found = re.search(r'id="public-address">[^<]*/p/([A-Za-z0-9_-]+)<', client.last_html)
    assert found, client.last_html
    return found.group(1)


async def test_actions_carry_over_to_the_next_campaign_and_its_comparison(server: Server, client: Client) -> None:
    earlier, before, campaign, now = await _two_campaigns(server)
    await client.login("leder@kommune.no")
    await _add(client, pk(earlier), before["selskap"], what="Kaffeprat hver onsdag", responsible="Aktivitetsgruppa")
    await _add(client, pk(earlier), before["mat"], what="Ny meny", status="dropped", reason="For dyrt i år")

    await client.get(f"/campaigns/{campaign.id}/themes")
    html = client.last_html
    comparison = html[html.index('id="comparison"') :]
    # selskap 10/16 = 62 % then, 8/16 = 50 % now, after the earlier campaign's action; mat fell away after its own.
    assert re.search(
        r"Selskap</th>\s*<td>62 %</td>\s*<td>50 %</td>.*?etter tiltak: Kaffeprat hver onsdag", comparison, re.S
    )
    assert "etter tiltak: Ny meny (Forkastet)" in comparison
    card = html[html.index(f'id="theme-{now["selskap"]}"') : html.index(f'id="theme-{now["trygghet"]}"')]
    assert "Kaffeprat hver onsdag" in card and "fra «Høsten 2025»" in card

    # The carried-over action is the same action: changing its status in the new campaign changes it everywhere.
    async with server.ctx.sessions() as session:
        action = (await session.exec(select(ThemeAction).where(ThemeAction.what == "Kaffeprat hver onsdag"))).one()
    await client.post(
        f"/campaigns/{campaign.id}/actions/{action.id}",
        {"what": "Kaffeprat hver onsdag", "responsible": "Aktivitetsgruppa", "status": "done", "due_on": "2026-03-01"},
    )
    await client.get(f"/campaigns/{earlier.id}/themes")
    assert "Gjennomført" in client.last_html and "01.03.2026" in client.last_html
    async with server.ctx.sessions() as session:
        logged = (await session.exec(select(AccessLogEntry.action, AccessLogEntry.detail))).all()
    assert ("add_action", f"action {action.id}: planned") in logged and (
        "change_action",
        f"action {action.id}: done",
    ) in logged


async def test_a_refused_action_keeps_what_was_typed_and_says_why(server: Server, client: Client) -> None:
    _, _, campaign, now = await _two_campaigns(server)
    await client.login("leder@kommune.no")
    await client.get(f"/campaigns/{campaign.id}/themes")
    response = await client.post(
        f"/campaigns/{campaign.id}/themes/{now['trygghet']}/actions",
        {"what": "Nattevakt på rundgang", "status": "dropped", "due_on": "neste uke"},
    )
    assert response.status == 400
    assert "Et forkastet tiltak trenger en begrunnelse" in client.last_html
    assert "Nattevakt på rundgang</textarea>" in client.last_html
    response = await client.post(
        f"/campaigns/{campaign.id}/themes/{now['trygghet']}/actions",
        {"what": "Nattevakt på rundgang", "due_on": "neste uke"},
    )
    assert response.status == 400 and "«neste uke» er ikke en dato" in client.last_html
    async with server.ctx.sessions() as session:
        assert (await session.exec(select(ThemeAction))).all() == []


async def test_staff_cannot_change_actions_and_another_unit_cannot_see_them(server: Server, make_client) -> None:
    _, _, campaign, now = await _two_campaigns(server)
    await server.user("ansatt@kommune.no", "staff", UNIT)
    await server.user("annen@kommune.no", "manager", "Sykehjemmet Vest")
    staff, other = make_client(), make_client()
    await staff.login("ansatt@kommune.no")
    await staff.get(f"/campaigns/{campaign.id}")
    assert "Ingen tiltak ennå." in staff.last_html
    async with server.ctx.sessions() as session, session.begin():
        from surveys.actions import add_action, read_action
        from surveys.models import Theme

        theme = await session.get_one(Theme, now["selskap"])
        await add_action(session, campaign, theme, read_action("Kaffeprat", "Aktivitetsgruppa", status="in_progress"))
    await staff.get(f"/campaigns/{campaign.id}")  # staff read the actions (they often carry them out)
    listed = staff.last_html[staff.last_html.index('id="campaign-actions"') :]
    assert "Kaffeprat" in listed and "Aktivitetsgruppa" in listed and "I gang" in listed
    response = await staff.post(f"/campaigns/{campaign.id}/themes/{now['selskap']}/actions", {"what": "x"})
    assert response.status == 403
    await other.login("annen@kommune.no")
    await other.get("/campaigns")
    response = await other.post(f"/campaigns/{campaign.id}/themes/{now['selskap']}/actions", {"what": "x"})
    assert response.status == 404
    assert (await other.get(f"/campaigns/{campaign.id}/public")).status == 404


async def test_public_page_shows_only_shown_themes_picked_quotes_and_actions(server: Server, make_client) -> None:
    _, _, campaign, now = await _two_campaigns(server, suggested=5)  # a discovered theme nobody has reviewed
    manager, citizen = make_client(), make_client()
    await manager.login("leder@kommune.no")
    await _add(manager, pk(campaign), now["selskap"], what="Kaffeprat kvar onsdag", responsible="Aktivitetsgruppa")
    await _add(manager, pk(campaign), now["hagen"], what="Benk i hagen")  # a hidden theme: its action stays hidden
    token = await _token(manager, pk(campaign))

    # Pick one answer of selskap; an answer of hagen (2 people) cannot be picked.
    async with server.ctx.sessions() as session:
        from surveys.themes import campaign_assignments

        rows = await campaign_assignments(session, pk(campaign))
    by_theme: dict[int, list[int]] = {}
    for answer_id, row in sorted(rows.items()):
        by_theme.setdefault(row.theme_id, []).append(answer_id)
    picked = by_theme[now["selskap"]][3]
    await manager.get(f"/campaigns/{campaign.id}/public")
    await manager.post(f"/campaigns/{campaign.id}/public/quotes", {"answer_id": str(picked), "pick": "1"})
    response = await manager.post(
        f"/campaigns/{campaign.id}/public/quotes", {"answer_id": str(by_theme[now["hagen"]][0]), "pick": "1"}
    )
    assert response.status == 400 and "kan ikke vises offentlig" in manager.last_html

    # Off by default: the address (the web chat gives it from the first answer on) says "come back later" in the
    # campaign's language, and shows nothing of the answers: no theme, action, quote or number, on any of its forms.
    for path in (f"/p/{token}", f"/p/{token}?lettlest=1", f"/p/{token}/plakat"):
        response = await citizen.get(path)
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        _assert_reveals_nothing(citizen.last_html, "Svara blir samla inn no.")
    await citizen.get(f"/p/{token}?lang=sv")
    _assert_reveals_nothing(citizen.last_html, "Svaren samlas in nu.")

    await manager.post(f"/campaigns/{campaign.id}/public/publish", {"publish": "1"})

    response = await citizen.get(f"/p/{token}")
    assert response.status == 200
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store"
    html = citizen.last_html
    assert '<html lang="nn">' in html and "Dette sa de – dette gjer vi" in html  # the campaign's main language
    assert "Selskap" in html and "Trygghet" in html and "Kaffeprat kvar onsdag" in html and "Aktivitetsgruppa" in html
    assert "Hagen" not in html and "Benk i hagen" not in html  # below the limit: not there at all
    assert "Fuglekassar" not in html  # a suggestion is not a theme until a manager accepts it
    async with server.ctx.sessions() as session:
        from surveys.themes import answer_texts

        text = (await answer_texts(session, [picked]))[picked]
    assert CARD.findall(html) == [text]  # the picked answer, and no other
    assert "21 personar svarte." in html and "38 % av svara" in html  # selskap: 8 of 21

    await citizen.get(f"/p/{token}?lang=sv&lettlest=1")
    assert '<html lang="sv">' in citizen.last_html and "av 10 svar handlade om detta" in citizen.last_html
    await citizen.get(f"/p/{token}/plakat?lang=nb")
    assert "<svg" in citizen.last_html and f"/p/{token}" in citizen.last_html and "Hagen" not in citizen.last_html

    # Deleting the answer (erasure, retention) takes the quote off the page; a withdrawn page is 404 again, and
    # its address stays the same.
    async with server.ctx.sessions() as session, session.begin():
        await session.execute(delete(Answer).where(col(Answer.id) == picked))
    await citizen.get(f"/p/{token}")
    assert CARD.findall(citizen.last_html) == []
    async with server.ctx.sessions() as session:
        assert (await session.exec(select(PublicQuote))).all() == []
    await manager.get(f"/campaigns/{campaign.id}/public")
    await manager.post(f"/campaigns/{campaign.id}/public/publish", {"publish": "0"})
    await citizen.get(f"/p/{token}")
    _assert_reveals_nothing(citizen.last_html, "Svara blir samla inn no.")
    await manager.post(f"/campaigns/{campaign.id}/status", {"status": "closed"})
    await citizen.get(f"/p/{token}")
    _assert_reveals_nothing(citizen.last_html, "Svara er samla inn. No les vi dei.")
    assert await _token(manager, pk(campaign)) == token
    assert (await citizen.get("/p/AAAAAAAAAAAAAAAAAAAAAAAA")).status == 404
