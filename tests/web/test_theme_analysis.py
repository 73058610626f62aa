""" "Kjør temaanalyse" on the real server: the root's one analysis process serves every click, and closes with it."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from aiohttp import web

from surveys.importer import import_answers
from surveys.settings import Settings
from tests.web.conftest import Client, Server
from viktig.context import AppContext
from viktig.server import create_app

DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "dev.jsonl"


def pool_processes() -> set[int | None]:
    return {child.pid for child in multiprocessing.active_children()}


async def test_two_clicks_reuse_one_analysis_process_that_stops_with_the_server(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, secret_key="web-test-secret-0123456789abcdef", host="127.0.0.1")
    ctx = AppContext.create(settings)
    runner = web.AppRunner(create_app(ctx, with_telegram=False), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = Server(f"http://127.0.0.1:{runner.addresses[0][1]}", ctx)
    client = Client(server.url)
    before = pool_processes()
    try:
        await server.user("leder@kommune.no", "manager", "Hjemmetjenesten")
        campaign = await server.campaign("Hjemmetjenesten")
        texts = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()[:60]]
        async with ctx.sessions() as session, session.begin():
            raw = "\n".join(json.dumps({"text": text}, ensure_ascii=False) for text in texts).encode()
            await import_answers(session, campaign, raw, filename="answers.jsonl")
        await client.login("leder@kommune.no")
        seen = []
        for _click in range(2):
            await client.get(f"/campaigns/{campaign.id}/themes")
            assert "Kjør temaanalyse" in client.last_html and "analysis-missing" not in client.last_html
            response = await client.post(f"/campaigns/{campaign.id}/themes/analyse")
            assert response.status == 200 and int(response.url.query["ran"]) > 0
            seen.append(pool_processes() - before)
        assert len(seen[0]) == 1 and seen[1] == seen[0]  # one process started, reused by the second click
    finally:
        await client.close()
        await runner.cleanup()
        await ctx.close()
    assert pool_processes() - before == set()  # closed at cleanup


async def test_a_warmed_pool_starts_its_process_before_the_first_click(sessions, monkeypatch) -> None:
    import asyncio

    from viktig import analysis_pool

    monkeypatch.setattr(analysis_pool, "WARM_DELAY", 0.0)
    pool = analysis_pool.AnalysisPool(sessions, None, warm=True)
    before = pool_processes()
    lifecycle = pool.lifecycle(web.Application())
    await lifecycle.__anext__()
    try:
        for _ in range(600):
            if pool_processes() - before:
                break
            await asyncio.sleep(0.05)
        assert len(pool_processes() - before) == 1
    finally:
        await lifecycle.aclose()
    assert pool_processes() - before == set()
