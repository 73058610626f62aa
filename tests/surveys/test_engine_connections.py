"""The engine's hot path on each database: a dead pooled PostgreSQL connection costs a retry, not an update; a
SQLite turn is one hop to the database thread, on the pool's own connection."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy.exc import OperationalError

from surveys.i18n import t
from tests.support.chat_driver import ChatDriver
from tests.support.raw_database import query


async def test_a_turn_on_a_dead_pooled_connection_is_retried(database_url, conversation_engine, make_campaign) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose")
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "dead-connection")
    await chat.start(campaign.code)
    # Every connection the pool holds is cut from the server side, as a restart or an idle-killing proxy would.
    cut = query(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    assert cut, "the pool should have held a connection"
    await chat.press(t("nb", "consent.yes"))
    assert "Hva er viktig for deg?" in chat.text
    await chat.say("Å være ute i hagen")
    assert chat.button(t("nb", "question.no_more"))


class CountedHops:
    """Counts the calls handed to aiosqlite's worker thread (each is one trip from the event loop and back)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hops = 0
        original = aiosqlite.Connection._execute

        async def counted(connection: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.hops += 1
            return await original(connection, fn, *args, **kwargs)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_sqlite_turn_is_one_hop_on_the_pools_own_connection(
    db_engine, conversation_engine, make_campaign, monkeypatch
) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "one-hop")
    await chat.start(campaign.code)
    counted = CountedHops(monkeypatch)
    await chat.press(t("nb", "consent.yes"))
    assert counted.hops == 1
    assert "Hva er viktig for deg?" in chat.text
    # A setting made on the pooled connection at run time reaches the turn: it is that connection, not a copy.
    async with db_engine.connect() as connection:
        await (await connection.get_raw_connection()).driver_connection.execute("PRAGMA query_only = ON")
    with pytest.raises(OperationalError, match="readonly"):
        await chat.say("Å være ute i hagen")
    async with db_engine.connect() as connection:
        await (await connection.get_raw_connection()).driver_connection.execute("PRAGMA query_only = OFF")
    await chat.say("Å være ute i hagen")
    assert chat.button(t("nb", "question.no_more"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_sqlite_connection_returned_in_a_transaction_is_rolled_back(db_engine) -> None:
    async with db_engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        await driver.execute("BEGIN IMMEDIATE")
        assert driver.in_transaction
    async with db_engine.connect() as connection:
        assert (await connection.get_raw_connection()).driver_connection is driver  # the pool's one connection
        assert not driver.in_transaction
