"""`viktig db copy`: a SQLite database with real conversations moves to PostgreSQL whole, ids kept, counts verified."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlmodel import col, select

from surveys.access_log import record_access
from surveys.db import create_engine, session_factory
from surveys.engine import ConversationEngine
from surveys.ids import pk
from surveys.models import AccessLogEntry, Answer, Theme, ThemeRun
from tests.conftest import TEST_SECRET
from tests.support.chat_driver import ChatDriver

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


async def _fill(url: str, make_campaign) -> None:
    """Two respondents answer through the engine; themes (one merged into another) and an access-log entry."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    conversations = ConversationEngine(sessions, secret_key=TEST_SECRET)
    campaign = await make_campaign()
    for person, words in (("kari", "Å være sammen med barnebarna"), ("ola", "Kaffe med de andre på huset")):
        chat = ChatDriver(conversations, person)
        await chat.start(campaign.code)
        await chat.press("Ja, jeg vil svare")
        await chat.say(words)
    async with sessions() as session, session.begin():
        run = ThemeRun(campaign_id=campaign.id, n_answers=2)
        session.add(run)
        await session.flush()
        # The merged theme gets the lower id and points forward, so copying in id order alone would break the FK.
        merged = Theme(campaign_id=campaign.id, key="barnebarn", label="Barnebarn", run_id=run.id)
        session.add(merged)
        await session.flush()
        kept = Theme(campaign_id=campaign.id, key="familie", label="Familie", run_id=run.id)
        session.add(kept)
        await session.flush()
        merged.merged_into_id = kept.id
        await record_access(session, actor="cli:test", action="export", campaign_id=campaign.id)
    await engine.dispose()


def _viktig(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(VIKTIG_SECRET_KEY=TEST_SECRET, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "viktig", *args], env=env, capture_output=True, text=True, timeout=120)


async def _rows(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[int]]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        answers = [
            (
                a.id,
                a.text,
                a.position,
                a.conversation_id,
                a.created_at.astimezone(UTC) if a.created_at.tzinfo else a.created_at.replace(tzinfo=UTC),
            )
            for a in await session.exec(select(Answer).order_by(col(Answer.id)))
        ]
        themes = [(t.id, t.key, t.merged_into_id) for t in await session.exec(select(Theme).order_by(col(Theme.id)))]
        log_ids = [pk(entry) for entry in await session.exec(select(AccessLogEntry))]
    await engine.dispose()
    return answers, themes, log_ids


async def test_copy_sqlite_to_postgresql_keeps_every_row_and_id(
    sqlite_url: str, postgres_url: str, tmp_path: Path
) -> None:
    sessions = session_factory(create_engine(sqlite_url))

    async def make_campaign(**options):
        from tests.support.factories import make_campaign as campaign

        return await campaign(sessions, "Dagen 2026", **options)

    await _fill(sqlite_url, make_campaign)
    copied = _viktig("db", "copy", "--from", sqlite_url, "--to", postgres_url, "--batch-size", "1")
    assert copied.returncode == 0, copied.stderr
    assert "row counts match" in copied.stdout
    assert any(line.split()[:3] == ["answer", "2", "2"] for line in copied.stdout.splitlines())

    before, after = await _rows(sqlite_url), await _rows(postgres_url)
    assert after == before and len(before[0]) == 2 and any(theme[2] for theme in before[1])

    # Sequences moved past the copied ids: the engine can go on writing on PostgreSQL.
    engine = create_engine(postgres_url)
    conversations = ConversationEngine(session_factory(engine), secret_key=TEST_SECRET)
    chat = ChatDriver(conversations, "kari")
    await chat.say("Og å gå tur i skogen")
    async with session_factory(engine)() as session:
        newest = (await session.exec(select(Answer).order_by(col(Answer.id).desc()))).first()
    await engine.dispose()
    assert newest is not None and newest.id == 3 and newest.text == "Og å gå tur i skogen"

    refused = _viktig("db", "copy", "--from", sqlite_url, "--to", postgres_url)
    assert refused.returncode == 1 and "already holds rows" in refused.stderr and "--force" in refused.stderr
    forced = _viktig("db", "copy", "--from", sqlite_url, "--to", postgres_url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert await _rows(postgres_url) == before


async def test_a_row_count_mismatch_exits_1_and_says_so(sqlite_url: str, postgres_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with session_factory(engine)() as session, session.begin():
        await record_access(session, actor="cli:test", action="export", campaign_id=None)
    await engine.dispose()
    # The target silently drops access-log rows (as a misconfigured rule or trigger would).
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE RULE drop_log AS ON INSERT TO access_log DO INSTEAD NOTHING")
    result = _viktig("db", "copy", "--from", sqlite_url, "--to", postgres_url)
    assert result.returncode == 1
    assert "access_log" in result.stdout and "MISMATCH" in result.stdout
    assert "row counts differ" in result.stderr and "access_log (source 1, target 0)" in result.stderr


def test_an_unmigrated_source_is_refused_with_the_fix(tmp_path: Path, postgres_url: str) -> None:
    result = _viktig("db", "copy", "--from", f"sqlite:///{tmp_path / 'empty.db'}", "--to", postgres_url)
    assert result.returncode == 1 and "viktig db upgrade" in result.stderr
