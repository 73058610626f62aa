"""PTB's calls over the shared aiohttp transport: answers, timeouts, a full pool and an unreachable server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import TelegramTransport


@pytest.fixture
async def server(unused_tcp_port: int) -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        form = await request.post()
        await asyncio.sleep(float(str(form.get("delay", "0"))))
        return web.json_response({"ok": True, "result": dict(form)})

    app = web.Application()
    app.router.add_post("/bot/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    yield f"http://127.0.0.1:{unused_tcp_port}/bot"
    await runner.cleanup()


def data(**values: object) -> RequestData:
    return RequestData([RequestParameter(name, value, None) for name, value in values.items()])


async def test_calls_share_one_session_and_send_form_parameters(server: str) -> None:
    transport = TelegramTransport()
    calls, polls = transport.request(), transport.request(pool_size=1)
    async with calls, polls:
        session = transport.session
        body = await calls.post(f"{server}/sendMessage", data(chat_id=5, text="Hei"))
        assert body == {"chat_id": "5", "text": "Hei"}
        assert await polls.post(f"{server}/getUpdates", data(offset=1)) == {"offset": "1"}
        assert transport.session is session
    with pytest.raises(RuntimeError):
        transport.session  # noqa: B018 - closed with the last request


async def test_a_slow_answer_times_out_and_a_full_pool_says_so(server: str) -> None:
    transport = TelegramTransport()
    async with transport.request(pool_size=1, read_timeout=0.2, pool_timeout=0.1) as request:
        with pytest.raises(TimedOut):
            await request.post(f"{server}/getMe", data(delay=1))
        slow = asyncio.create_task(request.post(f"{server}/getMe", data(delay=0.15), read_timeout=1))
        await asyncio.sleep(0.02)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await request.post(f"{server}/getMe", data())
        assert await slow == {"delay": "0.15"}


async def test_an_unreachable_server_is_a_network_error(unused_tcp_port: int) -> None:
    async with TelegramTransport().request() as request:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{unused_tcp_port}/bot/getMe", data())


def test_only_http_proxies_are_taken() -> None:
    assert TelegramTransport(proxy="http://proxy.kommune.no:3128").proxy == "http://proxy.kommune.no:3128"
    with pytest.raises(ValueError, match="socks5"):
        TelegramTransport(proxy="socks5://127.0.0.1:1080")


def test_the_environment_proxy_is_looked_up_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.kommune.no:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    transport = TelegramTransport()
    assert transport.proxy_for("https://api.telegram.org/botX/getMe") == "http://proxy.kommune.no:3128"
    assert transport.proxy_for("http://127.0.0.1:8081/botX/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    assert transport.proxy_for("https://api.telegram.org/botX/sendMessage") == "http://proxy.kommune.no:3128"
