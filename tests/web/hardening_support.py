"""A real server built from Settings.from_env (so the tests use the same variables an operator sets)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from aiohttp import web

from surveys.settings import Settings
from tests.web.conftest import Server
from viktig.context import AppContext
from viktig.server import create_app

SECRET = "web-test-secret-0123456789abcdef"


@asynccontextmanager
async def serving(database_url: str, env: Mapping[str, str] | None = None) -> AsyncIterator[Server]:
    settings = Settings.from_env(
        {"DATABASE_URL": database_url, "VIKTIG_SECRET_KEY": SECRET, "PORT": "8080", **(env or {})}
    )
    ctx = AppContext.create(settings)
    runner = web.AppRunner(create_app(ctx, with_telegram=False), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield Server(f"http://127.0.0.1:{runner.addresses[0][1]}", ctx)
    finally:
        await runner.cleanup()
        await ctx.close()
