"""`viktig serve --processes N` on PostgreSQL: N server processes sharing one port (SO_REUSEPORT).

Why processes and not threads: the engine is async and CPU-bound per update (JSON, SQL building), so one process
uses one core; the kernel spreads new connections over the processes. The parent only starts, restarts and stops
them: SIGTERM is passed on, and each child finishes its in-flight requests before it exits.

Metrics: the parent creates a fresh directory for prometheus_client's multiprocess mode and hands it to every child
as PROMETHEUS_MULTIPROC_DIR, so /metrics on any child shows the sum over all of them. A child that exits is marked
dead there (its live gauges, e.g. in-flight requests, stop counting; its counters stay, as counters must), and the
directory is removed when the supervisor stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence

from prometheus_client.multiprocess import mark_process_dead

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0
STOP_TIMEOUT = 45.0


async def supervise(count: int, child_args: Sequence[str]) -> int:
    """Run `count` copies of `python -m viktig <child_args>` until SIGTERM/SIGINT; restart a child that dies."""
    argv = [sys.executable, "-m", "viktig", *child_args]
    metrics_dir = tempfile.mkdtemp(prefix="viktig-metrics-")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    try:
        return await _supervise(count, argv, env, metrics_dir)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


async def _supervise(count: int, argv: list[str], env: dict[str, str], metrics_dir: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children: list[asyncio.subprocess.Process] = [
        await asyncio.create_subprocess_exec(*argv, env=env) for _ in range(count)
    ]
    log.info(
        "supervisor_started processes=%d pids=%s metrics_dir=%s",
        count,
        ",".join(str(child.pid) for child in children),
        metrics_dir,
    )
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            waits = {asyncio.create_task(child.wait()): index for index, child in enumerate(children)}
            done, _pending = await asyncio.wait({stopping, *waits}, return_when=asyncio.FIRST_COMPLETED)
            for task in waits:
                if task not in done:
                    task.cancel()
            for task in done:
                if task is stopping:
                    continue
                index = waits[task]
                log.warning(
                    "child_exited pid=%d code=%s action=restart", children[index].pid, children[index].returncode
                )
                mark_process_dead(children[index].pid, metrics_dir)
                await asyncio.sleep(RESTART_DELAY)
                if not stop.is_set():
                    children[index] = await asyncio.create_subprocess_exec(*argv, env=env)
    finally:
        for child in children:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(child.wait() for child in children)), STOP_TIMEOUT)
        except TimeoutError:
            for child in children:
                if child.returncode is None:
                    child.kill()
        log.info("supervisor_stopped")
    return 0
