"""Several real `viktig serve` processes on one PostgreSQL database, fed by the fake Bot API's webhook deliveries.

Used by tests/e2e/test_scale_out.py and bench/scale.py: the processes are started exactly as an operator would
(`python -m viktig serve` with environment variables), and respondents are simulated people who send a message, wait
for the bot's reply, then send the next one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]

CONSENT_NB = "Ja, jeg vil svare"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every local `postgres` process (the database shares this machine's cores)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += process_cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


@dataclass
class ServeProcess:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time the process used so far (Linux /proc), for CPU-normalised figures."""
        return process_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class ServeCluster:
    """`count` server processes in webhook mode; the fake spreads deliveries over all of them."""

    database_url: str
    fake: FakeBotApi
    count: int
    workdir: Path
    secret_key: str
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[ServeProcess] = field(default_factory=list)

    def environment(self, public_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
        env.update(
            DATABASE_URL=self.database_url,
            VIKTIG_SECRET_KEY=self.secret_key,
            TELEGRAM_BOT_TOKEN=self.fake.token,
            TELEGRAM_API_BASE_URL=self.fake.base_url,
            TELEGRAM_BOT_USERNAME="viktig_test_bot",
            VIKTIG_PUBLIC_URL=public_url,
            HOST="127.0.0.1",
            VIKTIG_LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
        )
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = 60) -> None:
        ports = [free_port() for _ in range(self.count)]
        public_url = f"http://127.0.0.1:{ports[0]}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        for index, port in enumerate(ports):
            log_path = self.workdir / f"serve-{index}.log"
            with log_path.open("wb") as log_file:
                # Popen returns at once; the servers run until stop() or kill() signals them.
                process = subprocess.Popen(  # noqa: ASYNC220
                    [sys.executable, "-m", "viktig", "serve", "--port", str(port)],
                    env=self.environment(public_url),
                    cwd=self.workdir,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            self.processes.append(ServeProcess(port, process, log_path))
        deadline = time.monotonic() + timeout
        for server in self.processes:
            await wait_until_ready(server.base_url, server.process, deadline, server.log_tail)
        while self.fake.webhook is None:
            if time.monotonic() > deadline:
                raise TimeoutError("no process registered the webhook with setWebhook")
            await asyncio.sleep(0.05)
        path = self.fake.webhook.url.removeprefix(public_url)
        self.fake.webhook_targets = [server.base_url + path for server in self.processes]

    def kill(self, index: int) -> None:
        """SIGKILL: no cleanup, no graceful shutdown, as when a machine dies."""
        self.processes[index].process.send_signal(signal.SIGKILL)
        self.processes[index].process.wait()

    async def stop(self) -> list[int | None]:
        for server in self.processes:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for server in self.processes:
            try:
                codes.append(await asyncio.to_thread(server.process.wait, 40))
            except subprocess.TimeoutExpired:
                server.process.kill()
                codes.append(None)
        return codes

    def logs(self) -> str:
        return "\n".join(f"--- serve {i} (port {s.port}) ---\n{s.log_tail()}" for i, s in enumerate(self.processes))


async def wait_until_ready(
    base_url: str,
    process: subprocess.Popen[Any],
    deadline: float,
    log_tail: Callable[[], str] = lambda: "",
) -> None:
    """Until the server process answers /readyz (its database reachable); fails early if the process exits."""
    async with aiohttp.ClientSession() as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"viktig serve at {base_url} exited with {process.returncode}:\n{log_tail()}")
            try:
                async with client.get(base_url + "/readyz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"viktig serve at {base_url} not ready:\n{log_tail()}")
            await asyncio.sleep(0.1)


@dataclass
class RespondentRun:
    """What one simulated person did: how many updates they sent and how many replies never came."""

    chat_id: int
    updates: int = 0
    missing_replies: int = 0
    latencies: list[float] = field(default_factory=list)


async def answer_survey(
    fake: FakeBotApi, chat_id: int, code: str, answers: list[str], reply_timeout: float = 20
) -> RespondentRun:
    """/start CODE, consent, then each answer as free text; after every update wait for a new bot message.

    A reply can be lost when a process dies after committing an update but before sending the reply (the
    redelivered update is then a duplicate and gets none); the person would simply go on writing, and so do we,
    counting it in `missing_replies`.
    """
    run = RespondentRun(chat_id)

    async def send(update: dict[str, Any]) -> None:
        seen = len(fake.sent_messages(chat_id))
        started = time.perf_counter()
        await fake.push(update)
        run.updates += 1
        try:
            await fake.wait_for_messages(chat_id, seen + 1, timeout=reply_timeout)
            run.latencies.append(time.perf_counter() - started)
        except TimeoutError:
            run.missing_replies += 1

    await send(fake.command(chat_id, "start", code))
    await send(await _press_when_shown(fake, chat_id, CONSENT_NB, reply_timeout))
    for text in answers:
        await send(fake.message(chat_id, text))
    return run


async def _press_when_shown(fake: FakeBotApi, chat_id: int, label: str, timeout: float) -> dict[str, Any]:
    """The button may come in the second message of a reply; wait for it like a person would."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fake.press(chat_id, label)
        except LookupError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
