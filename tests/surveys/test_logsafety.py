"""Log redaction through a real logging handler: the bot token and personal data never reach the output."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from surveys.logsafety import RedactingFilter, install_log_redaction, quiet_noisy_loggers

TOKEN = "7654321098:AAHx3kq_Zt9-pLmN0oQrStUvWxYz12345ab"
SECRET_PART = TOKEN.split(":", 1)[1]
FNR = "01018012371"  # valid: control digits worked out by hand in test_deidentify.py
URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """A StreamHandler on the root logger at DEBUG, writing to a buffer; the previous set-up restored afterwards."""
    root = logging.getLogger()
    saved_level = root.level
    noisy = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "telegram.ext")}
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)
        loggers = [root, *(lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
        for other in {id(h): h for lg in loggers for h in lg.handlers}.values():
            for f in [f for f in other.filters if isinstance(f, RedactingFilter)]:
                other.removeFilter(f)


def test_debug_record_with_token_and_fodselsnummer_comes_out_without_either(captured: io.StringIO) -> None:
    install_log_redaction([TOKEN])
    logging.getLogger("bot.telegram").debug("Calling %s with text=%r", URL, f"Fødselsnummeret mitt er {FNR}")
    out = captured.getvalue()
    assert out == (
        "DEBUG bot.telegram: Calling https://api.telegram.org/bot[secret]/sendMessage "
        "with text='Fødselsnummeret mitt er [ID number]'\n"
    )
    assert TOKEN not in out and SECRET_PART not in out and FNR not in out


def test_without_the_filter_the_same_record_leaks(captured: io.StringIO) -> None:
    """The capture itself is honest: the raw record does carry the token and the number."""
    logging.getLogger("telegram.ext").setLevel(logging.DEBUG)
    logging.getLogger("telegram.ext").debug("Calling %s with %s", URL, FNR)
    assert TOKEN in captured.getvalue() and FNR in captured.getvalue()


def test_httpx_request_line_is_scrubbed_even_when_forced_to_debug(captured: io.StringIO) -> None:
    quiet_noisy_loggers()
    install_log_redaction([TOKEN])
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.info('HTTP Request: POST %s "HTTP/1.1 200 OK"', URL)
    assert captured.getvalue() == ""  # quiet by default
    httpx_logger.setLevel(logging.DEBUG)  # someone debugging: the filter still holds
    httpx_logger.info('HTTP Request: POST %s "HTTP/1.1 200 OK"', URL)
    assert "POST https://api.telegram.org/bot[secret]/sendMessage" in captured.getvalue()
    assert SECRET_PART not in captured.getvalue()


def test_quiet_noisy_loggers_sets_warning() -> None:
    saved = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    try:
        quiet_noisy_loggers()
        assert {name: logging.getLogger(name).level for name in saved} == {
            "httpx": logging.WARNING,
            "httpcore": logging.WARNING,
        }
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_token_secret_part_and_url_encoded_token_are_removed(captured: io.StringIO) -> None:
    install_log_redaction([TOKEN])
    log = logging.getLogger("bot")
    log.warning("token tail %s", SECRET_PART)
    log.warning("encoded %s", quote(TOKEN, safe=""))
    out = captured.getvalue()
    assert out.count("[secret]") == 2
    assert SECRET_PART not in out and quote(SECRET_PART, safe="") not in out


def test_traceback_and_exception_text_are_scrubbed(captured: io.StringIO) -> None:
    install_log_redaction([TOKEN])
    try:
        raise ConnectionError(f"could not reach {URL} for chat with phone +47 912 34 567")
    except ConnectionError:
        logging.getLogger("telegram.ext").exception("send failed")
    out = captured.getvalue()
    assert "Traceback" in out and "ConnectionError" in out
    assert SECRET_PART not in out and "912 34 567" not in out and "[phone number]" in out


def test_personal_data_and_chat_ids_are_replaced(captured: io.StringIO) -> None:
    install_log_redaction([])
    logging.getLogger("surveys").info(
        "update %(update)s from chat %(chat)d: %(text)s",
        {"update": {"message": {"text": "mail kari@example.no"}}, "chat": 5550123, "text": "tlf 91234567"},
    )
    out = captured.getvalue()
    assert "5550123" not in out and "kari@example.no" not in out and "91234567" not in out
    assert "[number]" in out and "[email]" in out and "[phone number]" in out


def test_counts_and_short_numbers_stay(captured: io.StringIO) -> None:
    install_log_redaction([TOKEN])
    logging.getLogger("viktig").info("purged %d answers from campaign %s in %.1f s", 1234, "k7", 0.5)
    assert captured.getvalue() == "INFO viktig: purged 1234 answers from campaign k7 in 0.5 s\n"


def test_a_broken_format_string_is_scrubbed_and_still_logged(captured: io.StringIO) -> None:
    install_log_redaction([TOKEN])
    logging.getLogger("bot").error("token %s and %s", TOKEN)  # one argument short
    out = captured.getvalue()
    assert "ERROR bot: token %s and %s" in out and TOKEN not in out and SECRET_PART not in out


def test_installing_again_replaces_the_filter(captured: io.StringIO) -> None:
    handler = logging.getLogger().handlers[-1]
    install_log_redaction(["first-secret-value"])
    install_log_redaction([TOKEN, "", "short"])  # blanks and too-short values are ignored, not applied everywhere
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    logging.getLogger("bot").warning("a short word, the %s and first-secret-value", TOKEN)
    assert "a short word, the [secret] and first-secret-value" in captured.getvalue()


def test_filter_on_a_handler_of_its_own() -> None:
    """The filter works on any handler, not only the root's: e.g. a file handler added by an operator."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactingFilter([TOKEN]))
    logger = logging.getLogger("tests.logsafety.own")
    logger.propagate, logger.level = False, logging.DEBUG
    logger.addHandler(handler)
    try:
        logger.debug("%s %s", URL, FNR)
    finally:
        logger.removeHandler(handler)
    assert buffer.getvalue() == "https://api.telegram.org/bot[secret]/sendMessage [ID number]\n"


