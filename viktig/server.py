"""The server factory: one aiohttp application with the dashboard, the web chat and the Telegram channel.

No import-time side effects: `create_app(ctx)` builds everything, and resources open and close in cleanup contexts,
so tests build their own app on a free port.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.telegram import TelegramChannel, setup_telegram
from surveys.models import Theme
from surveys.public_page import LabelFor
from surveys.storage_health import StorageProblem, check_writable
from viktig.analysis_pool import AnalysisPool, analysis_installed
from viktig.context import AppContext
from viktig.observability import setup_observability
from web.app import setup_web

log = logging.getLogger(__name__)

CONTEXT = web.AppKey("context", AppContext)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready means the database takes writes: a read-only or full database answers 503 with the reason."""
    ctx = request.app[CONTEXT]
    try:
        await asyncio.wait_for(check_writable(ctx.db, ctx.settings.database_url), timeout=5)
    except StorageProblem as problem:
        log.warning("readiness check failed: database=%s reason=%s", problem.kind, problem)
        return web.json_response(
            {"status": "unavailable", "database": problem.kind, "reason": str(problem)}, status=503
        )
    except TimeoutError:
        log.warning("readiness check failed: database=unreachable reason=timeout")
        return web.json_response(
            {"status": "unavailable", "database": "unreachable", "reason": "the database did not answer in 5 s"},
            status=503,
        )
    return web.json_response({"status": "ready", "database": "ok"})


ANALYSIS_POOL = web.AppKey("analysis_pool", AnalysisPool)


def create_app(ctx: AppContext, *, with_telegram: bool | None = None, warm_analysis: bool = False) -> web.Application:
    """The whole server; `warm_analysis` starts the analysis process at start-up instead of at the first run."""
    app = web.Application(client_max_size=ctx.settings.upload_max_bytes)
    app[CONTEXT] = ctx
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    setup_observability(app, ctx)
    analyse, theme_labels = None, None
    if analysis_installed():
        theme_labels = taxonomy_labels(ctx.settings.taxonomy_file)
        pool = AnalysisPool(ctx.sessions, ctx.settings.taxonomy_file, warm=warm_analysis)
        app[ANALYSIS_POOL] = pool
        app.cleanup_ctx.append(pool.lifecycle)
        analyse = pool.analyse
    setup_web(
        app,
        settings=ctx.settings,
        sessions=ctx.sessions,
        conversations=ctx.conversations,
        analyse=analyse,
        theme_labels=theme_labels,
    )
    if with_telegram is None:
        with_telegram = bool(ctx.settings.telegram_bot_token)
    if with_telegram:
        add_telegram(app, ctx)
    return app


def taxonomy_labels(path: str | Path | None) -> LabelFor:
    """Taxonomy themes' labels per language for the public page; the file is read once, at the first page."""
    taxonomy: list[Any] = []

    def label_for(theme: Theme, language: str) -> str | None:
        from analysis.taxonomy import TaxonomyError, load_taxonomy

        if theme.taxonomy_key is None:
            return None
        if not taxonomy:
            try:
                taxonomy.append(load_taxonomy(path))
            except TaxonomyError:
                taxonomy.append(None)  # the analysis reports the broken file; the page shows the stored labels
        found = taxonomy[0].theme(theme.taxonomy_key) if taxonomy[0] is not None else None
        return found.label(language) if found is not None else None

    return label_for


def add_telegram(app: web.Application, ctx: AppContext, **options: Any) -> TelegramChannel:
    """The Telegram channel wired from the context; `options` (limits, reminder_interval, ...) as setup_telegram."""
    return setup_telegram(app, settings=ctx.settings, sessions=ctx.sessions, conversations=ctx.conversations, **options)


async def run_server(ctx: AppContext, app: web.Application | None = None, *, reuse_port: bool = False) -> None:
    """Serve until SIGINT/SIGTERM, then stop taking requests and let in-flight ones finish."""
    app = app or create_app(ctx, warm_analysis=True)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=30)
    await runner.setup()
    # The handlers go in before the port opens: a SIGTERM that comes as soon as "serving on" is logged must still
    # shut down gracefully, not kill the process with the default action.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    site = web.TCPSite(runner, ctx.settings.host, ctx.settings.port, reuse_port=reuse_port or None)
    await site.start()
    log.info("serving on http://%s:%s", ctx.settings.host, ctx.settings.port)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()
