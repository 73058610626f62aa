"""`viktig worker`: the periodic jobs (reminders, scheduled analysis, retention purge), safe to run twice.

SIGTERM or SIGINT stops the worker after the job that is running has finished, so a purge or a reminder sweep is
never cut in half by a deploy.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from viktig.cli import UserError, ensure_database_writable
from viktig.context import AppContext

if TYPE_CHECKING:  # imported when the worker runs: `viktig --help` need not load aiohttp and the job stack
    from viktig.metrics_access import MetricsAccess

log = logging.getLogger(__name__)
JOB_NAMES = ("reminders", "analysis", "retention")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="run the periodic jobs: reminders, scheduled analysis, retention purge",
        description="Run reminders (every minute), analysis of live campaigns with new answers (hourly) and the "
        "retention purge (daily). Several workers may run against PostgreSQL: each job is locked while it runs and "
        "its schedule is shared. On SQLite run exactly one worker.",
    )
    worker.add_argument("--once", action="store_true", help="run the jobs that are due once, then exit")
    worker.add_argument("--force", action="store_true", help="with --once: run the chosen jobs even if not due")
    worker.add_argument("--job", action="append", choices=JOB_NAMES, help="run only this job (repeatable)")
    worker.add_argument("--tick", type=float, default=30.0, help="seconds between schedule checks (default 30)")
    worker.add_argument(
        "--every",
        action="append",
        default=[],
        metavar="JOB=SECONDS",
        help="override a job's interval, e.g. --every reminders=10",
    )
    worker.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve the worker's Prometheus metrics (job runs, durations, errors) at http://HOST:PORT/metrics "
        "while it runs (default: off)",
    )
    worker.set_defaults(handler=_worker)


@asynccontextmanager
async def _metrics(host: str, port: int | None, access: MetricsAccess) -> AsyncIterator[None]:
    """The worker's /metrics while it runs, when --metrics-port is given; a port that is taken is a clear error."""
    from viktig.observability import metrics_server

    async with AsyncExitStack() as stack:
        if port is not None:
            if not 0 <= port < 65536:
                raise UserError(f"--metrics-port must be a number between 1 and 65535, not {port}")
            try:
                await stack.enter_async_context(metrics_server(host, port, access))
            except OSError as error:
                raise UserError(f"cannot serve metrics on {host}:{port}: {error.strerror or error}") from error
        yield


def _intervals(pairs: list[str]) -> dict[str, float]:
    intervals = {}
    for pair in pairs:
        name, _, seconds = pair.partition("=")
        if name not in JOB_NAMES or not seconds.replace(".", "", 1).isdigit():
            raise UserError(f"--every expects JOB=SECONDS with JOB one of {', '.join(JOB_NAMES)}, not {pair!r}")
        intervals[name] = float(seconds)
    return intervals


async def _worker(args: argparse.Namespace, ctx: AppContext) -> int:
    from viktig.jobs import ProcessLockHeld, Scheduler, default_jobs, single_sqlite_process
    from viktig.metrics_access import MetricsAccess

    jobs = [job for job in default_jobs(_intervals(args.every)) if not args.job or job.name in args.job]
    await ensure_database_writable(ctx)
    scheduler = Scheduler(ctx, jobs)
    try:
        with single_sqlite_process(ctx.settings.database_url, "worker"):
            if args.once:
                results = await scheduler.run_due(force=args.force)
                return 1 if any(result.outcome == "error" for result in results) else 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            async with _metrics(ctx.settings.host, args.metrics_port, MetricsAccess.from_settings(ctx.settings)):
                log.info("worker_started jobs=%s tick_s=%s", ",".join(job.name for job in jobs), args.tick)
                await scheduler.run_forever(stop, tick=args.tick)
            log.info("worker_stopped reason=signal")
            return 0
    except ProcessLockHeld as held:
        raise UserError(
            "another `viktig worker` is already running on this SQLite database. SQLite supports one worker; "
            "use PostgreSQL (DATABASE_URL=postgresql://...) to run several."
        ) from held
