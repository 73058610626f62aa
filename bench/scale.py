"""Updates per second for 1, 2 and 4 `viktig serve` processes on one PostgreSQL database (webhook mode).

Each process is a real `python -m viktig serve`; the fake Bot API (tests/support/fake_bot_api.py) spreads webhook
deliveries round-robin over them; N simulated respondents answer at once, each waiting for the bot's reply before
the next message. Prints a table with, per process count, whether anything was lost (answers sent but not
stored, or stored twice) and the serve processes' CPU per update, which on a shared machine says more about
scaling with cores than the wall-clock rate. Needs TEST_DATABASE_URL (an admin URL; a fresh database is created
per run).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/scale.py --respondents 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.databases import TEST_SECRET, create_postgres_database, drop_postgres_database
from tests.support.factories import campaign_in
from tests.support.fake_bot_api import FakeBotApi
from tests.support.raw_database import query
from tests.support.serve_cluster import ServeCluster, answer_survey, postgres_cpu_seconds
from viktig.migrate import upgrade


async def measure(admin_url: str, processes: int, respondents: int, answers: int) -> dict[str, float]:
    url = create_postgres_database(admin_url)
    try:
        upgrade(url)
        code = (await campaign_in(url, "Skalering", languages="nb")).code
        with tempfile.TemporaryDirectory() as workdir:
            async with FakeBotApi(retry_delay=0.02, max_retry_delay=0.2, max_delivery_attempts=100) as fake:
                # Processing capacity, not Telegram's 30 messages/s per bot: lift the send pacing.
                cluster = ServeCluster(
                    url, fake, processes, Path(workdir), TEST_SECRET, extra_env={"TELEGRAM_SEND_RATE": "10000"}
                )
                try:
                    await cluster.start()
                    # Warm-up: a few respondents so every process has its pool and caches ready.
                    await asyncio.gather(
                        *(answer_survey(fake, 9_000_000 + i, code, ["oppvarming"]) for i in range(4 * processes))
                    )
                    started = time.perf_counter()
                    cpu_before = (
                        sum(p.cpu_seconds() for p in cluster.processes),
                        postgres_cpu_seconds(),
                        time.process_time(),
                    )
                    runs = await asyncio.gather(
                        *(
                            answer_survey(
                                fake,
                                1_000_000 + i,
                                code,
                                [f"Svar {n} fra {i}" for n in range(answers)],
                                reply_timeout=60,
                            )
                            for i in range(respondents)
                        )
                    )
                    elapsed = time.perf_counter() - started
                    cpu_after = (
                        sum(p.cpu_seconds() for p in cluster.processes),
                        postgres_cpu_seconds(),
                        time.process_time(),
                    )
                finally:
                    await cluster.stop()
        # Nothing lost: every answer sent is stored exactly once.
        stored = query(url, "SELECT count(*), count(DISTINCT text) FROM answer WHERE text LIKE 'Svar %'")[0]
    finally:
        drop_postgres_database(admin_url, url)
    latencies = sorted(latency for run in runs for latency in run.latencies)
    updates = sum(run.updates for run in runs)
    return {
        "processes": processes,
        "updates": updates,
        "seconds": elapsed,
        "per_second": updates / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "missing": sum(run.missing_replies for run in runs),
        "lost": respondents * answers - int(stored[1]),
        "twice": int(stored[0]) - int(stored[1]),
        "serve_cpu": cpu_after[0] - cpu_before[0],
        "postgres_cpu": cpu_after[1] - cpu_before[1],
        "driver_cpu": cpu_after[2] - cpu_before[2],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=200, help="concurrent respondents (default 200)")
    parser.add_argument("--answers", type=int, default=3, help="free-text answers per respondent (default 3)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        sys.exit("set TEST_DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    print(
        f"{args.respondents} concurrent respondents, {2 + args.answers} updates each "
        f"(start, consent, {args.answers} answers); "
        f"{os.cpu_count()} CPU cores; PostgreSQL and the fake Bot API on the same machine"
    )
    print(
        f"{'processes':>9}  {'updates':>7}  {'seconds':>7}  {'updates/s':>9}  "
        f"{'p50 ms':>7}  {'p99 ms':>7}  {'no reply':>8}  {'lost':>4}  {'twice':>5}"
        f"  {'serve CPU s':>11}  {'serve CPU ms/upd':>16}  {'upd/serve-CPU-s':>15}  {'postgres CPU s':>14}"
        f"  {'driver+fake CPU s':>17}"
    )
    for count in args.processes:
        row = await measure(admin_url, count, args.respondents, args.answers)
        print(
            f"{row['processes']:>9}  {row['updates']:>7}  {row['seconds']:>7.1f}  {row['per_second']:>9.0f}  "
            f"{row['p50_ms']:>7.0f}  {row['p99_ms']:>7.0f}  {row['missing']:>8}  {row['lost']:>4}  {row['twice']:>5}  "
            f"{row['serve_cpu']:>11.1f}  {row['serve_cpu'] * 1000 / row['updates']:>16.2f}  "
            f"{row['updates'] / max(row['serve_cpu'], 0.01):>15.0f}  {row['postgres_cpu']:>14.1f}  "
            f"{row['driver_cpu']:>17.1f}",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
