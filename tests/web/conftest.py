"""A real server (create_app on a free port, SQLite file), a cookie-keeping HTTP client and the headless Chromium
for the web tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
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
TOTP_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CONTINUE = re.compile(r'href="([^"]+)">(?:Fortsett|Continue)<')
# (server url, e-mail) -> [TOTP secret, last time step used]: admins enrol on their first login, as in production.
TOTP_USERS: dict[tuple[str, str], list[Any]] = {}


def group_of(pattern: re.Pattern[str], html: str) -> str:
    """The first group of a pattern the page must contain."""
    found = pattern.search(html)
    assert found is not None, pattern.pattern
    return found.group(1)


async def totp_code(base: str, email: str) -> str:
    """The next code the server will accept (each 30-second step works once; one step either side is allowed)."""
    import asyncio

    import pyotp

    entry = TOTP_USERS[(base, email)]
    totp = pyotp.TOTP(entry[0])
    while True:
        current = totp.timecode(datetime.now(UTC))
        step = max(current - 1, entry[1] + 1)
        if step <= current + 1:
            entry[1] = step
            return totp.generate_otp(step)
        await asyncio.sleep(1)


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


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The marks of every browser test module: the session's event loop is where the shared Chromium lives (see browser).
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"),
    pytest.mark.asyncio(loop_scope="session"),
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium per test process (per xdist worker): a launch costs about 2.4 CPU-seconds, a fresh
    browser context per test (its own cookies, storage and cache) costs milliseconds and isolates as well.
    Playwright binds it to the event loop it started in, so browser tests run in the session's loop
    (BROWSER_MARKS) and so does their server (browser_server)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser(chromium: Any) -> AsyncIterator[Any]:
    """The shared Chromium, with no context left over from an earlier test: each test starts as on a new browser."""
    for left_over in chromium.contexts:
        await left_over.close()
    yield chromium
    for context in chromium.contexts:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser_server(sqlite_url: str) -> AsyncIterator[Server]:
    """`server` for the browser tests, in the event loop they run in (a module says `server = browser_server`)."""
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

    async def login(self, email: str, password: str = PASSWORD, **kwargs) -> aiohttp.ClientResponse:
        """Log in like a person: with the password, then (admins) enrol or give a code from the authenticator."""
        await self.get("/login", **kwargs)
        response = await self.post("/login", {"email": email, "password": password}, **kwargs)
        if response.url.path == "/account/two-factor" and (found := TOTP_SECRET.search(self.last_html)):
            TOTP_USERS[(self.base, email)] = [found.group(1), -1]
            response = await self.post("/account/two-factor", {"code": await totp_code(self.base, email)}, **kwargs)
            if (onward := CONTINUE.search(self.last_html)) is not None:
                response = await self.get(onward.group(1), **kwargs)
        elif response.url.path == "/login/two-factor" and (self.base, email) in TOTP_USERS:
            response = await self.post("/login/two-factor", {"code": await totp_code(self.base, email)}, **kwargs)
        return response

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
