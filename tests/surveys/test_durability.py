"""Durable, all-or-nothing storage: SQLite settings as the application opens it, and one transaction per update.

A channel acknowledges an update (Telegram: the webhook's 200) only after `engine.handle` returned, so the answer,
the conversation state and the processed-update key must commit together: if any part fails, none is stored and
the redelivered update is processed as if for the first time.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy.exc import DBAPIError

from surveys.db import create_engine
from surveys.i18n import t
from surveys.messages import Incoming, IncomingKind
from tests.support.chat_driver import ChatDriver
from tests.support.raw_database import query, snapshot
from tests.surveys.test_engine import go_to_first_question

FAILING_KEY = "telegram:durability-1"
ANSWER = "Å få komme hjem til jul"

SQLITE_TRIGGERS = {
    "key": f"CREATE TRIGGER fail_here BEFORE INSERT ON processed_update WHEN NEW.key = '{FAILING_KEY}' "
    "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END",
    # The conversation's new step is written at commit, after the answer row was inserted (flushed).
    "state": "CREATE TRIGGER fail_here BEFORE UPDATE ON conversation WHEN OLD.step = 'question' AND NEW.step = 'more' "
    "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END",
}
POSTGRES_TRIGGERS = {
    "key": f"CREATE TRIGGER fail_here BEFORE INSERT ON processed_update FOR EACH ROW WHEN (NEW.key = '{FAILING_KEY}') "
    "EXECUTE FUNCTION simulated_failure()",
    "state": "CREATE TRIGGER fail_here BEFORE UPDATE ON conversation FOR EACH ROW "
    "WHEN (OLD.step = 'question' AND NEW.step = 'more') EXECUTE FUNCTION simulated_failure()",
}


def add_failing_trigger(url: str, where: str) -> None:
    if url.startswith("sqlite"):
        query(url, SQLITE_TRIGGERS[where])
        return
    query(
        url,
        "CREATE FUNCTION simulated_failure() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$ LANGUAGE plpgsql",
    )
    query(url, POSTGRES_TRIGGERS[where])


def drop_failing_trigger(url: str, where: str) -> None:
    query(
        url,
        "DROP TRIGGER fail_here"
        + ("" if url.startswith("sqlite") else " ON " + ("processed_update" if where == "key" else "conversation")),
    )


async def test_sqlite_connections_are_durable_and_wait_for_the_lock(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url, pool_size=2)  # one is the default; two show both get set up

    async def pragmas(connection) -> dict[str, object]:
        names = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys", "secure_delete")
        values = {name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar() for name in names}
        await connection.rollback()  # end the (IMMEDIATE) transaction so the next connection can begin one
        return values

    try:
        async with engine.connect() as first, engine.connect() as second:  # two pooled connections, both set up
            for connection in (first, second):
                values = await pragmas(connection)
                assert values["journal_mode"] == "wal"
                assert values["synchronous"] == 2  # FULL: the WAL is synced at every commit
                assert int(str(values["busy_timeout"])) >= 5000
                assert values["foreign_keys"] == 1
                assert values["secure_delete"] == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("where", ["key", "state"])
async def test_answer_state_and_update_key_commit_together(
    database_url: str, conversation_engine, make_campaign, where: str
) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "durable")
    await go_to_first_question(chat, campaign.code, "nb")
    add_failing_trigger(database_url, where)
    before = snapshot(database_url)
    update = Incoming(
        channel="telegram",
        user_ref="durable",
        kind=IncomingKind.text,
        text=ANSWER,
        update_key=FAILING_KEY,
        language_hint="nb",
        message_key="m1",
    )

    with pytest.raises(DBAPIError, match="simulated failure"):
        await conversation_engine.handle(update)
    assert snapshot(database_url) == before  # no answer, the same step, no key: the redelivery will not be skipped

    drop_failing_trigger(database_url, where)
    reply = await conversation_engine.handle(update)  # Telegram redelivers the update it got no 200 for
    assert not reply.duplicate and reply.step == "more"
    assert t("nb", "question.no_more") in [
        button.label for message in reply.messages for button in message.flat_buttons
    ]
    assert [row[0] for row in query(database_url, "SELECT text FROM answer")] == [ANSWER]
    assert query(database_url, "SELECT step FROM conversation") == [("more",)]
    assert query(database_url, "SELECT count(*) FROM processed_update WHERE key = ?", (FAILING_KEY,)) == [(1,)]

    again = await conversation_engine.handle(update)  # and a second redelivery changes nothing
    assert again.duplicate
    assert [row[0] for row in query(database_url, "SELECT text FROM answer")] == [ANSWER]


def test_a_commit_survives_the_process_being_killed(sqlite_url: str) -> None:
    """SIGKILL right after commit returns: the row is there for the next process (WAL recovery)."""
    script = textwrap.dedent(f"""
        import asyncio, os, signal
        from surveys.db import create_engine, session_factory
        from surveys.models import ProcessedUpdate

        async def main():
            engine = create_engine({sqlite_url!r})
            async with session_factory(engine)() as session, session.begin():
                session.add(ProcessedUpdate(key="committed-before-the-kill"))
            print("committed", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -9 and result.stdout.strip() == "committed", result.stderr
    assert query(sqlite_url, "SELECT key FROM processed_update") == [("committed-before-the-kill",)]
