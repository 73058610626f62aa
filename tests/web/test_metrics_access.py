"""/metrics was open to the world: now only this machine (or VIKTIG_METRICS_ALLOW) or a bearer token may read it,
judged by the client's real address behind a trusted proxy."""

from __future__ import annotations

import aiohttp

from tests.web.hardening_support import serving


async def status(url: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics", headers=headers) as response:
        return response.status


async def test_metrics_only_for_trusted_addresses_or_the_token(sqlite_url: str) -> None:
    env = {"VIKTIG_TRUSTED_PROXIES": "127.0.0.1", "VIKTIG_METRICS_TOKEN": "scrape-token-0123456789"}
    async with serving(sqlite_url, env) as server:
        assert await status(server.url, {}) == 200  # a scraper on this machine
        from_internet = {"X-Forwarded-For": "203.0.113.50"}  # the same request, relayed by the proxy
        assert await status(server.url, from_internet) == 403
        assert await status(server.url, {**from_internet, "Authorization": "Bearer wrong"}) == 403
        assert await status(server.url, {**from_internet, "Authorization": "Bearer scrape-token-0123456789"}) == 200
    async with serving(sqlite_url, {**env, "VIKTIG_METRICS_ALLOW": "10.0.0.0/8"}) as server:
        assert await status(server.url, {"X-Forwarded-For": "10.1.2.3"}) == 200
        assert await status(server.url, {}) == 403  # loopback is no longer in the list
