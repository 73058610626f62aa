"""What operators see of a running `viktig serve` (and `viktig worker`): Prometheus metrics at /metrics and one
key=value line per problem.

Route labels are the route's pattern (e.g. `/s/{code}`), never the concrete path, so no campaign code, token or
person ends up in a metric; unmatched paths share one label so scanners cannot blow up the series count.

With `viktig serve --processes N` the supervisor gives every child the same PROMETHEUS_MULTIPROC_DIR, where
prometheus_client keeps each process's values in files; a scrape, whichever child answers it, sums them all.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from viktig.context import AppContext
from viktig.metrics_access import METRICS_ACCESS, MetricsAccess, require_metrics_access

log = logging.getLogger("viktig.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PoolInUse = Callable[[], int]
POOL_IN_USE: web.AppKey[PoolInUse] = web.AppKey("db_pool_in_use")

ERRORS = Counter("viktig_errors_total", "Errors by component (http: 5xx answers; job: failed jobs).", ("component",))
HTTP_REQUESTS = Counter(
    "viktig_http_requests_total", "HTTP requests answered, by route and status class.", ("route", "status")
)
HTTP_LATENCY = Histogram("viktig_http_request_seconds", "HTTP request latency by route.", ("route",))
IN_FLIGHT = Gauge(
    "viktig_http_in_flight_requests", "HTTP requests being handled right now.", multiprocess_mode="livesum"
)
DB_POOL_IN_USE = Gauge(
    "viktig_db_pool_connections_in_use",
    "Database connections checked out of the server processes' pools.",
    multiprocess_mode="livesum",
)


def setup_observability(app: web.Application, ctx: AppContext) -> None:
    """Add /metrics and the request-measuring middleware; called by viktig.server.create_app."""
    app.middlewares.append(observe_requests)
    app.router.add_get("/metrics", metrics_endpoint)
    app[METRICS_ACCESS] = MetricsAccess.from_settings(ctx.settings)
    pool = ctx.db.pool
    if hasattr(pool, "checkedout"):
        app[POOL_IN_USE] = pool.checkedout
        DB_POOL_IN_USE.set(pool.checkedout())


def check_metrics_access(request: web.Request) -> None:
    """The one place that decides who may read /metrics, for `viktig serve` and `viktig worker` alike.

    Trusted addresses or a bearer token (viktig.metrics_access); anyone else gets 403.
    """
    require_metrics_access(request)


def render_metrics() -> bytes:
    """This process's series, or every process's summed when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


async def metrics_endpoint(request: web.Request) -> web.Response:
    check_metrics_access(request)
    in_use = request.app.get(POOL_IN_USE)
    if in_use is not None:
        DB_POOL_IN_USE.set(in_use())
    return web.Response(body=render_metrics(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


@asynccontextmanager
async def metrics_server(host: str, port: int, access: MetricsAccess | None = None) -> AsyncIterator[int]:
    """/metrics alone on HOST:PORT, for a process that serves nothing else (`viktig worker --metrics-port`).

    Yields the port it listens on (useful with port 0).
    """
    app = web.Application()
    app.router.add_get("/metrics", metrics_endpoint)
    if access is not None:
        app[METRICS_ACCESS] = access
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = int(runner.addresses[0][1])
        log.info("metrics_serving host=%s port=%d", host, bound)
        yield bound
    finally:
        await runner.cleanup()


def route_label(request: web.Request) -> str:
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_label(request)
    started = time.perf_counter()
    status = 500
    IN_FLIGHT.inc()
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    except Exception as error:
        log.error("http_error method=%s route=%s error=%s", request.method, route, type(error).__name__)
        raise
    finally:
        duration = time.perf_counter() - started
        IN_FLIGHT.dec()
        HTTP_REQUESTS.labels(route, f"{status // 100}xx").inc()
        HTTP_LATENCY.labels(route).observe(duration)
        in_use = request.app.get(POOL_IN_USE)
        if in_use is not None:
            DB_POOL_IN_USE.set(in_use())  # kept current per request: in multiprocess mode a gauge cannot be a callback
        if status >= 500:  # an exception, or a handler saying "try again" (the webhook when storage is down)
            ERRORS.labels("http").inc()
            log.warning(
                "http_request method=%s route=%s status=%d duration_ms=%.1f",
                request.method,
                route,
                status,
                duration * 1000,
            )
        elif log.isEnabledFor(logging.DEBUG):
            log.debug(
                "http_request method=%s route=%s status=%d duration_ms=%.1f",
                request.method,
                route,
                status,
                duration * 1000,
            )
