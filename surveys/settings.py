"""Settings read once from the environment and passed explicitly to whoever needs them."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from surveys.security_settings import Network, read_security_settings
from surveys.settings_errors import SettingsError

LANGUAGES: tuple[str, ...] = ("nb", "nn", "sv", "en")
DEFAULT_LANGUAGE = "nb"
UPLOAD_MAX_BYTES = 4 * 1024 * 1024  # about 120 000 paper cards; the outside test's 30 000 rows were 1 MB

__all__ = ["Settings", "SettingsError", "normalise_database_url"]


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///viktig.db"
    secret_key: str = ""
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_bot_username: str | None = None
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    taxonomy_file: Path | None = None
    log_level: str = "INFO"
    telegram_send_rate: float = 30.0
    # Security (surveys.security_settings): which peers may set X-Forwarded-*, staff session limits, logging.
    trusted_proxies: tuple[Network, ...] = ()
    session_idle_minutes: int = 30
    session_lifetime_hours: int = 12
    log_client_ip: bool = False
    chat_limit_per_visitor: int = 30
    chat_limit_per_address: int = 600
    metrics_token: str | None = None
    metrics_allow: tuple[Network, ...] = ()  # empty: loopback only
    # What the web chat keeps in memory to show a visit again (redacted lines only): per visit and in total.
    chat_transcript_visit_bytes: int = 64 * 1024
    chat_transcript_total_bytes: int = 32 * 1024 * 1024
    # The largest request body, so the largest file of paper cards the dashboard takes (VIKTIG_UPLOAD_MAX_BYTES).
    upload_max_bytes: int = UPLOAD_MAX_BYTES
    # Messages about what was done with the answers (surveys.notify) one person gets at most in any 30 days.
    notify_max_per_month: int = 2
    secret_key_is_generated: bool = field(default=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        database_url = normalise_database_url(env.get("DATABASE_URL", "").strip() or "sqlite:///viktig.db")
        secret_key = env.get("VIKTIG_SECRET_KEY", "").strip()
        generated = False
        if not secret_key:
            secret_key = _local_secret_key(database_url)
            generated = True
        elif len(secret_key) < 16:
            raise SettingsError(
                "VIKTIG_SECRET_KEY must be at least 16 characters (use "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
            )
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a token from BotFather (expected '123456:ABC-...')."
            )
        base_url = env.get("TELEGRAM_API_BASE_URL", "").strip() or None
        if base_url is not None:
            _require_http_url("TELEGRAM_API_BASE_URL", base_url, example="http://127.0.0.1:8081/bot")
        public_url = env.get("VIKTIG_PUBLIC_URL", "").strip().rstrip("/") or None
        if public_url is not None:
            _require_http_url("VIKTIG_PUBLIC_URL", public_url, example="https://viktig.example.kommune.no")
        port_text = env.get("PORT", "").strip() or "8080"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(f"PORT must be a number between 1 and 65535, not {port_text!r}.")
        username = env.get("TELEGRAM_BOT_USERNAME", "").strip().lstrip("@") or None
        taxonomy = env.get("VIKTIG_TAXONOMY_FILE", "").strip() or None
        if taxonomy is not None and not Path(taxonomy).is_file():
            raise SettingsError(f"VIKTIG_TAXONOMY_FILE points to {taxonomy!r}, which is not a file.")
        log_level = (env.get("VIKTIG_LOG_LEVEL", "").strip() or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError("VIKTIG_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR.")
        send_rate_text = env.get("TELEGRAM_SEND_RATE", "").strip() or "30"
        try:
            send_rate = float(send_rate_text)
        except ValueError:
            send_rate = 0.0
        if not 0 < send_rate <= 100_000:
            raise SettingsError(
                f"TELEGRAM_SEND_RATE must be a positive number of messages per second, not {send_rate_text!r}."
            )
        visit_bytes = _byte_count(env, "VIKTIG_CHAT_TRANSCRIPT_VISIT_BYTES", 64 * 1024, minimum=4096)
        total_bytes = _byte_count(env, "VIKTIG_CHAT_TRANSCRIPT_TOTAL_BYTES", 32 * 1024 * 1024, minimum=visit_bytes)
        upload_bytes = _byte_count(env, "VIKTIG_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES, minimum=64 * 1024)
        notify_text = env.get("VIKTIG_NOTIFY_MAX_PER_MONTH", "").strip() or "2"
        if not notify_text.isdigit() or int(notify_text) > 31:
            raise SettingsError(
                f"VIKTIG_NOTIFY_MAX_PER_MONTH must be a whole number from 0 (send none) to 31, not {notify_text!r}."
            )
        return cls(
            database_url=database_url,
            secret_key=secret_key,
            telegram_bot_token=token,
            telegram_api_base_url=base_url,
            telegram_bot_username=username,
            public_url=public_url,
            host=env.get("HOST", "").strip() or "127.0.0.1",
            port=int(port_text),
            taxonomy_file=Path(taxonomy) if taxonomy else None,
            log_level=log_level,
            telegram_send_rate=send_rate,
            chat_transcript_visit_bytes=visit_bytes,
            chat_transcript_total_bytes=total_bytes,
            upload_max_bytes=upload_bytes,
            notify_max_per_month=int(notify_text),
            secret_key_is_generated=generated,
            **read_security_settings(env),
        )

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def web_base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def normalise_database_url(url: str) -> str:
    """Accept the URL forms people paste (postgres://, postgresql://, sqlite:///) and return a synchronous form."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg"):
        rest = url.split("://", 1)[1]
        if not rest or "/" not in rest:
            raise SettingsError(
                f"DATABASE_URL {url!r} has no database name (expected postgresql://user:password@host:5432/dbname)."
            )
        return "postgresql://" + rest
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        rest = url.split("://", 1)[1]
        if not rest.startswith("/"):
            raise SettingsError(
                f"DATABASE_URL {url!r} must look like sqlite:///relative.db or sqlite:////absolute/path.db."
            )
        return "sqlite://" + rest
    raise SettingsError(
        f"DATABASE_URL must start with sqlite:///, postgresql:// or postgres:// (got {url.split('://', 1)[0]!r})."
    )


def _byte_count(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name} must be a whole number of bytes, at least {minimum}, not {text!r}.")
    return int(text)


def _require_http_url(name: str, value: str, *, example: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL such as {example}, not {value!r}.")


def _local_secret_key(database_url: str) -> str:
    """Without VIKTIG_SECRET_KEY, keep a random key beside a SQLite database so pseudonyms stay stable.

    Production sets VIKTIG_SECRET_KEY; this keeps the demo and a single-machine set-up working without it.
    """
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        db_path = Path(database_url.removeprefix("sqlite:///"))
        key_path = db_path.with_name(db_path.name + ".secret")
        if key_path.exists():
            return key_path.read_text().strip()
        key = secrets.token_urlsafe(32)
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(key + "\n")
        key_path.chmod(0o600)
        return key
    raise SettingsError("VIKTIG_SECRET_KEY must be set when DATABASE_URL is not a local SQLite file.")
