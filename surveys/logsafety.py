"""Keep secrets and personal data out of log lines, whatever level a library logs at.

python-telegram-bot's HTTP client (httpx) logs every request URL at INFO, and the Bot API puts the bot token in
the URL (https://api.telegram.org/bot<TOKEN>/sendMessage); at DEBUG the libraries also log request parameters and
update bodies, which hold what people wrote. Quietening those loggers is the first measure, but a quiet level is
easy to undo while debugging, so every record is also scrubbed before any handler writes it:

- the given secrets (and the token's secret half, and their URL-encoded forms) become ``[secret]``;
- `surveys.deidentify.redact` replaces identity numbers, phone numbers, e-mails and addresses;
- IP addresses (v4 and v6) become ``[address]`` unless VIKTIG_LOG_CLIENT_IP asks to keep them (aiohttp logs
  "Error handling request from <client>");
- runs of 7 or more digits (Telegram chat and user ids) become ``[number]``; counts that large are rare in our
  logs, ids are not;
- in DEBUG records from libraries (not from our own packages), quoted string values become ``'…'``: at DEBUG,
  python-telegram-bot logs whole updates and API replies, aiosqlite its query arguments and SQLAlchemy its result
  rows, all holding answer texts and names that no pattern can recognise. Dict keys (a quoted string followed by
  a colon) stay, so the line still shows its shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["RedactingFilter", "install_log_redaction", "quiet_noisy_loggers"]

SECRET_PLACEHOLDER = "[secret]"
NUMBER_PLACEHOLDER = "[number]"
ADDRESS_PLACEHOLDER = "[address]"
_ADDRESS = re.compile(
    r"(?<![\w.:])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"  # IPv4
    r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"  # IPv6, full
    r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::"  # IPv6 with ::
    r"(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?(?![\w:])"
)
# Shorter "secrets" are configuration mistakes; replacing them everywhere would shred every log line.
MIN_SECRET_LENGTH = 6
NOISY_LOGGERS = ("httpx", "httpcore")
# Hex literals (object addresses in library debug lines) are matched first so that they stay whole.
_LONG_NUMBER = re.compile(r"0x[0-9a-fA-F]+|(?<![0-9])[0-9]{7,}(?![0-9])")
OWN_PACKAGES = ("viktig", "surveys", "bot", "web", "analysis", "migrations", "__main__")
_QUOTED = re.compile(r"""(?P<literal>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")(?P<key>[ \t]*:)?""")


def _is_own(logger_name: str) -> bool:
    return logger_name.split(".", 1)[0] in OWN_PACKAGES


def _mask_value(match: re.Match[str]) -> str:
    return match.group() if match.group("key") else "'…'"


def _mask_address(match: re.Match[str]) -> str:
    """Loopback and "any" addresses (the server's own listen address) say nothing about a person."""
    kept = match.group().startswith("127.") or match.group() in ("0.0.0.0", "::", "::1")
    return match.group() if kept else ADDRESS_PLACEHOLDER


def _mask_number(match: re.Match[str]) -> str:
    return match.group() if match.group().startswith("0x") else NUMBER_PLACEHOLDER


def _secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Each secret as it may appear in a log line: plain, URL-encoded, and a bot token's part after the colon."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            continue
        candidates = {secret, quote(secret, safe=""), quote(secret)}
        if ":" in secret:  # "<bot id>:<secret>": the bot id is public, the rest is what must never leak
            tail = secret.split(":", 1)[1]
            if len(tail) >= MIN_SECRET_LENGTH:
                candidates.add(tail)
        forms.update(candidates)
    return tuple(sorted(forms, key=len, reverse=True))  # longest first, so a whole token goes before its tail


def _redact(text: str) -> str:
    """`surveys.deidentify.redact`, imported at the first record: its patterns (phonenumbers, python-stdnum) would
    otherwise add a tenth of a second to every `viktig` command, most of which log nothing."""
    from surveys.deidentify import redact

    return redact(text, "en")


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (rendered with its args) and traceback without secrets or personal data.

    Attached to handlers rather than loggers, because a logger's filters do not see records propagated from
    child loggers such as ``httpx`` or ``telegram.ext``. It never drops a record.
    """

    def __init__(self, secrets: Iterable[str] = (), *, keep_addresses: bool = False) -> None:
        super().__init__()
        self._secrets = _secret_forms(secrets)
        self._keep_addresses = keep_addresses
        self._handlers: list[logging.Handler] = []  # where install_log_redaction put it

    def uninstall(self) -> None:
        """Take this filter off every handler install_log_redaction put it on (a test's clean-up)."""
        for handler in self._handlers:
            handler.removeFilter(self)
        self._handlers.clear()

    def scrub(self, text: str, payload: bool = False) -> str:
        """`text` without secrets, identifiers and long ids; with `payload`, also without quoted values."""
        for secret in self._secrets:
            text = text.replace(secret, SECRET_PLACEHOLDER)
        if payload:
            text = _QUOTED.sub(_mask_value, text)
        if not self._keep_addresses:
            text = _ADDRESS.sub(_mask_address, text)
        return _LONG_NUMBER.sub(_mask_number, _redact(text))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must neither leak the raw args nor stop the record
            message = f"{record.msg} {record.args!r}"
        payload = record.levelno <= logging.DEBUG and not _is_own(record.name)
        record.msg, record.args = self.scrub(message, payload), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


def _handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    seen: dict[int, logging.Handler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            seen.setdefault(id(handler), handler)
    return list(seen.values())


def install_log_redaction(secrets: list[str], *, keep_addresses: bool = False) -> RedactingFilter:
    """Put one `RedactingFilter` with these secrets on every handler configured now (replacing an earlier one).

    Call it after the handlers are set up (viktig.logging_setup does); a handler added later needs the returned
    filter added to it.
    """
    redacting = RedactingFilter(secrets, keep_addresses=keep_addresses)
    for handler in _handlers():
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
        redacting._handlers.append(handler)
    return redacting


def quiet_noisy_loggers() -> None:
    """httpx and httpcore log each request URL (with the bot token) at INFO: only warnings from them."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