def test_object_addresses_in_library_lines_stay_whole(captured: io.StringIO) -> None:
    install_log_redaction([])
    logging.getLogger("aiosqlite").debug("operation <Connection object at 0x7f4a04c80b40> for chat %d", 61234567890)
    assert captured.getvalue() == "DEBUG aiosqlite: operation <Connection object at 0x7f4a04c80b40> for chat [number]\n"


def test_library_debug_payloads_lose_their_values_but_keep_their_keys(captured: io.StringIO) -> None:
    install_log_redaction([TOKEN])
    logging.getLogger("telegram.ext.ExtBot").setLevel(logging.DEBUG)
    update = {
        "update_id": 1,
        "message": {"from": {"first_name": "Kari"}, "text": "Å lese avisen med Ingrid", "chat": {"id": 5550123}},
    }
    logging.getLogger("telegram.ext.ExtBot").debug(
        "Call to Bot API endpoint `getUpdates` finished with return value `%s`", [update]
    )
    logging.getLogger("aiosqlite").debug(
        "executing %r", ("INSERT INTO answer (text) VALUES (?)", ('Kari\'s "svar"', 3))
    )
    out = captured.getvalue()
    assert "Kari" not in out and "Ingrid" not in out and "svar" not in out and "5550123" not in out
    assert "{'update_id': 1, 'message': {'from': {'first_name': '…'}, 'text': '…', 'chat': {'id': [number]}}}" in out
    assert "executing ('…', ('…', 3))" in out


def test_our_own_debug_lines_and_library_info_lines_keep_their_quotes(captured: io.StringIO) -> None:
    install_log_redaction([])
    logging.getLogger("surveys.engine").debug("step=%r language=%r", "consent", "nb")
    logging.getLogger("aiohttp.access").info('"GET /s/abc HTTP/1.1" 200 2790 "-"')
    assert captured.getvalue() == (
        "DEBUG surveys.engine: step='consent' language='nb'\n"
        'INFO aiohttp.access: "GET /s/abc HTTP/1.1" 200 2790 "-"\n'
    )
