"""The engine's hot path on each database: a dead pooled PostgreSQL connection costs a retry, not an update."""

from __future__ import annotations

import pytest

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
