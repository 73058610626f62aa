"""Webhook throughput of one server process: updates/s, latency and server CPU per update, beside a ceiling bot.

The server (create_app + the Telegram channel in webhook mode) runs in its own process, so the figure is what
one process does; this process plays Telegram (the fake Bot API from the tests) and N people who each wait for
the bot's reply before writing again. Latency is measured from the moment the fake starts a webhook POST to the
moment the server answers it (the update is stored and its replies are sent by then).

Each database gets two runs side by side: Viktig, and the ceiling bot of bench/ceiling_bot.py (PTB over the same
transport, the same conversation shape, one durable INSERT per update). Server CPU per update is the server
process's user+system CPU time (from /proc) over the run divided by the updates: on a shared machine it stays
meaningful when wall-clock rates do not.

The outgoing rate limiter is set far above Telegram's 30 messages/s here, because the fake does not limit and the
question is how much one process can do, not how fast Telegram lets us send.

    python bench/telegram_throughput.py [--respondents 50] [--answers 5] [--database-url URL] [--profile FILE]

Without --database-url it runs on a fresh SQLite file and, if TEST_DATABASE_URL is set, a fresh PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveys.i18n import t  # noqa: E402
from tests.support.fake_bot_api import FakeBotApi, Webhook  # noqa: E402
from tests.support.fake_updates import Update  # noqa: E402
from tests.support.serve_cluster import wait_until_ready  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"


class TimedFake(FakeBotApi):
    """The fake Bot API, timing each webhook POST."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latencies: list[float] = []

    async def _post(self, target: str, update: Update, webhook: Webhook) -> int | str:
        started = time.perf_counter()
        status = await super()._post(target, update, webhook)
        self.latencies.append(time.perf_counter() - started)
        return status


# -- the server process ----------------------------------------------------------------------------------------


def ceiling_child(database_url: str, port: int, base_url: str, token: str) -> None:
    from bench.ceiling_bot import serve

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(15, stop.set)
        await serve(database_url, port, base_url, token, stop)

    asyncio.run(main())


def serve_child(database_url: str, port: int, base_url: str, token: str, profile: str | None) -> None:
    from aiohttp import web

    from bot.limits import SendLimits
    from surveys.settings import Settings
    from viktig.context import AppContext
    from viktig.server import add_telegram, create_app

    async def main() -> None:
        settings = Settings(
            database_url=database_url,
            secret_key=SECRET,
            telegram_bot_token=token,
            telegram_api_base_url=base_url,
            public_url=f"http://127.0.0.1:{port}",
            port=port,
        )
        ctx = AppContext.create(settings)
        app = create_app(ctx, with_telegram=False)
        limits = SendLimits(
            overall_per_second=100_000, overall_burst=100_000, per_chat_per_second=10_000, per_chat_burst=100
        )
        add_telegram(app, ctx, limits=limits, reminder_interval=None)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(15, stop.set)
        await stop.wait()
        await runner.cleanup()
        await ctx.close()

    if profile:
        import cProfile

        cProfile.runctx("asyncio.run(main())", globals(), {"asyncio": asyncio, "main": main}, filename=profile)
    else:
        asyncio.run(main())


# -- the people ------------------------------------------------------------------------------------------------


