"""Migration 0021 removes the Telegram chat id that older versions stored in every answer's message_key."""

from __future__ import annotations

from surveys.i18n import t
from surveys.messages import IncomingKind
from tests.support.chat_driver import ChatDriver
from tests.support.raw_database import query, sqlite_file_bytes, texts_in
from viktig.migrate import downgrade, upgrade

CHAT_ID = "7391845263"


async def test_old_message_keys_lose_the_chat_id_and_edits_still_find_their_answer(
    conversation_engine, make_campaign, database_url: str
) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, CHAT_ID)
    await chat.start(campaign.code)
    await chat.press(t("nb", "consent.yes"))
    await chat.say("Turr i skogen", message_key="m17")
    # What versions before 0021 wrote: "<chat id>:<message id>".
    query(database_url, "UPDATE answer SET message_key = ?", (f"{CHAT_ID}:17",))
    downgrade(database_url, "0003")
    upgrade(database_url)
    assert query(database_url, "SELECT message_key FROM answer") == [("m17",)]
    if database_url.startswith("sqlite"):
        assert texts_in(sqlite_file_bytes(database_url), [CHAT_ID]) == {}
    await chat.send(IncomingKind.edit, text="Tur i skogen", message_key="m17")
    assert query(database_url, "SELECT text FROM answer") == [("Tur i skogen",)]
