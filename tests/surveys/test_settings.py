"""Settings come from the environment, in one place, with errors that name the variable."""

from __future__ import annotations

import pytest

from surveys.settings import Settings, SettingsError

KEY = "k" * 32


def test_defaults(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///viktig.db"
    assert settings.secret_key_is_generated and len(settings.secret_key) >= 32
    assert Settings.from_env({}).secret_key == settings.secret_key  # kept beside the database, stable
    assert (settings.host, settings.port, settings.telegram_bot_token) == ("127.0.0.1", 8080, None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/viktig", "postgresql://u:p@db.example:5432/viktig"),
        ("postgresql://u@localhost/viktig", "postgresql://u@localhost/viktig"),
        ("postgresql+asyncpg://u@localhost/viktig", "postgresql://u@localhost/viktig"),
        ("sqlite:////var/lib/viktig/viktig.db", "sqlite:////var/lib/viktig/viktig.db"),
    ],
)
def test_database_url_forms(given: str, expected: str) -> None:
    assert Settings.from_env({"DATABASE_URL": given, "VIKTIG_SECRET_KEY": KEY}).database_url == expected


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://hostonly"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"VIKTIG_SECRET_KEY": "short"}, "VIKTIG_SECRET_KEY"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_API_BASE_URL": "127.0.0.1:8081/bot"}, "TELEGRAM_API_BASE_URL"),
        ({"VIKTIG_PUBLIC_URL": "viktig.example.no"}, "VIKTIG_PUBLIC_URL"),
        ({"DATABASE_URL": "postgresql://u@h/db"}, "VIKTIG_SECRET_KEY"),
    ],
)
def test_malformed_values_name_the_variable(environ: dict[str, str], names: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"VIKTIG_SECRET_KEY": KEY} | environ if names != "VIKTIG_SECRET_KEY" else environ
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)


def test_full_configuration() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgres://u:p@h/db",
            "VIKTIG_SECRET_KEY": KEY,
            "TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc-123",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "VIKTIG_PUBLIC_URL": "https://viktig.kommune.no/",
            "HOST": "0.0.0.0",
            "PORT": "9000",
            "TELEGRAM_BOT_USERNAME": "@viktig_bot",
        }
    )
    assert settings.public_url == "https://viktig.kommune.no"
    assert settings.web_base_url == "https://viktig.kommune.no"
    assert (settings.host, settings.port, settings.telegram_bot_username) == ("0.0.0.0", 9000, "viktig_bot")
