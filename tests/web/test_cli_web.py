"""`viktig user add` and `viktig demo` as a person runs them: real processes on a real SQLite file."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from surveys.i18n import t
from tests.support.serve_cluster import free_port
from web.passwords import verify_password


def viktig(args: list[str], db: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "VIKTIG_SECRET_KEY": "cli-test-secret-0123456789"}
    return subprocess.run(
        [sys.executable, "-m", "viktig.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=db.parent,
    )


def users(db: Path) -> dict[str, tuple[str, str, int | None]]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT email, password_hash, role, unit_id FROM staff_user")).all()
    engine.dispose()
    return {email: (hash_, role, unit) for email, hash_, role, unit in rows}


def test_user_add_with_piped_and_generated_passwords(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "viktig.db"
    shutil.copyfile(sqlite_template, db)  # migrated to head (test_cli runs `viktig db upgrade` itself)
    assert viktig(["unit", "add", "Hjemmetjenesten Øst"], db).returncode == 0
    piped = viktig(
        ["user", "add", "Leder@Kommune.no", "--role", "manager", "--unit", "Hjemmetjenesten Øst"],
        db,
        stdin="et passord fra stdin\n",
    )
    assert piped.returncode == 0 and "password" not in piped.stdout
    stored = users(db)["leder@kommune.no"]
    assert (
        stored[0].startswith("$argon2id$")
        and verify_password(stored[0], "et passord fra stdin")
        and stored[1] == "manager"
    )
    generated = viktig(["user", "add", "admin@kommune.no", "--role", "admin"], db, stdin="")
    shown = re.search(r"password \(shown only now\): (\S+)", generated.stdout)
    assert shown is not None, generated.stdout
    password = shown.group(1)
    assert verify_password(users(db)["admin@kommune.no"][0], password)
    again = viktig(["user", "add", "admin@kommune.no", "--role", "admin"], db, stdin="")
    assert again.returncode == 1 and "--reset" in again.stderr
    missing_unit = viktig(["user", "add", "ansatt@kommune.no", "--role", "staff"], db, stdin="")
    assert missing_unit.returncode == 1 and "--unit" in missing_unit.stderr


def test_demo_seeds_once_and_reuses_on_the_second_run(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = viktig(["demo", "--no-serve"], db)
    assert first.returncode == 0, first.stderr
    assert "60 answers added" in first.stdout and "shown only now" in first.stdout and "/s/" in first.stdout
    second = viktig(["demo", "--no-serve"], db)
    assert second.returncode == 0 and "0 answers added" in second.stdout and "shown only now" not in second.stdout
    assert "--reset" in second.stdout
    for run in (first, second):  # `make demo` prints no warnings: nothing of Python's, SQLAlchemy's or Alembic's
        noise = [line for line in run.stderr.splitlines() if re.search(r"warn|deprecat|alembic", line, re.I)]
        assert noise == [], noise
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        [purpose] = connection.execute(text("SELECT purpose FROM campaign")).scalars()
        languages = {row[0] for row in connection.execute(text("SELECT DISTINCT language FROM answer"))}
        sources = {row[0] for row in connection.execute(text("SELECT DISTINCT source FROM answer"))}
        units = connection.execute(text("SELECT count(*) FROM unit")).scalar()
    engine.dispose()
    assert languages == {"nb", "nn", "sv", "en"} and sources == {"self", "staff", "paper"} and units == 2
    assert json.loads(purpose) == {language: t(language, "demo.purpose") for language in ("nb", "nn", "sv", "en")}
    assert len(set(json.loads(purpose).values())) == 4  # four languages, not bokmål four times


@pytest.mark.slow
def test_ctrl_c_stops_the_server_and_its_analysis_worker_quietly(tmp_path: Path, sqlite_template: Path) -> None:
    """`make demo`, then Ctrl-C: the terminal sends SIGINT to every process of the group, the analysis worker too.
    The server says it shuts down; nothing prints a traceback."""
    db = tmp_path / "viktig.db"
    shutil.copyfile(sqlite_template, db)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "VIKTIG_SECRET_KEY": "cli-test-secret-0123456789"}
    env["PORT"], env["HOST"] = str(free_port()), "127.0.0.1"
    server = subprocess.Popen(
        [sys.executable, "-m", "viktig.cli", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives `make demo`
    )
    try:
        deadline = time.monotonic() + 90
        while not worker_of(server.pid) and time.monotonic() < deadline:  # started a few seconds after start-up
            assert server.poll() is None, server.communicate()
            time.sleep(0.05)
        assert worker_of(server.pid), "the analysis worker never started"
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does, here while the worker starts and warms up
        _, stderr = server.communicate(timeout=240)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.communicate()
    assert server.returncode == 0, stderr
    assert "shutting down" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr


def worker_of(pid: int) -> list[int]:
    """The server's analysis worker process (multiprocessing's spawned child, not its resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(child) for child in children.read_text().split()] if children.exists() else []
    return [child for child in pids if b"spawn_main" in _cmdline(child)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it ended in between
        return b""
