"""`viktig analyse --json` and `viktig report` through the real command line on a SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SECRET

DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "dev.jsonl"
TEXTS = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


def viktig(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        VIKTIG_SECRET_KEY=TEST_SECRET,
        VIKTIG_PUBLIC_URL="https://viktig.example.no",
    )
    # The timeout only guards against a hang: one analysis has taken over 120 s on a heavily loaded 2-core machine.
    result = subprocess.run(
        [sys.executable, "-m", "viktig", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


def campaign_with_answers(tmp_path: Path, name: str, texts: list[str]) -> str:
    created = viktig(tmp_path, "campaign", "create", "--name", name, "--unit", "Sykehjemmet", "--json")
    code = str(json.loads(created.stdout)["code"])
    answers = tmp_path / f"{code}.jsonl"
    answers.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts), encoding="utf-8")
    viktig(tmp_path, "answers", "import", str(answers), "--campaign", code)
    return code


@pytest.fixture(scope="module")
def analysed_spring(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> tuple[Path, str, list[dict[str, Any]]]:
    """A CLI database whose campaign "Våren" (every third development answer) was analysed once, by the CLI.

    Both tests start from this state; building it (four CLI processes, one of them a full analysis) costs more than
    either test's own steps, so it is built once per module and each test works on its own copy of the file.
    """
    folder = tmp_path_factory.mktemp("spring")
    shutil.copyfile(sqlite_template, folder / "cli.db")  # migrated to head once per session
    viktig(folder, "unit", "add", "Sykehjemmet")
    code = campaign_with_answers(folder, "Våren", TEXTS[::3])
    themes = json.loads(viktig(folder, "analyse", "--campaign", code, "--json").stdout)
    return folder, code, themes


@pytest.fixture
def spring(analysed_spring: tuple[Path, str, list[dict[str, Any]]], tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    """This test's copy of the analysed database (in tmp_path, where `viktig` looks), its code and first themes."""
    folder, code, themes = analysed_spring
    for file in folder.glob("cli.db*"):
        shutil.copyfile(file, tmp_path / file.name)
    return code, themes


def test_text_output_counts_one_answer_in_the_singular() -> None:
    from viktig.commands.analysis import answers

    assert (answers(1), answers(0), answers(2)) == ("1 answer", "0 answers", "2 answers")
    assert answers(1, "new answer") == "1 new answer" and answers(3, "new answer") == "3 new answers"


@pytest.mark.slow
def test_analyse_prints_json_and_report_compares_with_the_previous_campaign(tmp_path: Path, spring) -> None:
    autumn = campaign_with_answers(tmp_path, "Høsten", TEXTS[1::3] + ["barnebarna", "familien min", "sønnen min"])

    result = viktig(tmp_path, "analyse", "--campaign", autumn, "--json")
    themes = json.loads(result.stdout)
    assert themes and all(set(theme) == {"id", "label", "size", "share", "keywords", "quotes"} for theme in themes)
    assert sum(theme["size"] for theme in themes) == len(TEXTS[1::3]) + 3
    family = next(theme for theme in themes if theme["label"] == "Familie")
    assert len(family["quotes"]) == 3 and all(isinstance(q, str) for q in family["quotes"])
    assert "100%" in result.stderr  # the progress bar

    plain = viktig(tmp_path, "analyse", "--campaign", autumn).stdout
    assert f"[{family['id']}] Familie" in plain

    out = tmp_path / "rapport.html"
    viktig(tmp_path, "report", "--campaign", autumn, "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "<svg" in html and "Familie" in html and "Våren" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # self-contained


@pytest.mark.slow
def test_analyse_assign_new_gives_new_answers_an_existing_theme_without_a_rerun(tmp_path: Path, spring) -> None:
    code, themes = spring
    first = {theme["id"]: theme for theme in themes}
    answers = tmp_path / "more.jsonl"
    answers.write_text('{"text": "oldebarna mine"}\n{"text": "barnebarna kommer på besøk"}\n', encoding="utf-8")
    viktig(tmp_path, "answers", "import", str(answers), "--campaign", code)

    result = viktig(tmp_path, "analyse", "--campaign", code, "--assign-new", "--json")
    assert "assigned 2 new answers" in result.stderr
    after = {theme["id"]: theme for theme in json.loads(result.stdout)}
    assert sum(theme["size"] for theme in after.values()) == len(TEXTS[::3]) + 2
    family = next(theme for theme in after.values() if theme["label"] == "Familie")
    assert family["size"] == first[family["id"]]["size"] + 2
    again = viktig(tmp_path, "analyse", "--campaign", code, "--assign-new")
    assert "assigned 0 new answers" in again.stderr
