"""Erasure, contact data and anonymous campaigns, checked in the database itself: raw rows and the SQLite file's bytes.

"Gone" means gone from the file: SQLite could keep deleted text in free pages (we run with secure_delete) and in
old WAL frames (checkpointed and truncated here, as `viktig erase` and `viktig purge` do).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from surveys.i18n import t
from surveys.messages import IncomingKind
from surveys.pseudonyms import pseudonym
from surveys.rights import erase_by_reference
from tests.conftest import TEST_SECRET
from tests.support.chat_driver import ChatDriver
from tests.support.raw_database import query, row_count, snapshot, sqlite_file_bytes, texts_in
from tests.surveys.test_retention import finish

FORGET = ["Hunden min Rufus betyr alt 8181", "At datteren min Kari kommer innom 8282"]
KEEP = ["Å bo hjemme lengst mulig 9191"]
ADDRESS = "7700999123"
# The file-byte checks need the SQLite file; the engine fixtures then run on it too.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def answered(
    engine, user_ref: str, code: str, texts: list[str], *, address: str | None = None, complete: bool = False
) -> ChatDriver:
    chat = ChatDriver(engine, user_ref)
    await chat.send(IncomingKind.command, command="start", argument=code, address=address)
    await chat.press(t("nb", "consent.yes"))
    for text in texts:
        await chat.say(text, address=address)
    if complete:
        await finish(chat)
    return chat


def person_rows(url: str, key: str) -> dict[str, int]:
    """Rows anywhere that belong to the person with this pseudonym, counted with plain SQL."""
    ids = [row[0] for row in query(url, "SELECT id FROM respondent WHERE pseudonym = ?", (key,))]
    counts = {"respondent": len(ids)}
    for table in ("answer", "conversation", "channel_contact"):
        counts[table] = sum(row_count(url, table, "respondent_id = ?", (rid,)) for rid in ids)
    return counts


def viktig(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "VIKTIG_SECRET_KEY": TEST_SECRET, "VIKTIG_LOG_LEVEL": "INFO"}
    return subprocess.run(
        [sys.executable, "-m", "viktig", *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )


@sqlite_only
async def test_delete_my_data_in_the_chat_leaves_no_row_and_no_byte(
    database_url, conversation_engine, make_campaign
) -> None:
    campaign = await make_campaign(reminder_after_hours=24)
    await answered(conversation_engine, "bystander", campaign.code, KEEP, complete=True)
    chat = await answered(conversation_engine, "forget-me", campaign.code, FORGET, address=ADDRESS)
    key = conversation_engine.pseudonym_for("telegram", "forget-me")
    reference = chat.last.respondent_reference
    assert person_rows(database_url, key) == {"respondent": 1, "answer": 2, "conversation": 1, "channel_contact": 1}
    secrets_of_the_person = [*FORGET, ADDRESS, key, reference]
    assert texts_in(sqlite_file_bytes(database_url), secrets_of_the_person)  # the scan sees them while they exist

    await chat.say("/slett")
    await chat.press(t("nb", "delete.yes"))
    assert t("nb", "delete.done") in chat.text

    assert person_rows(database_url, key) == {"respondent": 0, "answer": 0, "conversation": 0, "channel_contact": 0}
    assert [row[0] for row in query(database_url, "SELECT text FROM answer")] == KEEP
    blobs = sqlite_file_bytes(database_url)
    assert texts_in(blobs, secrets_of_the_person) == {}
    assert texts_in(blobs, KEEP) == {"viktig.db": KEEP}


@sqlite_only
async def test_staff_erasure_by_reference_from_the_command_line(
    database_url, conversation_engine, make_campaign
) -> None:
    first = await make_campaign(name="Våren", reminder_after_hours=12)
    second = await make_campaign(name="Høsten", reminder_after_hours=48)
    chat = await answered(conversation_engine, "asks-staff", first.code, FORGET[:1], complete=True)
    chat.campaign_code = second.code
    await answered_again(chat, second.code, FORGET[1:], address=ADDRESS)
    reference = chat.last.respondent_reference
    assert reference and reference.startswith("R-")
    await answered(conversation_engine, "someone-else", first.code, KEEP, complete=True)
    key = conversation_engine.pseudonym_for("telegram", "asks-staff")
    assert person_rows(database_url, key)["answer"] == 2

    declined = viktig(database_url, "erase", reference, stdin="n\n")
    assert declined.returncode == 1 and "nothing was deleted" in declined.stdout
    assert "2 answers" in declined.stdout and first.code in declined.stdout and second.code in declined.stdout
    assert person_rows(database_url, key)["answer"] == 2

    typed_loosely = reference.lower().replace("-", " ")  # as read out over the phone
    done = viktig(database_url, "erase", typed_loosely, "--yes")
    assert done.returncode == 0, done.stderr
    assert "erased: 2 answers, 2 conversations, 1 contacts" in done.stdout
    assert person_rows(database_url, key) == {"respondent": 0, "answer": 0, "conversation": 0, "channel_contact": 0}
    assert [row[0] for row in query(database_url, "SELECT text FROM answer")] == KEEP

    log = query(
        database_url,
        "SELECT actor, action, campaign_id, detail FROM access_log WHERE action = 'erasure' ORDER BY campaign_id",
    )
    assert [entry[2] for entry in log] == [first.id, second.id]
    assert all(entry[0].startswith("cli:") for entry in log)
    assert texts_in(sqlite_file_bytes(database_url), [*FORGET, ADDRESS, key, reference]) == {}
    for output in (declined.stdout + declined.stderr, done.stdout + done.stderr):
        assert not any(text in output for text in FORGET)

    again = viktig(database_url, "erase", reference, "--yes")
    assert again.returncode == 1 and "no respondent has the reference" in again.stderr


async def answered_again(chat: ChatDriver, code: str, texts: list[str], *, address: str) -> None:
    await chat.send(IncomingKind.command, command="start", argument=code, address=address)
    await chat.press(t("nb", "consent.yes"))
    for text in texts:
        await chat.say(text, address=address)


async def test_erase_by_reference_on_both_databases(database_url, sessions, conversation_engine, make_campaign) -> None:
    campaign = await make_campaign(reminder_after_hours=24)
    chat = await answered(conversation_engine, "p1", campaign.code, FORGET, address=ADDRESS)
    await answered(conversation_engine, "p2", campaign.code, KEEP)
    before = snapshot(database_url)
    async with sessions() as session, session.begin():
        assert await erase_by_reference(session, "R-0000-0000", actor="staff@kommune.no") is None
    assert snapshot(database_url) == before  # an unknown reference changes nothing, not even the log

    assert chat.last.respondent_reference is not None
    async with sessions() as session, session.begin():
        counts = await erase_by_reference(session, chat.last.respondent_reference, actor="staff@kommune.no")
    assert counts is not None and (counts.answers, counts.conversations, counts.contacts, counts.respondents) == (
        2,
        1,
        1,
        1,
    )
    key = conversation_engine.pseudonym_for("telegram", "p1")
    assert person_rows(database_url, key) == {"respondent": 0, "answer": 0, "conversation": 0, "channel_contact": 0}
    assert [row[0] for row in query(database_url, "SELECT text FROM answer")] == KEEP
    [(actor, action, campaign_id, detail)] = query(
        database_url, "SELECT actor, action, campaign_id, detail FROM access_log"
    )
    assert (actor, action, campaign_id) == ("staff@kommune.no", "erasure", campaign.id)
    assert chat.last.respondent_reference not in detail and "2 answers" in detail


@pytest.mark.parametrize("reminders", [None, 24])
async def test_contact_data_only_with_reminders_and_gone_on_completion(
    database_url, conversation_engine, make_campaign, reminders
) -> None:
    campaign = await make_campaign(reminder_after_hours=reminders)
    chat = await answered(conversation_engine, "reachable", campaign.code, ["Svar"], address=ADDRESS)
    stored = query(database_url, "SELECT channel, address FROM channel_contact")
    assert stored == ([("telegram", ADDRESS)] if reminders else [])
    await finish(chat)
    assert row_count(database_url, "channel_contact") == 0


@sqlite_only
async def test_anonymous_campaign_keeps_nothing_that_links_back(
    database_url, conversation_engine, make_campaign
) -> None:
    campaign = await make_campaign(anonymous=True, reminder_after_hours=24)
    chat = await answered(conversation_engine, "anonymous-person", campaign.code, FORGET, address=ADDRESS)
    key = conversation_engine.pseudonym_for("telegram", "anonymous-person")
    reference = chat.last.respondent_reference
    assert reference is not None
    assert row_count(database_url, "channel_contact") == 1  # while the conversation is going, a reminder may be due
    await finish(chat)
    assert reference not in chat.text  # an anonymous campaign shows no reference: there is nothing to refer to

    rows = query(database_url, "SELECT text, respondent_id, conversation_id, message_key FROM answer ORDER BY id")
    assert rows == [(text, None, None, None) for text in FORGET]
    for table in ("respondent", "conversation", "channel_contact"):
        assert row_count(database_url, table) == 0, table
    blobs = sqlite_file_bytes(database_url)
    assert texts_in(blobs, [ADDRESS, key, reference, pseudonym(TEST_SECRET, "telegram", "anonymous-person")]) == {}
    assert texts_in(blobs, FORGET) == {"viktig.db": FORGET}  # the answers themselves stay, unlinked

    await chat.say("/mine_data")
    assert t("nb", "mydata.none") in chat.text
    assert row_count(database_url, "respondent") == 0  # asking did not create a pseudonym again
