"""Who may read /metrics: a client at a trusted address (VIKTIG_METRICS_ALLOW, by default this machine only), or
one that sends `Authorization: Bearer <VIKTIG_METRICS_TOKEN>`.

The address is the client's as resolved through VIKTIG_TRUSTED_PROXIES, so a request from the internet that comes
in through the reverse proxy is judged by where it really came from, not by the proxy's own loopback address.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDictProxy

from surveys.security_settings import Network
from surveys.settings import Settings
from web.client_info import resolve_client

LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@dataclass(frozen=True)
class MetricsAccess:
    allowed: tuple[Network, ...]
    trusted_proxies: tuple[Network, ...]
    token: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> MetricsAccess:
        return cls(settings.metrics_allow or LOOPBACK, settings.trusted_proxies, settings.metrics_token)

    def permits(self, peer: str | None, headers: CIMultiDictProxy[str]) -> bool:
        given = headers.get("Authorization", "")
        if self.token and given.startswith("Bearer "):
            return hmac.compare_digest(given.removeprefix("Bearer ").strip().encode(), self.token.encode())
        address = resolve_client(peer, headers, self.trusted_proxies, "http", "").address
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.allowed)


METRICS_ACCESS: web.AppKey[MetricsAccess] = web.AppKey("metrics_access")


def require_metrics_access(request: web.Request) -> None:
    access = request.app.get(METRICS_ACCESS) or MetricsAccess(LOOPBACK, (), None)
    if not access.permits(request.remote, request.headers):
        raise web.HTTPForbidden(
            text="403: /metrics is for this machine, VIKTIG_METRICS_ALLOW or a VIKTIG_METRICS_TOKEN bearer token."
        )
