"""Periodic jobs (reminders, scheduled analysis, retention purge) and the locks that keep two workers apart.

Why locks and a `job_run` record: any number of `viktig worker` processes may run (a second one for failover).
On PostgreSQL each job holds a session-level advisory lock (`pg_try_advisory_lock`) for as long as it runs, so two
workers never run the same job at the same time; the `job_run` row, read and written under that lock, says when the
job last started, so the schedule is shared too (two workers do not double the frequency). On SQLite one worker is
the supported set-up: an exclusive lock file beside the database keeps a second one out.

Log lines are key=value and carry job names, counts and durations only, never personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import importlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter, Histogram
from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from surveys.models import Answer, Campaign, CampaignStatus, JobRun, ThemeRun, as_utc, utcnow
from viktig.context import AppContext
from viktig.observability import ERRORS

log = logging.getLogger(__name__)

REMINDER_BATCH = 100
REMINDER_MAX_ROUNDS = 20  # at ~30 messages/s, 2,000 reminders keep one run under ~70 s
JobFunction = Callable[[AppContext], Awaitable[dict[str, int]]]

JOB_RUNS = Counter(
    "viktig_job_runs_total", "Periodic job runs by job and outcome (ok, error, skipped_locked).", ("job", "outcome")
)
JOB_DURATION = Histogram(
    "viktig_job_duration_seconds",
    "Periodic job duration by job.",
    ("job",),
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)


class ProcessLockHeld(Exception):
    """Another process already holds a lock that allows only one holder (e.g. a second worker on SQLite)."""


@dataclass(frozen=True)
class Job:
    """A named periodic task; `run` returns counts for the log (never personal data)."""

    name: str
    every: timedelta
    run: JobFunction
    # Returns why the job cannot run in this set-up (no bot token, module missing), or None when it can.
    unavailable: Callable[[AppContext], str | None] = field(default=lambda _ctx: None)


@dataclass(frozen=True)
class JobResult:
    job: str
    outcome: str  # ok | error | skipped_locked | not_due | unavailable
    summary: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0


# -- locks --------------------------------------------------------------------------------------------------------


class JobLocks(Protocol):
    def hold(self, name: str) -> Any:
        """An async context manager yielding True when this process now holds the job's lock, False if another does."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit number for a lock name (PostgreSQL advisory locks take bigint keys)."""
    return int.from_bytes(hashlib.blake2b(f"viktig-job:{name}".encode(), digest_size=8).digest(), "big", signed=True)


class PostgresJobLocks:
    """Session-level advisory locks on a dedicated autocommit connection, held while the job runs.

    If the worker dies, PostgreSQL drops its connection and with it the lock, so a crash never leaves a job stuck.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        key = advisory_key(name)
        async with self._engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            acquired = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            try:
                yield acquired
            finally:
                if acquired:
                    await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


class FileJobLocks:
    """Non-blocking exclusive lock files beside a SQLite database (one worker is the supported set-up there)."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self._directory = directory
        self._prefix = prefix

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        try:
            with exclusive_file_lock(self._directory / f"{self._prefix}.job-{name}.lock"):
                yield True
        except ProcessLockHeld:
            yield False


def job_locks(ctx: AppContext) -> JobLocks:
    if ctx.db.dialect.name == "postgresql":
        return PostgresJobLocks(ctx.db)
    path = sqlite_path(ctx.settings.database_url)
    return FileJobLocks(path.parent, path.name)


def sqlite_path(database_url: str) -> Path:
    """The database file of a sqlite:/// URL (absolute), the place for its lock files."""
    return Path(database_url.removeprefix("sqlite:///")).resolve()


