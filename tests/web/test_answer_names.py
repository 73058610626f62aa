"""The staff answers page flags answers that seem to name a person; a manager can replace the names."""

from __future__ import annotations

from surveys.importer import import_answers
from tests.support.raw_database import query
from tests.web.conftest import Client, Server


async def test_flagged_answers_and_replacing_the_names(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    async with server.ctx.sessions() as session, session.begin():
        raw = "text\nAt datteren min Kari kommer på søndager\nÅ gå tur i skogen\n".encode()
        await import_answers(session, campaign, raw, filename="kort.csv")
    await client.login("leder@kommune.no")
    response = await client.get(f"/campaigns/{campaign.id}/answers")
    html = client.last_html
    assert response.status == 200 and html.count("Kan inneholde et navn") == 1
    answer_id = query(server.ctx.settings.database_url, "SELECT id FROM answer WHERE text LIKE 'At datteren%'")[0][0]
    response = await client.post(f"/campaigns/{campaign.id}/answers/{answer_id}/redact-names", {"back": ""})
    assert response.status == 200
    texts = sorted(row[0] for row in query(server.ctx.settings.database_url, "SELECT text FROM answer"))
    assert texts == ["At datteren min [navn] kommer på søndager", "Å gå tur i skogen"]
    assert "Kan inneholde et navn" not in client.last_html
    actions = [row[0] for row in query(server.ctx.settings.database_url, "SELECT action FROM access_log")]
    assert "redact_names" in actions
