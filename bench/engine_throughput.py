"""The conversation engine alone: updates per second and CPU per update, without HTTP or python-telegram-bot.

`bench/telegram_throughput.py` measures the whole webhook path; this one isolates what the engine and the database
layer cost, so that an optimisation can be attributed to the right layer. N respondents answer at once: /start,
consent, then free-text answers, each message one committed transaction (as in production).

    python bench/engine_throughput.py [--respondents 50] [--answers 10] [--database-url URL]

Without --database-url it runs on a fresh SQLite file and, if TEST_DATABASE_URL is set, a fresh PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402

from surveys.db import create_engine, session_factory  # noqa: E402
from surveys.engine import ConversationEngine  # noqa: E402
from surveys.i18n import t  # noqa: E402
from surveys.messages import Incoming, IncomingKind  # noqa: E402
from tests.support.factories import make_campaign  # noqa: E402
from viktig.migrate import upgrade  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"


class HopCounter:
    """Counts calls handed to aiosqlite's worker thread: each is one trip from the event loop to the database thread
    and back (a cursor, an execute, a fetch, a commit, or a whole SQLite turn)."""

    def __init__(self) -> None:
        self.hops = 0
        self._original = aiosqlite.Connection._execute

    def __enter__(self) -> HopCounter:
        original = self._original

        async def counted(connection: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.hops += 1
            return await original(connection, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        aiosqlite.Connection._execute = self._original  # type: ignore[method-assign]


async def measure(database_url: str, respondents: int, answers: int) -> dict[str, float]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    code = (await make_campaign(sessions, "Benk", "Benk")).code
    conversations = ConversationEngine(sessions, secret_key=SECRET)
    updates = 0

    async def person(number: int) -> None:
        nonlocal updates

        async def send(kind: IncomingKind, **fields: Any) -> None:
            nonlocal updates
            updates += 1
            await conversations.handle(
                Incoming(
                    channel="telegram",
                    user_ref=str(number),
                    kind=kind,
                    language_hint="nb",
                    update_key=f"bench:{number}:{updates}",
                    **fields,
                )
            )

        await send(IncomingKind.command, command="start", argument=code)
        await send(IncomingKind.text, text=t("nb", "consent.yes"))
        for answer in range(answers):
            await send(IncomingKind.text, text=f"Svar {answer} fra {number}: tid med familien og turer i skogen")

    with HopCounter() as counter:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(person(number) for number in range(respondents)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await engine.dispose()
    return {
        "updates": updates,
        "seconds": elapsed,
        "per_second": updates / elapsed,
        "cpu_ms": cpu / updates * 1000,
        "hops": counter.hops / updates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        targets: list[tuple[str, str, object]] = []
        if arguments.database_url:
            targets.append(("given", arguments.database_url, None))
        else:
            targets.append(("sqlite", f"sqlite:///{Path(workdir) / 'bench.db'}", None))
            admin = os.environ.get("TEST_DATABASE_URL")
            if admin:
                from tests.support.databases import create_postgres_database, drop_postgres_database

                url = create_postgres_database(admin)
                targets.append(("postgresql", url, lambda url=url: drop_postgres_database(admin, url)))
        for name, url, cleanup in targets:
            try:
                upgrade(url)
                figures = asyncio.run(measure(url, arguments.respondents, arguments.answers))
                print(
                    f"{name:10} respondents={arguments.respondents} updates={figures['updates']} "
                    f"time={figures['seconds']:.1f}s  {figures['per_second']:.0f} updates/s  "
                    f"cpu={figures['cpu_ms']:.2f} ms/update  thread hops={figures['hops']:.1f}/update",
                    flush=True,
                )
            finally:
                if callable(cleanup):
                    cleanup()


if __name__ == "__main__":
    main()
