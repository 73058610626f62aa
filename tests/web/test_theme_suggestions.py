"""The themes page's suggested themes and uncertain placements over the real server: small-number protection,
accept (into the unit's taxonomy, renamed), reject (remembered), confirm (fixed like a move); each is written to the
access log without answer text or theme names."""

from __future__ import annotations

import re

from sqlmodel import col, select

from surveys.ids import pk
from surveys.models import AccessLogEntry, Answer, AnswerTheme, Theme, UnitTheme
from tests.web.conftest import Client, Server
from tests.web.theme_data import themes_with_sizes


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


async def test_suggestions_respect_small_numbers_and_can_be_accepted_or_rejected(
    server: Server, client: Client, make_client
) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    ids = await themes_with_sizes(
        server, pk(campaign), {"kaffe": 9, "bingo": 6, "hagen": 3}, suggested=frozenset({"bingo", "hagen"}), score=0.4
    )
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    await client.get(f"/campaigns/{campaign.id}/themes")
    html = client.last_html
    suggestions = section(html, "suggestions")
    assert "Foreslåtte temaer" in suggestions and 'id="theme-' + str(ids["kaffe"]) not in suggestions
    bingo, hagen = section(html, f"theme-{ids['bingo']}"), section(html, f"theme-{ids['hagen']}")
    assert "6 svar" in bingo and "<blockquote>" in bingo
    assert "færre enn 5" in hagen and "<blockquote>" not in hagen and "3 svar" not in hagen
    # uncertain placements: none from the small theme for a manager
    uncertain = section(html, "uncertain")
    assert "Usikre plasseringer" in uncertain and "40 %" in uncertain
    async with server.ctx.sessions() as session:
        hagen_answers = [
            r.answer_id for r in (await session.exec(select(AnswerTheme))).all() if r.theme_id == ids["hagen"]
        ]
    assert all(f'id="uncertain-{answer_id}"' not in uncertain for answer_id in hagen_answers)

    # accept, renamed: the unit learns it
    response = await client.post(
        f"/campaigns/{campaign.id}/themes/{ids['bingo']}/accept", {"label": "Bingo på torsdager"}
    )
    assert response.status == 200 and "Temaet «Bingo på torsdager» er godtatt" in client.last_html
    assert f'id="theme-{ids["bingo"]}"' not in section(client.last_html, "suggestions")
    async with server.ctx.sessions() as session:
        learned = (await session.exec(select(UnitTheme))).one()
        bingo_row = await session.get_one(Theme, ids["bingo"])
    assert learned.label == "Bingo på torsdager" and learned.unit_id == campaign.unit_id and learned.terms == ["bingo"]
    assert len(learned.example_ids) == 6 and bingo_row.taxonomy_key == learned.key and bingo_row.label_locked

    # accepting twice, or accepting a taxonomy theme, is refused with a message
    again = await client.post(f"/campaigns/{campaign.id}/themes/{ids['bingo']}/accept", {"label": "X"})
    assert again.status == 400 and "ikke et forslag" in await again.text()
    taxonomy = await client.post(f"/campaigns/{campaign.id}/themes/{ids['kaffe']}/accept", {"label": "X"})
    assert taxonomy.status == 400

    # reject: the answers go to "Annet", the group is remembered
    await client.get(f"/campaigns/{campaign.id}/themes")
    response = await client.post(f"/campaigns/{campaign.id}/themes/{ids['hagen']}/reject")
    assert response.status == 200 and "Forslaget er avvist" in client.last_html
    async with server.ctx.sessions() as session:
        hagen_row = await session.get_one(Theme, ids["hagen"])
        other = (await session.exec(select(Theme).where(Theme.is_other))).one()
        rows = {r.answer_id: r for r in (await session.exec(select(AnswerTheme))).all()}
    assert hagen_row.review == "rejected" and sorted(hagen_row.reviewed_answers) == sorted(hagen_answers)
    assert hagen_row.size == 0 and all(rows[a].theme_id == other.id for a in hagen_answers)

    # confirm an uncertain placement: fixed like a move, and no longer listed
    confirmed = next(a for a, r in rows.items() if r.theme_id == ids["kaffe"])
    assert f'id="uncertain-{confirmed}"' in client.last_html
    response = await client.post(f"/campaigns/{campaign.id}/themes/confirm/{confirmed}")
    assert response.status == 200 and "Plasseringen er bekreftet" in client.last_html
    assert f'id="uncertain-{confirmed}"' not in client.last_html
    async with server.ctx.sessions() as session:
        row = await session.get(AnswerTheme, confirmed)
    assert row is not None and row.manual and row.theme_id == ids["kaffe"]

    # a rename of any theme, and every decision above, is in the access log: who, which campaign, ids only
    await client.post(f"/campaigns/{campaign.id}/themes/{ids['kaffe']}/rename", {"label": "Kaffe og prat"})
    async with server.ctx.sessions() as session:
        logged = [
            (entry.actor, entry.action, entry.campaign_id, entry.detail)
            for entry in (await session.exec(select(AccessLogEntry).order_by(col(AccessLogEntry.id)))).all()
            if entry.action != "view_themes"
        ]
        texts = [text for text in (await session.exec(select(Answer.text))).all()]
    assert logged == [
        ("leder@kommune.no", "accept_theme", campaign.id, f"theme {ids['bingo']}, renamed"),
        ("leder@kommune.no", "reject_theme", campaign.id, f"theme {ids['hagen']}"),
        ("leder@kommune.no", "confirm_placement", campaign.id, f"answer {confirmed}"),
        ("leder@kommune.no", "rename_theme", campaign.id, f"theme {ids['kaffe']}"),
    ]
    assert not any(text.lower() in detail.lower() for *_, detail in logged for text in texts)
    await server.user("admin@kommune.no", "admin", None)
    admin: Client = make_client()
    await admin.login("admin@kommune.no")
    await admin.get("/admin/access-log")
    assert "Godtok et foreslått tema" in admin.last_html and f"tema {ids['bingo']}, med nytt navn" in admin.last_html
    assert "Bekreftet plasseringen av et svar" in admin.last_html


async def test_another_units_manager_cannot_accept(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    ids = await themes_with_sizes(server, pk(campaign), {"bingo": 6}, suggested=frozenset({"bingo"}))
    await server.user("leder@vest.no", "manager", "Sykehjemmet Vest")
    await client.login("leder@vest.no")
    await client.get("/campaigns")
    response = await client.post(f"/campaigns/{campaign.id}/themes/{ids['bingo']}/accept", {"label": "X"})
    assert response.status in (403, 404)
    async with server.ctx.sessions() as session:
        assert (await session.exec(select(UnitTheme))).first() is None


async def test_the_answers_page_marks_uncertain_placements_until_confirmed(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    ids = await themes_with_sizes(server, pk(campaign), {"kaffe": 6}, score=0.3)
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    await client.get(f"/campaigns/{campaign.id}/answers?theme={ids['kaffe']}")
    rows = re.findall(r'<tr id="answer-(\d+)">(.*?)</tr>', client.last_html, re.S)
    assert len(rows) == 6 and all("usikker plassering" in row for _, row in rows)
    await client.get(f"/campaigns/{campaign.id}/themes")
    await client.post(f"/campaigns/{campaign.id}/themes/confirm/{rows[0][0]}")
    await client.get(f"/campaigns/{campaign.id}/answers?theme={ids['kaffe']}")
    marked = dict(re.findall(r'<tr id="answer-(\d+)">(.*?)</tr>', client.last_html, re.S))
    assert "usikker plassering" not in marked[rows[0][0]]
    assert sum("usikker plassering" in row for row in marked.values()) == 5
