"""Defect 8: the web chat had no rate limit, so one script could flood answers and rows in. Now a visitor (and an
address) get a friendly "wait a little" in their own language, and nothing of the flood is stored."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from surveys.models import Answer
from tests.web.conftest import Client, group_of
from tests.web.hardening_support import serving

BUTTON = re.compile(r'name="payload" value="([^"]+)">')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
JSON = {"Accept": "application/json"}


async def _consented_visitor(client: Client, code: str, language: str) -> None:
    await client.get(f"/s/{code}", headers={"Accept-Language": language})
    html = client.last_html
    await client.post(
        f"/s/{code}",
        {"payload": group_of(BUTTON, html), "nonce": group_of(NONCE, html)},
        headers={"Accept-Language": language},
    )


async def answers(server) -> int:
    async with server.ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)


async def test_a_flooding_visitor_is_asked_to_wait_in_their_language(sqlite_url: str) -> None:
    env = {"VIKTIG_CHAT_LIMIT_PER_VISITOR": "10", "VIKTIG_CHAT_LIMIT_PER_ADDRESS": "1000"}
    async with serving(sqlite_url, env) as server:
        campaign = await server.campaign("Hjemmetjenesten Øst", languages="nn,nb")
        flooder, neighbour = Client(server.url), Client(server.url)
        try:
            await _consented_visitor(flooder, campaign.code, "nn")
            statuses = []
            for n in range(40):
                response = await flooder.post(
                    f"/s/{campaign.code}",
                    {"text": f"flaum {n}", "nonce": f"n{n}"},
                    headers={**JSON, "Accept-Language": "nn"},
                )
                statuses.append(response.status)
                last = await response.json()
            assert statuses.count(429) == 31 and statuses[:9] == [200] * 9, statuses  # the consent tap counted too
            assert "Vent" in last["lines"][0]["text"] and "meldingar" in last["lines"][0]["text"]  # nynorsk
            assert response.headers["Retry-After"].isdigit()
            assert await answers(server) == 9
            # Someone else on the same address is not affected.
            await _consented_visitor(neighbour, campaign.code, "nb")
            response = await neighbour.post(
                f"/s/{campaign.code}", {"text": "Turer i skogen", "nonce": "x1"}, headers=JSON
            )
            assert response.status == 200
        finally:
            await flooder.close()
            await neighbour.close()


async def test_many_visitors_from_one_address_meet_the_address_limit(sqlite_url: str) -> None:
    env = {"VIKTIG_CHAT_LIMIT_PER_VISITOR": "100", "VIKTIG_CHAT_LIMIT_PER_ADDRESS": "12"}
    async with serving(sqlite_url, env) as server:
        campaign = await server.campaign("Hjemmetjenesten Øst")
        clients = [Client(server.url) for _ in range(8)]
        try:
            statuses = []
            for client in clients:  # a script with fresh cookies each time
                await client.get(f"/s/{campaign.code}")
                response = await client.post(
                    f"/s/{campaign.code}",
                    {"payload": group_of(BUTTON, client.last_html), "nonce": "c"},
                    headers=JSON,
                )
                statuses.append(response.status)
                response = await client.post(f"/s/{campaign.code}", {"text": "flaum", "nonce": "t"}, headers=JSON)
                statuses.append(response.status)
            assert statuses.count(200) == 12 and statuses.count(429) == 4, statuses
            response = await clients[-1].post(f"/s/{campaign.code}", {"text": "igjen", "nonce": "u"})
            assert response.status == 429 and "Vent" in clients[-1].last_html
        finally:
            for client in clients:
                await client.close()
