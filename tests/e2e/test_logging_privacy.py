"""A whole conversation with every logger at DEBUG: no answer text, chat id, phone number or secret in the log.

The production set-up (viktig.logging_setup) runs first; then the root logger and the libraries (aiohttp, httpx,
python-telegram-bot, sqlalchemy.engine) are forced to DEBUG, so the redaction, not a quiet level, has to keep the
secrets out. Known traps: httpx logs request URLs, which contain the bot token, at INFO; python-telegram-bot logs
request parameters (the texts it sends back, such as the "my data" listing) at DEBUG; a webhook server could log
update bodies; SQLAlchemy's engine logger would print bound parameters (answer texts) unless they are hidden.
"""

from __future__ import annotations

import logging

import pytest

from surveys.db import create_engine, session_factory
from surveys.i18n import t
from surveys.logsafety import RedactingFilter
from surveys.models import ProcessedUpdate
from surveys.settings import Settings
from tests.bot.fixtures import Person, campaign_in, running_server
from tests.conftest import TEST_SECRET
from tests.support.fake_bot_api import FakeBotApi
from tests.support.log_capture import debug_log_capture
from viktig.logging_setup import remove_logging, setup_logging

CHAT = 6_300_777
PHONE = "+4791122334"
ANSWERS = [
    "Å lese avisen sammen med Ingrid hver tirsdag",
    "Fotpleie og hjelp med dusjen",
    "Mer tid til samtale om sorgen",
]


def assert_clean(log: str, secrets: dict[str, str]) -> None:
    leaks = {name: value for name, value in secrets.items() if value in log}
    assert leaks == {}, f"in the log: {sorted(leaks)}"


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_telegram_conversation_at_debug_leaks_nothing(sqlite_url: str, mode: str) -> None:
    campaign = await campaign_in(sqlite_url)
    async with FakeBotApi(retry_delay=0.01, max_retry_delay=0.05) as fake:
        with debug_log_capture(fake.token) as buffer:
            async with running_server(fake, sqlite_url, mode) as server:
                assert server.ctx.db.sync_engine.hide_parameters  # SQL parameters never reach a log line
                person = Person(fake, CHAT, language_code="nb")
                await person.start(campaign.code)
                await person.press(t("nb", "consent.yes"))
                await person.say(ANSWERS[0])
                await person.say(ANSWERS[1])
                await person.press(t("nb", "question.no_more"))
                await person.say(ANSWERS[2])
                await person.press(t("nb", "summary.send"), expect=2)
                await person._push_and_wait(fake.contact(CHAT, phone_number=PHONE, language_code="nb"), 1, 10)
                [listing] = await person.say("/mine_data")
                assert ANSWERS[0] in listing  # the bot did send the answers back: the log must not show them
                await person.say("/slett")
                await person.press(t("nb", "delete.yes"))
                webhook_secret = fake.webhook.secret_token if fake.webhook else None
        log = buffer.getvalue()
    assert "telegram" in log and len(log.splitlines()) > 50  # the capture caught the libraries' chatter
    assert any(name in log for name in ("httpx", "telegram.ext", "sqlalchemy.engine"))
    secrets = {f"answer {i}": text for i, text in enumerate(ANSWERS)}
    secrets.update(
        {
            "bot token": fake.token,
            "token secret part": fake.token.split(":", 1)[1],
            "chat id": str(CHAT),
            "phone": PHONE,
            "phone digits": PHONE[-8:],
            "secret key": TEST_SECRET,
        }
    )
    if webhook_secret:
        secrets["webhook secret"] = webhook_secret
    assert_clean(log, secrets)
    assert fake.violations == []


async def test_web_chat_conversation_at_debug_leaks_nothing(sqlite_url: str) -> None:
    from tests.e2e.test_privacy_e2e import through_web

    campaign = await campaign_in(sqlite_url)
    log = await through_web(sqlite_url, campaign.code, [ANSWERS[0], ANSWERS[2]])
    assert "aiohttp" in log or "sqlalchemy" in log
    assert_clean(log, {"answer 0": ANSWERS[0], "answer 2": ANSWERS[2], "secret key": TEST_SECRET})


async def test_sql_echo_never_prints_values(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Even with echo switched on by someone debugging, the engine logs statements without their values."""
    engine = create_engine(sqlite_url, echo=True)
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            async with session_factory(engine)() as session, session.begin():
                session.add(ProcessedUpdate(key=ANSWERS[1]))
    finally:
        await engine.dispose()
    assert "INSERT INTO processed_update" in caplog.text
    assert ANSWERS[1] not in caplog.text


def test_the_logging_set_up_runs_once_and_removing_it_leaves_nothing_behind(caplog: pytest.LogCaptureFixture) -> None:
    """Tests run `viktig` in-process: its set-up must not pile up handlers, nor stay on pytest's handlers after."""
    root = logging.getLogger()
    names = ("alembic", "httpx", "httpcore")
    before = (list(root.handlers), root.level, [logging.getLogger(name).level for name in names])
    settings = Settings(secret_key=TEST_SECRET, log_level="DEBUG")
    setup_logging(settings)
    setup_logging(settings)
    assert len([handler for handler in root.handlers if handler not in before[0]]) == 1
    assert all(any(isinstance(f, RedactingFilter) for f in handler.filters) for handler in root.handlers)
    logging.getLogger("viktig.test").warning("chat %s", 5_550_123_456)
    assert "[number]" in caplog.text and "5550123456" not in caplog.text
    remove_logging()
    assert (list(root.handlers), root.level, [logging.getLogger(name).level for name in names]) == before
    assert not any(
        isinstance(f, RedactingFilter) for handler in (*root.handlers, caplog.handler) for f in handler.filters
    )
    caplog.clear()
    logging.getLogger("viktig.test").warning("count %s", 12_345_678)  # a later test's records arrive as logged
    assert "12345678" in caplog.text
