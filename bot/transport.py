"""PTB's Bot API calls over aiohttp: one ClientSession on the server's own loop, shared by every call.

PTB's default transport (httpx) walks its whole connection pool on each request start and finish and imports
sniffio on every lock set-up, so its cost per call grows with concurrency; aiohttp's connector does neither. The
defaults below are PTB's own (ApplicationBuilder/HTTPXRequest): 256 connections for ordinary calls and one for
getUpdates, 5 s to connect, read and write, 1 s to get a pooled connection, 20 s to write a media upload, and
proxies from the argument or the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), like httpx's `trust_env`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

log = logging.getLogger(__name__)

CONNECTION_POOL_SIZE = 256  # PTB's default for ordinary calls
GET_UPDATES_POOL_SIZE = 1  # PTB's default for getUpdates
CONNECT_TIMEOUT = READ_TIMEOUT = WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class TelegramTransport:
    """The one ClientSession both PTB requests use; opened by the first `initialize`, closed by the last
    `shutdown`, always on the loop that runs the server."""

    def __init__(self, *, connections: int = CONNECTION_POOL_SIZE + GET_UPDATES_POOL_SIZE, proxy: str | None = None):
        if proxy and not proxy.startswith(("http://", "https://")):
            raise ValueError(f"Telegram proxy must be an http:// or https:// URL, not {proxy.split(':', 1)[0]}://")
        self.connections = connections
        self.proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._users = 0
        self._env_proxies: dict[str, str | None] = {}

    def proxy_for(self, url: str) -> str | None:
        """The given proxy, else the environment's for this host, looked up once per host: aiohttp's own
        `trust_env` would read ~/.netrc in a worker thread on every call."""
        if self.proxy is not None:
            return self.proxy
        host = URL(url).host or ""
        if host not in self._env_proxies:
            try:
                proxy, _auth = get_env_proxy_for_url(URL(url))
                self._env_proxies[host] = str(proxy)
            except LookupError:
                self._env_proxies[host] = None
        return self._env_proxies[host]

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise RuntimeError("the Telegram transport is not initialised")
        return self._session

    def request(self, *, pool_size: int = CONNECTION_POOL_SIZE, **timeouts: float | None) -> AiohttpRequest:
        return AiohttpRequest(self, pool_size=pool_size, **timeouts)

    async def open(self) -> None:
        self._users += 1
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections, limit_per_host=self.connections)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": BaseRequest.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),
            )

    async def close(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users == 0 and self._session is not None and not self._session.closed:
            await self._session.close()
            self._session = None


class AiohttpRequest(BaseRequest):
    """One PTB request kind (ordinary calls, or getUpdates) over the shared transport."""

    def __init__(
        self,
        transport: TelegramTransport,
        *,
        pool_size: int = CONNECTION_POOL_SIZE,
        read_timeout: float | None = READ_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._transport = transport
        self._slots = asyncio.Semaphore(pool_size)  # this kind's share of the connections, as PTB's pool size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._open = False
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if not self._open:
            self._open = True
            await self._transport.open()

    async def shutdown(self) -> None:
        if self._open:
            self._open = False
            await self._transport.close()

    def _timeout(
        self, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp times the pool wait and the connect together (`connect`), the socket connect alone
        (`sock_connect`) and each read (`sock_read`); it has no write timeout, so the write's share bounds the
        whole call (`total`). Built once per combination: PTB passes the same few every time."""
        key = (read, write, connect, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            parts = (read, write, connect, pool)
            total = None if any(part is None for part in parts) else sum(part for part in parts if part is not None)
            before = None if connect is None or pool is None else connect + pool
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=total, connect=before, sock_connect=connect, sock_read=read
            )
        return timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if not self._open:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        body: Any = None
        if files:
            form = aiohttp.FormData()
            for name, value in (request_data.json_parameters if request_data else {}).items():
                form.add_field(name, value)
            for name, part in files.items():
                if isinstance(part, tuple):
                    filename, content, *rest = part
                    form.add_field(name, content, filename=filename, content_type=rest[0] if rest else None)
                else:
                    form.add_field(name, part)
            body = form
        elif request_data is not None:
            body = request_data.json_parameters  # form-encoded, as PTB's default sends them

        try:
            if self._slots.locked():  # only a full pool waits, and only then is the wait timed
                async with asyncio.timeout(pool):
                    await self._slots.acquire()
            else:
                await self._slots.acquire()
        except TimeoutError as error:
            raise TimedOut(
                "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to "
                "Telegram. Consider adjusting the connection pool size or the pool timeout."
            ) from error
        try:
            async with self._transport.session.request(
                method,
                url,
                data=body,
                timeout=self._timeout(read, write, connect, pool),
                proxy=self._transport.proxy_for(url),
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
        finally:
            self._slots.release()