@contextmanager
def exclusive_file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path`; the kernel releases it when the process ends, even on SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ProcessLockHeld(str(path)) from error
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def single_sqlite_process(database_url: str, role: str) -> Iterator[None]:
    """On SQLite, allow one process of a role (serve, worker) per database file; no-op on PostgreSQL."""
    if not database_url.startswith("sqlite:///") or database_url == "sqlite:///:memory:":
        yield
        return
    path = sqlite_path(database_url)
    with exclusive_file_lock(path.with_name(f"{path.name}.{role}.lock")):
        yield


# -- scheduling ---------------------------------------------------------------------------------------------------


class Scheduler:
    """Runs the due jobs, each under its lock, and records every run in `job_run`."""

    def __init__(
        self, ctx: AppContext, jobs: list[Job], locks: JobLocks | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.ctx = ctx
        self.jobs = jobs
        self.locks = locks or job_locks(ctx)
        self.clock = clock

    async def run_due(self, *, force: bool = False, stop: asyncio.Event | None = None) -> list[JobResult]:
        results = []
        for job in self.jobs:
            if stop is not None and stop.is_set():
                break
            results.append(await self._run_guarded(job, force=force))
        return results

    async def _run_guarded(self, job: Job, *, force: bool) -> JobResult:
        """A job whose lock, schedule or record cannot be reached (database down) fails, the worker carries on."""
        started = time.perf_counter()
        try:
            return await self.run_job(job, force=force)
        except Exception as error:  # a database outage must not end the worker: logged, retried with back-off
            duration = time.perf_counter() - started
            JOB_RUNS.labels(job.name, "error").inc()
            ERRORS.labels("job").inc()
            log.error(
                "job_failed job=%s error=%s duration_ms=%d stage=bookkeeping",
                job.name,
                type(error).__name__,
                duration * 1000,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            return JobResult(job.name, "error", {}, duration)

    async def run_job(self, job: Job, *, force: bool = False) -> JobResult:
        reason = job.unavailable(self.ctx)
        if reason is not None:
            log.debug("job_unavailable job=%s reason=%s", job.name, reason)
            return JobResult(job.name, "unavailable")
        async with self.locks.hold(job.name) as held:
            if not held:
                JOB_RUNS.labels(job.name, "skipped_locked").inc()
                log.info("job_skipped job=%s reason=locked_by_other_worker", job.name)
                return JobResult(job.name, "skipped_locked")
            if not force and not await self._due(job):
                return JobResult(job.name, "not_due")
            return await self._run_recorded(job)

    async def _due(self, job: Job) -> bool:
        async with self.ctx.sessions() as session:
            record = await session.get(JobRun, job.name)
        return (
            record is None
            or record.last_started_at is None
            or as_utc(record.last_started_at) + job.every <= self.clock()
        )

    async def _run_recorded(self, job: Job) -> JobResult:
        await self._record(job.name, started=True)
        log.info("job_started job=%s", job.name)
        started = time.perf_counter()
        try:
            summary = await job.run(self.ctx)
        except Exception as error:
            duration = time.perf_counter() - started
            JOB_RUNS.labels(job.name, "error").inc()
            ERRORS.labels("job").inc()
            JOB_DURATION.labels(job.name).observe(duration)
            log.error(
                "job_failed job=%s error=%s duration_ms=%d",
                job.name,
                type(error).__name__,
                duration * 1000,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            with contextlib.suppress(Exception):  # the database may be what failed; the log line above says so
                await self._record(job.name, outcome="error", summary={})
            return JobResult(job.name, "error", {}, duration)
        duration = time.perf_counter() - started
        JOB_RUNS.labels(job.name, "ok").inc()
        JOB_DURATION.labels(job.name).observe(duration)
        details = " ".join(f"{key}={value}" for key, value in sorted(summary.items()))
        log.info("job_finished job=%s outcome=ok duration_ms=%d %s", job.name, duration * 1000, details)
        await self._record(job.name, outcome="ok", summary=summary)
        return JobResult(job.name, "ok", summary, duration)

    async def _record(
        self, name: str, *, started: bool = False, outcome: str | None = None, summary: dict[str, int] | None = None
    ) -> None:
        async with self.ctx.sessions() as session, session.begin():
            record = await session.get(JobRun, name) or JobRun(name=name)
            now = self.clock()
            if started:
                record.last_started_at = now
                record.runs += 1
            else:
                record.last_finished_at = now
                record.last_outcome = outcome
                record.last_summary = summary or {}
                record.failures += outcome == "error"
            session.add(record)

    async def run_forever(self, stop: asyncio.Event, tick: float = 30.0) -> None:
        """Check the schedule every `tick` seconds until `stop` is set; a running job is never interrupted.

        After a round with a failed job the next check waits `retry_delay` instead (1 s, doubling up to
        RETRY_DELAY_MAX), so a database outage is retried soon without hammering the database or the log.
        """
        failures = 0
        while not stop.is_set():
            results = await self.run_due(stop=stop)
            failures = failures + 1 if any(result.outcome == "error" for result in results) else 0
            wait = retry_delay(failures) if failures else tick
            if failures:
                log.warning("job_retry_scheduled failures=%d wait_s=%.0f", failures, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


RETRY_DELAY_MAX = 60.0


def retry_delay(failures: int) -> float:
    """Back-off after `failures` failed rounds in a row: 1, 2, 4 ... seconds, at most RETRY_DELAY_MAX."""
    return float(min(RETRY_DELAY_MAX, 2 ** (failures - 1)))


# -- the jobs -----------------------------------------------------------------------------------------------------


def counts(result: object) -> dict[str, int]:
    """The integer fields of whatever a job function returned (a number, a dict or a dataclass) for the log."""
    if isinstance(result, bool) or result is None:
        return {}
    if isinstance(result, int):
        return {"count": result}
    if is_dataclass(result) and not isinstance(result, type):
        result = asdict(result)
    if isinstance(result, dict):
        return {
            str(key): int(value)
            for key, value in result.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        }
    if isinstance(result, (list, tuple)):
        return {"count": len(result)}
    return {}


def _module_missing(name: str) -> str | None:
    try:
        importlib.import_module(name)
    except ImportError:
        return f"{name} is not installed"
    return None


def _reminders_unavailable(ctx: AppContext) -> str | None:
    if not ctx.settings.telegram_bot_token:
        return "TELEGRAM_BOT_TOKEN is not set"
    return _module_missing("bot.reminders")


def _bot(ctx: AppContext) -> Any:
    """A Bot built from the same settings as `viktig serve` (imported late: the worker runs without bot/ too)."""
    from telegram import Bot

    settings = ctx.settings
    options: dict[str, Any] = {}
    if settings.telegram_api_base_url:
        options["base_url"] = settings.telegram_api_base_url
    assert settings.telegram_bot_token is not None
    return Bot(settings.telegram_bot_token, **options)


async def send_reminders(ctx: AppContext) -> dict[str, int]:
    """Send the due Telegram reminders through a Bot built from the same settings as `viktig serve`."""
    from bot.reminders import send_due_reminders

    sent = rounds = 0
    async with _bot(ctx) as bot:
        # Batches of REMINDER_BATCH, claimed and marked sent in the database before sending; drain a backlog.
        while rounds < REMINDER_MAX_ROUNDS:
            batch = await send_due_reminders(ctx, bot, limit=REMINDER_BATCH)
            sent += batch
            rounds += 1
            if batch < REMINDER_BATCH:
                break
    return {"sent": sent, "batches": rounds}


async def send_notifications(ctx: AppContext) -> dict[str, int]:
    """Tell the people who asked what was done with the answers (bot.notifications), with its own Bot."""
    from bot.notifications import send_due_notifications

    async with _bot(ctx) as bot:
        return {"sent": await send_due_notifications(ctx, bot)}


async def campaigns_with_new_answers(ctx: AppContext) -> list[str]:
    """Codes of live campaigns that have answers newer (or edited later) than their latest theme run."""
    newest_answer = func.max(func.coalesce(Answer.edited_at, Answer.created_at))
    latest_run = (
        select(func.max(ThemeRun.created_at))
        .where(col(ThemeRun.campaign_id) == Campaign.id)
        .correlate(Campaign)
        .scalar_subquery()
    )
    query = (
        select(col(Campaign.code))
        .join(Answer, col(Answer.campaign_id) == Campaign.id)
        .where(col(Campaign.status) == CampaignStatus.live.value)
        .group_by(col(Campaign.id), col(Campaign.code))
        .having(or_(latest_run.is_(None), newest_answer > latest_run))
        .order_by(col(Campaign.id))
    )
    async with ctx.sessions() as session:
        return list((await session.execute(query)).scalars())


async def analyse_live_campaigns(ctx: AppContext) -> dict[str, int]:
    """Refresh the themes of live campaigns with new answers (the pipeline runs in a separate process)."""
    from analysis.service import analyse_campaign

    codes = await campaigns_with_new_answers(ctx)
    failed = 0
    for code in codes:
        try:
            await analyse_campaign(ctx.sessions, code, taxonomy_path=ctx.settings.taxonomy_file)
        except Exception as error:  # noqa: BLE001 - one campaign's failure must not stop the others
            failed += 1
            ERRORS.labels("job").inc()
            log.warning("analysis_failed error=%s", type(error).__name__)
    return {"campaigns": len(codes) - failed, "failed": failed}


async def embed_new_answers(ctx: AppContext) -> dict[str, int]:
    """Give newly stored answers their sentence vector, so an analysis only reads vectors (analysis.vectors)."""
    from analysis.vectors import embed_pending

    return await embed_pending(ctx.sessions)


async def purge_expired(ctx: AppContext) -> dict[str, int]:
    """Delete what the retention rules say is due (surveys.retention)."""
    from surveys.retention import run_purge

    return counts(await run_purge(ctx.sessions))


def default_jobs(intervals: dict[str, float] | None = None) -> list[Job]:
    """The production jobs; `intervals` (seconds by job name) overrides the schedule, e.g. in tests."""
    intervals = intervals or {}

    def every(name: str, default: timedelta) -> timedelta:
        return timedelta(seconds=intervals[name]) if name in intervals else default

    return [
        Job("reminders", every("reminders", timedelta(minutes=1)), send_reminders, _reminders_unavailable),
        Job(
            "notifications",
            every("notifications", timedelta(minutes=1)),
            send_notifications,
            _reminders_unavailable,
        ),
        Job(
            "analysis",
            every("analysis", timedelta(hours=1)),
            analyse_live_campaigns,
            lambda _ctx: _module_missing("analysis.service"),
        ),
        Job(
            "embeddings",
            every("embeddings", timedelta(seconds=30)),
            embed_new_answers,
            lambda _ctx: _module_missing("analysis.vectors"),
        ),
        Job(
            "retention",
            every("retention", timedelta(days=1)),
            purge_expired,
            lambda _ctx: _module_missing("surveys.retention"),
        ),
    ]
