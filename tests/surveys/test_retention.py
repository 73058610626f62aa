"""Retention purge on SQLite and PostgreSQL, checked in the database itself (plain driver connections).

One scenario holds everything the rules distinguish: campaigns past and within their retention period (closed by
staff or by their closing date), a person who answered a due and a live campaign, a person waiting for a reminder,
an anonymous campaign, conversations without consent (old and recent), old and recent update keys, themes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from surveys.access_log import record_access
from surveys.i18n import t
from surveys.ids import pk
from surveys.messages import IncomingKind
from surveys.models import (
    Answer,
    AnswerTheme,
    Campaign,
    Conversation,
    LoginThrottle,
    ProcessedUpdate,
    Theme,
    ThemeRun,
    utcnow,
)
from surveys.retention import PurgeReport, add_months, purge_due, run_purge
from tests.support.chat_driver import ChatDriver
from tests.support.raw_database import query, row_count, snapshot
from tests.surveys.test_engine import go_to_first_question

NOW = utcnow()


@dataclass
class Scenario:
    due: dict[str, int]  # campaign name -> id, past retention
    kept: dict[str, int]  # within retention, live, or not yet closed
    texts_due: list[str]
    texts_kept: list[str]


async def finish(chat: ChatDriver) -> None:
    await chat.press(t("nb", "question.no_more"))
    await chat.press(t("nb", "question.skip"))
    await chat.press(t("nb", "summary.send"))
    assert chat.last.finished


async def answer(chat: ChatDriver, code: str, text: str, *, complete: bool = True, address: str | None = None) -> None:
    if address:
        await chat.send(IncomingKind.command, command="start", argument=code, address=address)
        await chat.press(t("nb", "consent.yes"))
    else:
        await go_to_first_question(chat, code, "nb")
    await chat.say(text)
    if complete:
        await finish(chat)


async def set_values(sessions, model, row_id, **values) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(model).where(col(model.id) == row_id).values(**values))


async def add_themes(sessions, campaign_id: int) -> None:
    """What the analysis leaves behind for a campaign: a run, two themes (one merged), an assignment."""
    async with sessions() as session, session.begin():
        run = ThemeRun(campaign_id=campaign_id, n_answers=1)
        session.add(run)
        await session.flush()
        target = Theme(campaign_id=campaign_id, key="family", label="Familie", run_id=run.id, keywords=["familie"])
        session.add(target)
        await session.flush()
        session.add(Theme(campaign_id=campaign_id, key="kids", label="Barn", run_id=run.id, merged_into_id=target.id))
        first = (
            await session.exec(select(Answer).where(Answer.campaign_id == campaign_id).order_by(col(Answer.id)))
        ).first()
        assert first is not None
        session.add(AnswerTheme(answer_id=pk(first), theme_id=pk(target), run_id=pk(run)))


async def build(conversation_engine, sessions, make_campaign) -> Scenario:
    due_staff = await make_campaign(name="Due, closed by staff", reminder_after_hours=24)
    due_date = await make_campaign(name="Due, closing date passed")
    due_anon = await make_campaign(name="Due, anonymous, one month", anonymous=True, retention_months=1)
    live = await make_campaign(name="Live")
    recent = await make_campaign(name="Closed eleven months ago")
    future = await make_campaign(name="Closes next month")

    both = ChatDriver(conversation_engine, "both")
    await answer(both, due_staff.code, "Gamle svar om hagen 1001")
    both.campaign_code = live.code
    await answer(both, live.code, "Levende svar om naboen 2002")
    waiting = ChatDriver(conversation_engine, "waiting")
    await answer(waiting, due_staff.code, "Venter på purring 3003", complete=False, address="7700123")
    await answer(ChatDriver(conversation_engine, "dated"), due_date.code, "Fristen gikk ut 4004")
    await answer(ChatDriver(conversation_engine, "anon"), due_anon.code, "Anonymt svar 5005")
    await answer(ChatDriver(conversation_engine, "recent"), recent.code, "Nylig lukket 6006")
    await answer(ChatDriver(conversation_engine, "future"), future.code, "Lukker snart 7007")
    for name in ("idle", "fresh"):  # saw the privacy text, never answered it
        await ChatDriver(conversation_engine, f"unconsented-{name}").start(live.code)

    await set_values(sessions, Campaign, due_staff.id, status="closed", closed_at=add_months(NOW, -13))
    await set_values(sessions, Campaign, due_date.id, closes_at=add_months(NOW, -14))
    await set_values(sessions, Campaign, due_anon.id, status="closed", closed_at=NOW - timedelta(days=40))
    await set_values(sessions, Campaign, recent.id, status="closed", closed_at=add_months(NOW, -11))
    await set_values(sessions, Campaign, future.id, closes_at=add_months(NOW, 1))
    async with sessions() as session, session.begin():
        unconsented = (
            await session.exec(
                select(Conversation).where(col(Conversation.consent_at).is_(None)).order_by(col(Conversation.id))
            )
        ).all()
        assert len(unconsented) == 2
        unconsented[0].updated_at = NOW - timedelta(days=8)
        unconsented[1].updated_at = NOW - timedelta(days=1)
        session.add_all(unconsented)
        session.add(ProcessedUpdate(key="test:old", processed_at=NOW - timedelta(days=8)))
        session.add(ProcessedUpdate(key="test:recent", processed_at=NOW - timedelta(days=6)))
        session.add(LoginThrottle(key="test:old-login", failures=3, updated_at=NOW - timedelta(days=2)))
        session.add(LoginThrottle(key="test:recent-login", failures=3, updated_at=NOW - timedelta(minutes=5)))
        await record_access(session, actor="leder@kommune.no", action="view_answers", campaign_id=due_staff.id)
    for campaign in (due_staff, live):
        await add_themes(sessions, campaign.id)
    return Scenario(
        due={c.name: c.id for c in (due_staff, due_date, due_anon)},
        kept={c.name: c.id for c in (live, recent, future)},
        texts_due=["Gamle svar om hagen 1001", "Venter på purring 3003", "Fristen gikk ut 4004", "Anonymt svar 5005"],
        texts_kept=["Levende svar om naboen 2002", "Nylig lukket 6006", "Lukker snart 7007"],
    )


def in_list(ids) -> str:
    return "(" + ",".join(str(int(i)) for i in ids) + ")"


async def test_dry_run_changes_nothing_and_counts_what_the_real_run_deletes(
    database_url: str, conversation_engine, sessions, make_campaign
) -> None:
    scenario = await build(conversation_engine, sessions, make_campaign)
    before = snapshot(database_url)
    dry = await run_purge(sessions, dry_run=True)
    assert snapshot(database_url) == before
    assert dry.dry_run and sorted(d.campaign_id for d in dry.due) == sorted(scenario.due.values())

    due = in_list(scenario.due.values())
    # Figures computed with SQL before the real run, not with the code under test.
    due_answers = row_count(database_url, "answer", f"campaign_id IN {due}")
    due_runs = row_count(database_url, "theme_run", f"campaign_id IN {due}")
    real = await run_purge(sessions)
    assert real.counts() == dry.counts()
    assert real.answers == due_answers == 4
    assert real.theme_runs == due_runs == 1
    assert real.campaigns == 3
    assert real.answer_themes == 1
    assert real.conversations == 3  # both@due_staff, waiting, dated (the anonymous one was dropped on completion)
    assert real.respondents == 3  # waiting, dated, and the idle unconsented person
    assert real.channel_contacts == 1  # waiting for a reminder
    assert real.theme_runs == 1 and real.themes == 2
    assert real.unconsented_conversations == 1
    assert real.processed_updates == 1
    assert real.login_attempts == 1


async def test_real_purge_removes_what_is_due_and_nothing_else(
    database_url: str, conversation_engine, sessions, make_campaign
) -> None:
    scenario = await build(conversation_engine, sessions, make_campaign)
    before = snapshot(database_url)
    await run_purge(sessions)
    due, kept = in_list(scenario.due.values()), in_list(scenario.kept.values())

    texts = [row[0] for row in query(database_url, "SELECT text FROM answer ORDER BY id")]
    assert texts == scenario.texts_kept
    assert row_count(database_url, "conversation", f"campaign_id IN {due}") == 0
    assert row_count(database_url, "theme", f"campaign_id IN {due}") == 0
    assert row_count(database_url, "theme_run", f"campaign_id IN {due}") == 0
    assert row_count(database_url, "answer_theme") == 1  # the live campaign's
    assert row_count(database_url, "channel_contact") == 0
    # The person who also answered the live campaign is still there, with only that conversation.
    assert row_count(database_url, "respondent") == 4  # both, recent, future, the fresh unconsented one
    assert row_count(database_url, "conversation", "consent_at IS NULL") == 1
    assert [row[0] for row in query(database_url, "SELECT key FROM processed_update WHERE key LIKE 'test:%'")] == [
        "test:recent"
    ]
    assert [row[0] for row in query(database_url, "SELECT key FROM login_throttle")] == ["test:recent-login"]
    assert (
        len(after_keys := query(database_url, "SELECT key FROM processed_update"))
        == len(before["processed_update"]) - 1
    ), after_keys
    # Nothing of the kept campaigns changed; the campaign rows all stay.
    after = snapshot(database_url)
    for table in ("theme", "theme_run"):
        kept_rows = [row for row in before[table] if row[1] in scenario.kept.values()]
        assert after[table] == kept_rows, table
    assert after["campaign"] == before["campaign"]
    assert (
        after["unit"] == before["unit"]
        and after["survey"] == before["survey"]
        and after["question"] == before["question"]
    )
    kept_answers = query(database_url, f"SELECT count(*) FROM answer WHERE campaign_id IN {kept}")[0][0]
    assert kept_answers == 3
    # The access log keeps the earlier entry and gains one purge entry per purged campaign, with counts only.
    log = query(database_url, "SELECT actor, action, campaign_id, detail FROM access_log ORDER BY id")
    assert log[0][:3] == ("leder@kommune.no", "view_answers", scenario.due["Due, closed by staff"])
    purges = log[1:]
    assert sorted(entry[2] for entry in purges) == sorted(scenario.due.values())
    assert all(entry[1] == "purge" and "answers deleted" in entry[3] for entry in purges)
    assert not any(text in repr(log) for text in scenario.texts_due + scenario.texts_kept)

    again = await run_purge(sessions)  # nothing left to do: a second run deletes nothing and logs nothing
    assert again.counts() == PurgeReport().counts()
    assert row_count(database_url, "access_log") == len(log)


async def test_purge_in_the_callers_transaction_follows_its_rollback(
    database_url: str, conversation_engine, sessions, make_campaign
) -> None:
    """purge_due does not commit: the adapter (CLI, worker) owns the transaction."""
    scenario = await build(conversation_engine, sessions, make_campaign)
    before = snapshot(database_url)
    async with sessions() as session, session.begin():
        report = await purge_due(session, NOW)
        assert report.answers == 4
        await session.rollback()
    assert snapshot(database_url) == before
    assert scenario.due


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2025, 1, 31, 12), 1, datetime(2025, 2, 28, 12)),
        (datetime(2024, 1, 31), 1, datetime(2024, 2, 29)),
        (datetime(2025, 3, 15), 12, datetime(2026, 3, 15)),
        (datetime(2025, 11, 30), 3, datetime(2026, 2, 28)),
        (datetime(2025, 5, 31), -13, datetime(2024, 4, 30)),
    ],
)
def test_months_are_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert add_months(moment, months) == expected


async def test_campaign_closing_today_is_not_due_until_its_months_have_passed(
    conversation_engine, sessions, make_campaign
) -> None:
    campaign = await make_campaign(retention_months=6)
    await answer(ChatDriver(conversation_engine, "p"), campaign.code, "Svar")
    await set_values(sessions, Campaign, campaign.id, status="closed", closed_at=NOW)
    for later, due in ((add_months(NOW, 6) - timedelta(seconds=1), False), (add_months(NOW, 6), True)):
        async with sessions() as session, session.begin():
            report = await purge_due(session, later, dry_run=True)
        assert [d.campaign_id for d in report.due] == ([campaign.id] if due else [])