async def person(fake: FakeBotApi, chat_id: int, code: str, answers: int) -> int:
    """One respondent's whole conversation; returns how many updates it sent."""
    seen = 0

    async def push(update: Update, expect: int = 1) -> None:
        nonlocal seen
        await fake.push(update)
        seen += expect
        await fake.wait_for_messages(chat_id, seen, timeout=120)

    await push(fake.command(chat_id, "start", code))
    await push(fake.press(chat_id, t("nb", "consent.yes")))
    for number in range(answers):
        await push(fake.message(chat_id, f"Svar nummer {number} fra {chat_id}: tid med familien og turer i skogen"))
    await push(fake.press(chat_id, t("nb", "question.no_more")))
    await push(fake.message(chat_id, "Mer tid til å prate"))
    await push(fake.press(chat_id, t("nb", "summary.send")), expect=2)
    return answers + 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat (fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(
    database_url: str, respondents: int, answers: int, profile: str | None, bot: str = "viktig"
) -> dict[str, float]:
    from surveys.campaigns import add_unit, create_campaign, get_unit_by_name
    from surveys.db import create_engine, session_factory

    engine = create_engine(database_url)
    async with session_factory(engine)() as session, session.begin():
        unit = await get_unit_by_name(session, "Benk") or await add_unit(session, "Benk")
        code = (await create_campaign(session, name=f"Benk {bot}", unit=unit)).code
    await engine.dispose()

    port = free_port()
    timed = TimedFake(retry_delay=0.05, max_retry_delay=0.5)
    async with timed as fake:
        command = [
            sys.executable,
            __file__,
            "--serve-child" if bot == "viktig" else "--ceiling-child",
            database_url,
            str(port),
            fake.base_url,
            fake.token,
            profile or "",
        ]
        child = subprocess.Popen(command, cwd=ROOT)  # noqa: ASYNC220 - returns at once; the child is killed below
        try:
            deadline = time.monotonic() + 30
            while fake.webhook is None:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError("the server did not register its webhook")
                await asyncio.sleep(0.05)
            await wait_until_ready(f"http://127.0.0.1:{port}", child, deadline)  # then start the clock
            await person(fake, 8_999_999, code, answers)  # warm-up: imports, caches, first connections
            timed.latencies.clear()
            cpu_before, started = cpu_seconds(child.pid), time.perf_counter()
            updates = sum(
                await asyncio.gather(*(person(fake, 9_000_000 + n, code, answers) for n in range(respondents)))
            )
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(child.pid) - cpu_before
        finally:
            child.terminate()
            child.wait(timeout=30)
        assert not fake.violations, fake.violations[:3]
        latencies = sorted(timed.latencies)
    return {
        "updates": updates,
        "seconds": elapsed,
        "updates_per_second": updates / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cpu_ms_per_update": cpu * 1000 / updates,
    }


def databases(arguments: argparse.Namespace, workdir: Path) -> list[tuple[str, str, Any]]:
    from viktig.migrate import upgrade

    if arguments.database_url:
        upgrade(arguments.database_url)
        return [("given", arguments.database_url, None)]
    sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(sqlite_url)
    chosen: list[tuple[str, str, Any]] = [("sqlite", sqlite_url, None)]
    admin = os.environ.get("TEST_DATABASE_URL")
    if admin:
        from tests.support.databases import create_postgres_database, drop_postgres_database

        url = create_postgres_database(admin)
        upgrade(url)
        chosen.append(("postgresql", url, lambda: drop_postgres_database(admin, url)))
    return chosen


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--ceiling-child":
        database_url, port, base_url, token = sys.argv[2:6]
        ceiling_child(database_url, int(port), base_url, token)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-child":
        database_url, port, base_url, token, profile = sys.argv[2:7]
        serve_child(database_url, int(port), base_url, token, profile or None)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--answers", type=int, default=5, help="free-text answers per respondent (each one update)")
    parser.add_argument(
        "--database-url", help="run on this database only (default: SQLite, plus PostgreSQL from TEST_DATABASE_URL)"
    )
    parser.add_argument("--profile", help="write a cProfile of the server process to this file")
    arguments = parser.parse_args()
    print(
        f"{arguments.respondents} respondents at once, {arguments.answers + 5} updates each; "
        f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at the start",
        flush=True,
    )
    print(
        f"{'database':10s} {'bot':8s} {'updates':>7s} {'updates/s':>9s} {'p50 ms':>7s} {'p99 ms':>7s} "
        f"{'CPU ms/update':>13s} {'CPU ratio':>9s} {'rate ratio':>10s}  (ratios: to the ceiling bot)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as workdir:
        for name, url, cleanup in databases(arguments, Path(workdir)):
            try:
                results = {
                    bot: asyncio.run(run(url, arguments.respondents, arguments.answers, arguments.profile, bot))
                    for bot in ("viktig", "ceiling")
                }
            finally:
                if cleanup:
                    cleanup()
            ceiling = results["ceiling"]
            for bot, result in results.items():
                cpu_ratio = result["cpu_ms_per_update"] / ceiling["cpu_ms_per_update"]
                rate_ratio = result["updates_per_second"] / ceiling["updates_per_second"]
                print(
                    f"{name:10s} {bot:8s} {result['updates']:7.0f} {result['updates_per_second']:9.0f} "
                    f"{result['p50_ms']:7.1f} {result['p99_ms']:7.1f} {result['cpu_ms_per_update']:13.2f} "
                    f"{cpu_ratio:8.2f}x {rate_ratio:9.2f}x",
                    flush=True,
                )
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
