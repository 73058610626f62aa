"""`viktig answers import` of a big file: progress lines, and a run that is killed or interrupted half-way is finished
by running the same command again, with every row stored exactly once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from surveys.db import SQLITE_BUSY_TIMEOUT_MS
from tests.conftest import TEST_SECRET
from tests.support.factories import campaign_in

ROWS = 30_000


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", VIKTIG_SECRET_KEY=TEST_SECRET)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "viktig", *args]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args), capture_output=True, text=True, env=environment(tmp_path), cwd=tmp_path, timeout=300
    )


def campaign_with_cards(tmp_path: Path, template: Path) -> tuple[str, Path]:
    """A live campaign in cli.db (a copy of the migrated template, the campaign made in-process: the commands under
    test are the imports) and 30 000 paper cards in cp1252, as Excel saves them."""
    shutil.copyfile(template, tmp_path / "cli.db")
    code = asyncio.run(campaign_in(f"sqlite:///{tmp_path / 'cli.db'}", "Dagen", "Sykehjemmet")).code
    cards = tmp_path / "kort.csv"
    lines = ["Tekst;Språk"] + [f"Kort nummer {n};nb" for n in range(1, ROWS + 1)]
    cards.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return code, cards


def database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "cli.db", timeout=30)


def as_from_a_terminal() -> None:
    """In the child before exec: Ctrl-C as a terminal delivers it, whatever an earlier test in this worker process
    left in its signal mask or dispositions (a blocked or ignored SIGINT is inherited across exec)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_half_way(tmp_path: Path, code: str, cards: Path, how: signal.Signals) -> tuple[int, float, int, str]:
    """Start the import, and send `how` once some chunks, but not all, are stored; the rows stored then, the seconds
    from the signal to the process's end, its exit code and its stderr."""
    process = subprocess.Popen(
        command("answers", "import", str(cards), "--campaign", code),
        env=environment(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_terminal,
    )
    signalled = time.monotonic()
    try:
        deadline = signalled + 300
        while time.monotonic() < deadline:
            with database(tmp_path) as connection:
                row = connection.execute("SELECT stored_rows FROM answer_import").fetchone()
            if row is not None and 0 < row[0] <= ROWS // 2:  # a margin: on a loaded machine the signal lags
                process.send_signal(how)
                signalled = time.monotonic()
                break
            assert process.poll() is None, "the import ended before it could be stopped"
            time.sleep(0.002)
        _, stderr = process.communicate(timeout=120)
        stopped_in = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with database(tmp_path) as connection:
        (stored,) = connection.execute("SELECT stored_rows FROM answer_import").fetchone()
        (answers,) = connection.execute("SELECT count(*) FROM answer").fetchone()
    # The record says exactly what is in the database. (Once, in a fresh-clone CI run under pytest-xdist, the import
    # stored all rows after the signal; not reproduced alone or under load since: the message keeps what it said.)
    assert 0 < stored < ROWS and answers == stored, (stored, answers, process.returncode, stderr[-2000:])
    return int(stored), stopped_in, process.returncode, stderr


def assert_every_row_once(tmp_path: Path) -> None:
    with database(tmp_path) as connection:
        texts = [text for (text,) in connection.execute("SELECT text FROM answer ORDER BY id")]
        imports = connection.execute("SELECT status, stored_rows, total_rows FROM answer_import").fetchall()
    assert texts == [f"Kort nummer {n}" for n in range(1, ROWS + 1)]
    assert imports == [("done", ROWS, ROWS)]


@pytest.mark.slow
def test_a_killed_import_is_finished_by_the_same_command_once_it_has_gone_quiet(
    tmp_path: Path, sqlite_template: Path
) -> None:
    code, cards = campaign_with_cards(tmp_path, sqlite_template)
    stored, _, _, _ = stop_half_way(tmp_path, code, cards, signal.SIGKILL)
    too_soon = run(tmp_path, "answers", "import", str(cards), "--campaign", code)
    assert too_soon.returncode == 1 and "being imported right now" in too_soon.stderr
    assert f"({stored} of {ROWS} rows stored so far)" in too_soon.stderr
    with database(tmp_path) as connection:  # a minute passes: the killed import has gone quiet
        connection.execute("UPDATE answer_import SET updated_at = datetime('now', '-2 minutes')")
    again = run(tmp_path, "answers", "import", str(cards), "--campaign", code)
    assert again.returncode == 0, again.stderr
    assert f"all {ROWS} rows are valid" in again.stderr and f"stored {ROWS} of {ROWS} rows" in again.stderr
    assert f"imported {ROWS - stored} answers" in again.stdout
    assert f"{stored} of them were stored by an earlier run that stopped" in again.stdout
    assert_every_row_once(tmp_path)


@pytest.mark.slow
def test_ctrl_c_stops_between_chunks_and_the_same_command_continues_at_once(
    tmp_path: Path, sqlite_template: Path
) -> None:
    code, cards = campaign_with_cards(tmp_path, sqlite_template)
    stored, stopped_in, returncode, stderr = stop_half_way(tmp_path, code, cards, signal.SIGINT)
    # The chunk under way ends, then the record is marked at once: a chunk cut off half-way kept SQLite's write
    # lock, and marking waited the whole busy timeout (30 s) and failed, leaving the record "running".
    assert returncode == 130 and "Traceback" not in stderr, stderr
    assert stopped_in < SQLITE_BUSY_TIMEOUT_MS / 1000, stopped_in
    with database(tmp_path) as connection:
        assert connection.execute("SELECT status FROM answer_import").fetchone() == ("interrupted",)
    again = run(tmp_path, "answers", "import", str(cards), "--campaign", code)
    assert again.returncode == 0, again.stderr
    assert f"imported {ROWS - stored} answers" in again.stdout
    assert_every_row_once(tmp_path)
