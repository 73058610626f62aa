"""/metrics with `viktig serve --processes 2` (summed over the children) and `viktig worker --metrics-port`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_SECRET
from tests.support.serve_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]


def environment(database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"))
    }
    env.update(
        DATABASE_URL=database_url,
        VIKTIG_SECRET_KEY=TEST_SECRET,
        PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
    )
    return env


def wait_for_log(path: Path, text: str, count: int, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = path.read_text(errors="replace") if path.exists() else ""
        if log.count(text) >= count:
            return log
        if time.monotonic() > deadline:
            raise TimeoutError(f"{text!r} not seen {count} times:\n{log[-3000:]}")
        time.sleep(0.1)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def healthz_count(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return samples.get(("viktig_http_requests_total", (("route", "/healthz"), ("status", "2xx"))), 0.0)


def children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.mark.postgres
@pytest.mark.slow
def test_metrics_of_two_serve_processes_are_summed_whichever_answers(postgres_url: str, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        parent = subprocess.Popen(
            [sys.executable, "-m", "viktig", "serve", "--processes", "2", "--port", str(port)],
            env=environment(postgres_url),
            cwd=tmp_path,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        log = wait_for_log(log_path, "serving on", 2)
        found = re.search(r"metrics_dir=(\S+)", log)
        assert found is not None, log
        metrics_dir = Path(found.group(1))
        assert metrics_dir.is_dir()
        requests = 40  # each on a new connection: the kernel spreads them over both processes
        for _ in range(requests):
            with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
                assert response.status == 200
        for _ in range(6):  # whichever child answers the scrape, it shows the sum
            assert healthz_count(scrape(f"{base}/metrics")) == requests
        first = children(parent.pid)
        victim = min(first)
        assert list(metrics_dir.glob(f"*_{victim}.db"))  # the child wrote its values there
        os.kill(victim, signal.SIGKILL)
        wait_for_log(log_path, "serving on", 3)
        assert not list(metrics_dir.glob(f"gauge_live*_{victim}.db"))  # marked dead: its live gauges are gone
        assert healthz_count(scrape(f"{base}/metrics")) == requests  # counters of the dead child still count
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=60)
    assert parent.returncode == 0, log_path.read_text(errors="replace")[-3000:]
    assert not metrics_dir.exists()  # the supervisor cleans up its directory


@pytest.mark.slow
def test_the_worker_serves_its_job_series_on_its_metrics_port(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "viktig",
                "worker",
                "--tick",
                "0.2",
                "--job",
                "retention",
                "--metrics-port",
                str(port),
            ],
            env=environment(sqlite_url) | {"HOST": "127.0.0.1"},
            cwd=tmp_path,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_log(log_path, "job_finished job=retention", 1)
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
        assert samples[("viktig_job_runs_total", (("job", "retention"), ("outcome", "ok")))] >= 1
        assert samples[("viktig_job_duration_seconds_count", (("job", "retention"),))] >= 1
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert worker.returncode == 0, log_path.read_text(errors="replace")[-3000:]


def test_a_taken_metrics_port_is_a_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "viktig", "worker", "--metrics-port", str(port)],
            env=environment(sqlite_url) | {"HOST": "127.0.0.1"},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot serve metrics on 127.0.0.1:{port}" in result.stderr
