"""A real `viktig worker` through a PostgreSQL outage of 20 s: it logs `job_failed`, backs off, and carries on.

The shared PostgreSQL server must keep running for everyone else, so the outage is a TCP proxy between this worker
and PostgreSQL that is cut for 20 s: open connections are reset and new ones refused, as when the server stops.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from surveys.db import sync_url
from tests.e2e.test_worker import ROOT, _env
from tests.support.tcp_proxy import CuttableProxy

OUTAGE_SECONDS = 20


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}127.0.0.1:{port}{parts.path}"


def _outcome(url: str) -> tuple[int, str | None]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT runs, last_outcome FROM job_run WHERE name = 'retention'")).first()
    finally:
        engine.dispose()
    return (int(row[0]), row[1]) if row else (0, None)


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "viktig", "worker", "--job", "retention", "--every", "retention=1", "--tick", "1"],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


async def _wait_for(log_path: Path, needle: str, after: int, within: float) -> int:
    """Until `needle` appears in the log after character `after`; returns where it ends."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        content = await asyncio.to_thread(log_path.read_text, errors="replace")
        found = content.find(needle, after)
        if found >= 0:
            return found + len(needle)
        await asyncio.sleep(0.2)
    tail = (await asyncio.to_thread(log_path.read_text, errors="replace"))[-3000:]
    raise AssertionError(f"no {needle!r} in the worker log:\n{tail}")


@pytest.mark.slow
@pytest.mark.postgres
async def test_worker_survives_a_20_second_database_outage(postgres_url: str, tmp_path: Path) -> None:
    target = urlsplit(postgres_url)
    proxy = await CuttableProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    log_path = tmp_path / "worker.log"
    env = _env(_through(postgres_url, proxy.port), VIKTIG_LOG_LEVEL="INFO")
    worker = _start_worker(env, log_path)
    try:
        before = await _wait_for(log_path, "job_finished job=retention outcome=ok", 0, 60)
        await proxy.cut()
        cut_at = time.monotonic()
        failed_at = await _wait_for(log_path, "job_failed job=retention", before, OUTAGE_SECONDS)
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
        assert worker.poll() is None, "the worker exited during the outage"
        runs_during_outage = (await asyncio.to_thread(_outcome, postgres_url))[0]
        await proxy.restore()
        await _wait_for(log_path, "job_finished job=retention outcome=ok", failed_at, 90)
        assert worker.poll() is None
        runs, outcome = await asyncio.to_thread(_outcome, postgres_url)
        assert runs > runs_during_outage and outcome == "ok"
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            await asyncio.to_thread(worker.wait)
        await proxy.stop()
    log = await asyncio.to_thread(log_path.read_text, errors="replace")
    assert "Traceback" not in log
    failures = log.count("job_failed job=retention")
    retries = [line for line in log.splitlines() if "job_retry_scheduled" in line]
    # Backed off: a handful of attempts in 20 s, not one per tick.
    assert 2 <= failures <= 8, failures
    assert any("wait_s=8" in line or "wait_s=16" in line for line in retries), retries
