"""Who is on the other end of a request: the client's address, scheme and host, believing X-Forwarded-* only
from the reverse proxies listed in VIKTIG_TRUSTED_PROXIES.

Without that setting every request is taken at face value from the TCP peer, so a client cannot dodge login
throttling by inventing an X-Forwarded-For header. Behind a trusted proxy, the client is the right-most address in
X-Forwarded-For that is not itself a trusted proxy (the left part of the header is whatever the client sent).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDictProxy

from surveys.security_settings import Network
from web.keys import SETTINGS


@dataclass(frozen=True)
class ClientInfo:
    address: str
    scheme: str
    host: str

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"


CLIENT = web.RequestKey("web_client_info", ClientInfo)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in trusted)


def _last_value(header: str | None) -> str:
    return header.split(",")[-1].strip() if header else ""


def resolve_client(
    peer: str | None, headers: CIMultiDictProxy[str], trusted: tuple[Network, ...], scheme: str, host: str
) -> ClientInfo:
    """The pure rule, so it can be checked without a server."""
    get = headers.get
    address = peer or "unknown"
    if not trusted or not _is_trusted(address, trusted):
        return ClientInfo(address, scheme, host)
    hops = [hop.strip() for value in headers.getall("X-Forwarded-For", []) for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        address = hop
        if not _is_trusted(hop, trusted):
            break
    forwarded_scheme = _last_value(get("X-Forwarded-Proto")).lower()
    forwarded_host = _last_value(get("X-Forwarded-Host"))
    return ClientInfo(
        address,
        forwarded_scheme if forwarded_scheme in ("http", "https") else scheme,
        forwarded_host if forwarded_host and "/" not in forwarded_host and " " not in forwarded_host else host,
    )


def client_of(request: web.Request) -> ClientInfo:
    if CLIENT not in request:
        settings = request.app[SETTINGS]
        request[CLIENT] = resolve_client(
            request.remote, request.headers, settings.trusted_proxies, request.scheme, request.host
        )
    return request[CLIENT]


def public_base_url(request: web.Request) -> str:
    """VIKTIG_PUBLIC_URL when set; otherwise the scheme and host the client used (as a trusted proxy says)."""
    return request.app[SETTINGS].public_url or client_of(request).base_url
