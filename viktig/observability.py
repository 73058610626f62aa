"""What operators see of a running `viktig serve`: Prometheus metrics at /metrics and one key=value line per problem.

Route labels are the route's pattern (e.g. `/s/{code}`), never the concrete path, so no campaign code, token or
person ends up in a metric; unmatched paths share one label so scanners cannot blow up the series count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from surveys import metrics
from viktig.context import AppContext

log = logging.getLogger("viktig.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup_observability(app: web.Application, ctx: AppContext) -> None:
    """Add /metrics and the request-measuring middleware; called by viktig.server.create_app."""
    app.middlewares.append(observe_requests)
    app.router.add_get("/metrics", metrics_endpoint)
    pool = ctx.db.pool
    if hasattr(pool, "checkedout"):
        metrics.DB_POOL_IN_USE.set_function(pool.checkedout)


async def metrics_endpoint(_request: web.Request) -> web.Response:
    return web.Response(
        body=metrics.REGISTRY.render().encode(), headers={"Content-Type": metrics.Registry.CONTENT_TYPE}
    )


def route_label(request: web.Request) -> str:
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_label(request)
    started = time.perf_counter()
    status = 500
    metrics.IN_FLIGHT.inc()
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
        metrics.IN_FLIGHT.dec()
        metrics.HTTP_REQUESTS.inc(route=route, status=f"{status // 100}xx")
        metrics.HTTP_LATENCY.observe(duration, route=route)
        if status >= 500:  # an exception, or a handler saying "try again" (the webhook when storage is down)
            metrics.ERRORS.inc(component="http")
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
