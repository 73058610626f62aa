"""Start-up refuses what would fail every message later: a read-only database, and a changed VIKTIG_SECRET_KEY.

The read-only case is the one an operator meets: SQLite had created viktig.db-wal and -shm without write
permission, so fixing the main file alone is not enough. The tests run root-owned files, so `viktig serve` runs
without the capability that lets root ignore file permissions (setpriv), as an ordinary service user would.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from surveys.settings import Settings
from tests.bot.fixtures import bound_socket
from tests.conftest import TEST_SECRET
from viktig.cli import UserError, ensure_database_writable
from viktig.context import AppContext
from viktig.server import create_app

ROOT = Path(__file__).resolve().parents[2]
OTHER_SECRET = "another-secret-key-fedcba9876543210"
SETPRIV = shutil.which("setpriv")


def _env(database_url: str, secret: str = TEST_SECRET, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url, VIKTIG_SECRET_KEY=secret, PYTHONPATH=str(ROOT), PORT="1", **extra)
    return env


def _viktig(
    env: dict[str, str], *args: str, without_root_override: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    prefix = [str(SETPRIV), "--bounding-set=-dac_override,-dac_read_search"] if without_root_override else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "viktig", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- VIKTIG_SECRET_KEY ---------------------------------------------------------------------------------------------


def test_a_changed_secret_key_stops_start_up_until_accepted_on_purpose(database_url: str) -> None:
    assert _viktig(_env(database_url), "campaign", "list").returncode == 0  # records the key's fingerprint
    for command in (["serve"], ["worker", "--once"], ["campaign", "list"]):
        refused = _viktig(_env(database_url, OTHER_SECRET), *command)
        assert refused.returncode == 1, command
        assert "VIKTIG_SECRET_KEY is not the key this database was set up with" in refused.stderr
        assert "Rotating VIKTIG_SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr
        assert OTHER_SECRET not in refused.stderr + refused.stdout and TEST_SECRET not in refused.stderr
    assert _viktig(_env(database_url), "campaign", "list").returncode == 0  # the right key still starts
    unconfirmed = _viktig(_env(database_url, OTHER_SECRET), "db", "accept-secret-key")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    assert _viktig(_env(database_url, OTHER_SECRET), "db", "accept-secret-key", "--yes").returncode == 0
    assert _viktig(_env(database_url, OTHER_SECRET), "campaign", "list").returncode == 0
    assert _viktig(_env(database_url), "campaign", "list").returncode == 1  # now the old key is the stranger


# -- read-only database --------------------------------------------------------------------------------------------


def _make_read_only(path: Path) -> None:
    """What the fault test saw: the files exist (SQLite made -wal and -shm) and none is writable."""
    with sqlite3.connect(path) as db:  # leaves -wal and -shm behind while a second connection holds them open
        keeper = sqlite3.connect(path)
        keeper.execute("SELECT count(*) FROM campaign").fetchall()
        db.execute("SELECT 1")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").touch()
        os.chmod(f"{path}{suffix}", 0o444)
    keeper.close()


@pytest.mark.skipif(SETPRIV is None or os.geteuid() != 0, reason="needs setpriv and root to drop the override")
def test_serve_refuses_a_read_only_sqlite_database_naming_the_files(sqlite_url: str) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    assert _viktig(_env(sqlite_url), "campaign", "list").returncode == 0
    _make_read_only(path)
    refused = _viktig(_env(sqlite_url), "serve", without_root_override=True)
    assert refused.returncode == 1, refused.stderr
    assert "database is read-only: check the permissions of viktig.db, viktig.db-wal, viktig.db-shm" in refused.stderr
    assert "not writable now: viktig.db, viktig.db-wal, viktig.db-shm" in refused.stderr
    assert "Traceback" not in refused.stderr
    os.chmod(path, 0o644)  # fixing only the main file is not enough, and the message says which are left
    refused = _viktig(_env(sqlite_url), "worker", "--once", without_root_override=True)
    assert refused.returncode == 1
    assert "viktig.db-shm)" in refused.stderr and "not writable now: viktig.db," not in refused.stderr
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.chmod(f"{path}{suffix}", 0o644)
    started = _viktig(_env(sqlite_url), "worker", "--once", without_root_override=True)
    assert started.returncode == 0, started.stderr


async def _readyz(ctx: AppContext) -> tuple[int, dict[str, str]]:
    runner = web.AppRunner(create_app(ctx, with_telegram=False), access_log=None)
    await runner.setup()
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/readyz"
    await web.SockSite(runner, sock).start()
    try:
        async with aiohttp.ClientSession() as client, client.get(url) as response:
            return response.status, await response.json()
    finally:
        await runner.cleanup()


async def test_readyz_is_503_on_a_read_only_database_with_the_reason_start_up_gives(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        # A connection SQLite itself opens read-only (root ignores file modes, so chmod would not do here).
        read_only_url = "sqlite:///file:" + database_url.removeprefix("sqlite:///") + "?mode=ro&uri=true"
    else:
        import psycopg

        name = database_url.rsplit("/", 1)[1]
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        read_only_url = database_url
    writable = AppContext.create(Settings(database_url=database_url, secret_key=TEST_SECRET))
    read_only = AppContext.create(Settings(database_url=read_only_url, secret_key=TEST_SECRET))
    try:
        status, body = await _readyz(read_only)
        assert status == 503 and body["status"] == "unavailable" and body["database"] == "read-only"
        assert body["reason"].startswith("database is read-only")
        with pytest.raises(UserError) as refused:
            await ensure_database_writable(read_only)
        assert str(refused.value) == f"cannot start: {body['reason']}"
        if database_url.startswith("sqlite"):
            assert "viktig.db, viktig.db-wal, viktig.db-shm" in body["reason"]
            assert await _readyz(writable) == (200, {"status": "ready", "database": "ok"})
        else:
            assert "default_transaction_read_only" in body["reason"]
    finally:
        await read_only.close()
        await writable.close()
