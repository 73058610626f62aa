"""Operating `viktig serve`: /metrics on a real server, and one process only on SQLite (said clearly)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from surveys.settings import Settings
from tests.conftest import TEST_SECRET
from viktig.context import AppContext
from viktig.jobs import exclusive_file_lock
from viktig.observability import setup_observability

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def served(sqlite_url: str):
    """An aiohttp app with the observability parts and two routes of its own, on a free port."""
    ctx = AppContext.create(Settings(database_url=sqlite_url, secret_key=TEST_SECRET))
    app = web.Application()
    setup_observability(app, ctx)

    async def fine(request: web.Request) -> web.Response:
        return web.json_response({"code": request.match_info["code"]})

    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("database went away")

    app.router.add_get("/s/{code}", fine)

    async def busy(_request: web.Request) -> web.Response:
        return web.Response(status=503, text="storage unavailable, deliver again")

    app.router.add_post("/hook", broken)
    app.router.add_post("/busy", busy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()
    await ctx.close()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_requests_by_route_pattern_not_by_path(served: str) -> None:
    before_ok = sample("viktig_http_requests_total", route="/s/{code}", status="2xx")
    before_errors = sample("viktig_errors_total", component="http")
    async with aiohttp.ClientSession() as client:
        for code in ("ABCDEF1234", "ZYXWVU9876"):
            async with client.get(f"{served}/s/{code}") as response:
                assert response.status == 200
        async with client.post(f"{served}/hook") as response:
            assert response.status == 500
        async with client.post(f"{served}/busy") as response:
            assert response.status == 503
        async with client.get(f"{served}/no/such/path/person@example.no") as response:
            assert response.status == 404
        async with client.get(f"{served}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            body = await response.text()
    assert sample("viktig_http_requests_total", route="/s/{code}", status="2xx") == before_ok + 2
    assert sample("viktig_errors_total", component="http") == before_errors + 2
    assert 'viktig_http_requests_total{route="/hook",status="5xx"}' in body
    assert 'viktig_http_requests_total{route="unmatched",status="4xx"}' in body
    assert "ABCDEF1234" not in body and "person@example.no" not in body
    assert "# TYPE viktig_update_queue_delay_seconds histogram" in body
    assert "viktig_db_pool_connections_in_use " in body


def _serve(sqlite_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=sqlite_url, VIKTIG_SECRET_KEY=TEST_SECRET, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "viktig", "serve", "--port", "0", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sqlite_refuses_several_processes_and_names_postgresql(sqlite_url: str) -> None:
    result = _serve(sqlite_url, "--processes", "2")
    assert result.returncode == 1
    assert "SQLite supports one `viktig serve` process" in result.stderr and "postgresql://" in result.stderr


def test_a_second_serve_on_the_same_sqlite_file_is_refused(sqlite_url: str) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///")).resolve()
    with exclusive_file_lock(path.with_name(path.name + ".serve.lock")):
        result = _serve(sqlite_url)
    assert result.returncode == 1
    assert "another `viktig serve` is already running" in result.stderr and "PostgreSQL" in result.stderr


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.mark.postgres
@pytest.mark.slow
def test_processes_share_one_port_a_killed_one_is_restarted_and_sigterm_stops_all(
    postgres_url: str, tmp_path: Path
) -> None:
    import queue
    import signal
    import threading
    import time
    import urllib.request

    from tests.support.serve_cluster import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=postgres_url,
        VIKTIG_SECRET_KEY=TEST_SECRET,
        PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
    )
    parent = subprocess.Popen(
        [sys.executable, "-m", "viktig", "serve", "--processes", "2", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    stderr = parent.stderr
    assert stderr is not None

    def read_lines() -> None:
        for line in stderr:
            lines.put(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()

    def wait_for_serving(count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while sum("serving on" in line for line in seen) < count:
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))

    try:
        wait_for_serving(2)
        first = _children(parent.pid)
        assert len(first) == 2
        for _ in range(20):  # the kernel spreads connections over both processes on the one port
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                assert response.status == 200
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for_serving(3)
        second = _children(parent.pid)
        assert victim not in second and len(second) == 2 and len(second & first) == 1
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=60)
        reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get())
    err = "".join(seen)
    assert parent.returncode == 0, err
    assert "child_exited" in err and "action=restart" in err and err.count("shutting down") == 2
