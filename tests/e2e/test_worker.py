"""`viktig worker`: job locks, the shared schedule, graceful stop, and two worker processes never sending a reminder
twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from surveys.importer import import_answers
from surveys.models import JobRun, ThemeRun, utcnow
from surveys.settings import Settings
from tests.conftest import TEST_SECRET
from viktig.context import AppContext
from viktig.jobs import Job, JobResult, Scheduler, campaigns_with_new_answers, exclusive_file_lock, job_locks

ROOT = Path(__file__).resolve().parents[2]


class SlowJob:
    """A job payload that records how many copies of itself run at the same moment."""

    def __init__(self, seconds: float = 0.3) -> None:
        self.seconds = seconds
        self.running = 0
        self.most_at_once = 0
        self.runs = 0

    async def __call__(self, _ctx: AppContext) -> dict[str, int]:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.running -= 1
        self.runs += 1
        return {"items": 2}


@pytest.fixture
async def contexts(database_url: str):
    """Two application contexts (two engines, two pools) on one database, as two worker processes would have."""
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET)
    first, second = AppContext.create(settings), AppContext.create(settings)
    yield first, second
    await first.close()
    await second.close()


async def test_two_schedulers_never_run_the_same_job_at_once(contexts) -> None:
    first, second = contexts
    payload = SlowJob()
    job = Job("slow", timedelta(hours=1), payload)
    results = await asyncio.gather(
        Scheduler(first, [job]).run_job(job, force=True), Scheduler(second, [job]).run_job(job, force=True)
    )
    assert sorted(result.outcome for result in results) == ["ok", "skipped_locked"]
    assert payload.most_at_once == 1 and payload.runs == 1
    async with first.sessions() as session:
        record = await session.get(JobRun, "slow")
    assert (
        record is not None and record.runs == 1 and record.last_outcome == "ok" and record.last_summary == {"items": 2}
    )


async def test_the_schedule_is_shared_so_a_second_worker_does_not_rerun_a_job(contexts) -> None:
    first, second = contexts
    payload = SlowJob(0.01)
    job = Job("hourly", timedelta(hours=1), payload)
    assert [r.outcome for r in await Scheduler(first, [job]).run_due()] == ["ok"]
    assert [r.outcome for r in await Scheduler(second, [job]).run_due()] == ["not_due"]
    later = Scheduler(second, [job], clock=lambda: utcnow() + timedelta(hours=1, seconds=1))
    assert [r.outcome for r in await later.run_due()] == ["ok"]
    assert payload.runs == 2


async def test_the_lock_is_released_after_a_failing_job_and_the_failure_recorded(contexts) -> None:
    first, second = contexts

    async def broken(_ctx: AppContext) -> dict[str, int]:
        raise RuntimeError("the database went away")

    failing = Job("flaky", timedelta(seconds=0), broken)
    assert (await Scheduler(first, [failing]).run_job(failing)).outcome == "error"
    async with job_locks(second).hold("flaky") as held:
        assert held
    async with first.sessions() as session:
        record = await session.get(JobRun, "flaky")
    assert record is not None and record.failures == 1 and record.last_outcome == "error"


async def test_a_stop_request_lets_the_running_job_finish_and_starts_no_other(contexts) -> None:
    first, _second = contexts
    slow, other = SlowJob(0.4), SlowJob(0.01)
    scheduler = Scheduler(first, [Job("a", timedelta(0), slow), Job("b", timedelta(0), other)])
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_due(stop=stop))
    await asyncio.sleep(0.1)
    stop.set()
    results: list[JobResult] = await task
    assert [(r.job, r.outcome) for r in results] == [("a", "ok")]
    assert slow.runs == 1 and other.runs == 0


async def test_only_live_campaigns_with_answers_newer_than_their_last_analysis_are_picked(
    contexts, make_campaign
) -> None:
    ctx, _second = contexts
    fresh = await make_campaign(name="Fersk")
    analysed = await make_campaign(name="Analysert")
    await make_campaign(name="Tom")
    closed = await make_campaign(name="Lukket", draft=True)
    async with ctx.sessions() as session, session.begin():
        for campaign in (fresh, analysed, closed):
            await import_answers(session, campaign, "tekst\nÅ bli hørt\n".encode(), filename="kort.csv")
    async with ctx.sessions() as session, session.begin():
        session.add(ThemeRun(campaign_id=analysed.id, created_at=utcnow() + timedelta(minutes=1), n_answers=1))
    assert await campaigns_with_new_answers(ctx) == [fresh.code]


def test_a_second_worker_on_one_sqlite_database_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    env = _env(sqlite_url)
    lock = Path(sqlite_url.removeprefix("sqlite:///")).resolve()
    with exclusive_file_lock(lock.with_name(lock.name + ".worker.lock")):
        refused = subprocess.run(
            [sys.executable, "-m", "viktig", "worker", "--once"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert refused.returncode == 1
    assert "SQLite supports one worker" in refused.stderr and "PostgreSQL" in refused.stderr
    alone = subprocess.run(
        [sys.executable, "-m", "viktig", "worker", "--once"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert alone.returncode == 0, alone.stderr


def test_sigterm_stops_a_looping_worker_cleanly(sqlite_url: str, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "viktig", "worker", "--tick", "0.2"],
        env=_env(sqlite_url),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "worker_started" in line:
            break
    time.sleep(0.5)  # a few ticks
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, "".join(seen) + err
    assert "worker_stopped reason=signal" in err


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url, VIKTIG_SECRET_KEY=TEST_SECRET, PYTHONPATH=str(ROOT), **extra)
    return env


REMINDED = 60


async def _conversations_with_due_reminders(url: str, chats: list[int]) -> None:
    """People who started through the engine (as the Telegram channel calls it) and left; reminders are now due."""
    from sqlalchemy import update

    from surveys.campaigns import add_unit, create_campaign
    from surveys.db import create_engine, session_factory
    from surveys.engine import ConversationEngine
    from surveys.messages import Incoming, IncomingKind
    from surveys.models import Conversation

    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        unit = await add_unit(session, "Hjemmetjenesten Vest")
        code = (
            await create_campaign(session, name="Påminnelser", unit=unit, languages="nb", reminder_after_hours=2)
        ).code
    conversations = ConversationEngine(sessions, secret_key=TEST_SECRET)
    for chat in chats:
        person: dict[str, Any] = {
            "channel": "telegram",
            "user_ref": str(chat),
            "address": str(chat),
            "language_hint": "nb",
        }
        started = await conversations.handle(
            Incoming(kind=IncomingKind.command, command="start", argument=code, **person)
        )
        consent = next(b.payload for m in started.messages for b in m.flat_buttons if b.label == "Ja, jeg vil svare")
        await conversations.handle(Incoming(kind=IncomingKind.choice, payload=consent, **person))
    async with sessions() as session, session.begin():
        await session.execute(update(Conversation).values(reminder_due_at=utcnow() - timedelta(minutes=1)))
    await engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
async def test_two_worker_processes_never_send_the_same_reminder_twice(postgres_url: str, tmp_path: Path) -> None:
    from tests.support.fake_bot_api import FakeBotApi

    chats = [8_100_001 + index for index in range(REMINDED)]
    await _conversations_with_due_reminders(postgres_url, chats)
    async with FakeBotApi(require_known_chats=False) as fake:
        env = _env(postgres_url, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url)
        # Both check every 0.1 s and may run the reminder job every 0.2 s: they contend all the time.
        command = [
            sys.executable,
            "-m",
            "viktig",
            "worker",
            "--job",
            "reminders",
            "--every",
            "reminders=0.2",
            "--tick",
            "0.1",
        ]
        workers = [
            # Popen returns at once; the workers run until they are signalled below.
            subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)  # noqa: ASYNC220
            for _ in range(2)
        ]
        try:
            await fake.wait_for_calls("sendMessage", REMINDED, timeout=60)
            await asyncio.sleep(1.5)  # time for a second send, if there were one
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            logs = [await asyncio.to_thread(worker.communicate, timeout=30) for worker in workers]
    per_chat: dict[int, int] = {}
    for call in fake.calls_to("sendMessage"):
        per_chat[call.params["chat_id"]] = per_chat.get(call.params["chat_id"], 0) + 1
    assert per_chat == {chat: 1 for chat in chats}, "\n".join(err for _out, err in logs)
    assert all(worker.returncode == 0 for worker in workers)
    finished = [err.count("job_finished job=reminders") for _out, err in logs]
    assert all(count >= 1 for count in finished), "both workers ran the job (taking turns)"


def test_worker_once_analyses_a_live_campaign_with_new_answers_then_finds_nothing_new(
    sqlite_url: str, tmp_path: Path
) -> None:
    import json
    import sqlite3

    env = _env(sqlite_url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "viktig", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
        )

    run("unit", "add", "Sykehjemmet")
    code = json.loads(run("campaign", "create", "--name", "Dagen", "--unit", "Sykehjemmet", "--json").stdout)["code"]
    cards = tmp_path / "kort.csv"
    cards.write_text(
        "tekst\n"
        + "\n".join(
            [
                "Å være sammen med familien",
                "Gå tur ute i frisk luft",
                "Familien kommer på besøk",
                "Turer i skogen",
                "God mat og kaffe",
                "Kaffe med de andre",
            ]
        )
        + "\n"
    )
    assert run("answers", "import", str(cards), "--campaign", code).returncode == 0
    first = run("worker", "--once", "--job", "analysis")
    assert first.returncode == 0, first.stderr
    assert "job_finished job=analysis outcome=ok" in first.stderr and "campaigns=1" in first.stderr
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as connection:
        assert connection.execute("SELECT count(*) FROM theme_run").fetchone()[0] == 1
    again = run("worker", "--once", "--job", "analysis", "--force")
    assert "campaigns=0" in again.stderr
