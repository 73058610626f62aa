"""A server killed with SIGKILL leaves no analysis worker behind (it used to wait for work forever, an orphan)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The "server": makes the root's analysis pool, lets its worker start and say its pid, then dies without cleanup.
# The pid goes to a file: the worker inherits the server's stdout, so a pipe would stay open as long as it lives.
SERVER = """
import os, signal, sys
from pathlib import Path
from viktig.analysis_pool import _new_executor
pool = _new_executor()
Path(sys.argv[1]).write_text(str(pool.submit(os.getpid).result(timeout=60)))
os.kill(os.getpid(), signal.SIGKILL)
"""


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (exited, not yet reaped by whoever adopted it) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def test_the_analysis_worker_ends_when_its_server_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "worker.pid"
    server = subprocess.run(
        [sys.executable, "-c", SERVER, str(pid_file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
    )
    assert server.returncode == -9
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 15
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not alive(worker), f"analysis worker {worker} outlived its killed server"
    finally:
        if alive(worker):
            os.kill(worker, signal.SIGKILL)
