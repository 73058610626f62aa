"""A real server (create_app on a free port, SQLite file) and a cookie-keeping HTTP client for the web tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from surveys.campaigns import add_unit, get_unit_by_name
from surveys.models import Campaign, StaffUser
from surveys.settings import Settings
from tests.support.factories import make_campaign
from viktig.context import AppContext
from viktig.server import create_app
from web.accounts import save_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


@dataclass
class Server:
    url: str
    ctx: AppContext
    app: web.Application | None = None

    async def user(self, email: str, role: str, unit: str | None) -> StaffUser:
        async with self.ctx.sessions() as session, session.begin():
            unit_row = None
            if unit:
                unit_row = await get_unit_by_name(session, unit) or await add_unit(session, unit)
            user, _ = await save_user(session, email=email, role=role, unit=unit_row, password=PASSWORD)
            return user

    async def campaign(self, unit: str, name: str = "Hva er viktig for deg-dagen", **options) -> Campaign:
        return await make_campaign(self.ctx.sessions, name, unit, **options)


@asynccontextmanager
async def serve(database_url: str) -> AsyncIterator[Server]:
    """The real app on a free port over the given (migrated) database."""
    settings = Settings(
        database_url=database_url, secret_key="web-test-secret-0123456789abcdef", host="127.0.0.1", port=0
    )
    ctx = AppContext.create(settings)
    app = create_app(ctx, with_telegram=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Server(f"http://127.0.0.1:{port}", ctx, app)
    finally:
        await runner.cleanup()
        await ctx.close()


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[Server]:
    async with serve(sqlite_url) as running:
        yield running


class Client:
    """A browser-like client: keeps cookies, reads CSRF tokens from the last page it fetched."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.last_html = ""

    async def get(self, path: str, **kwargs) -> aiohttp.ClientResponse:
        response = await self.http.get(self.base + path, **kwargs)
        if response.content_type == "text/html":
            self.last_html = await response.text()
        return response

    def csrf(self) -> str:
        match = CSRF.search(self.last_html)
        assert match, "no CSRF token on the last page"
        return match.group(1)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf())
        response = await self.http.post(self.base + path, data=form, **kwargs)
        if response.content_type == "text/html":
            self.last_html = await response.text()
        return response

    async def login(self, email: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        await self.get("/login")
        return await self.post("/login", {"email": email, "password": password})

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def client(server: Server) -> AsyncIterator[Client]:
    made = Client(server.url)
    yield made
    await made.close()


@pytest.fixture
async def make_client(server: Server) -> AsyncIterator[Callable[[], Client]]:
    made: list[Client] = []

    def factory() -> Client:
        made.append(Client(server.url))
        return made[-1]

    yield factory
    for one in made:
        await one.close()
