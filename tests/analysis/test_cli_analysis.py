"""`viktig analyse --json` and `viktig report` through the real command line on a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET

DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "dev.jsonl"


def viktig(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIKTIG_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        VIKTIG_SECRET_KEY=TEST_SECRET,
        VIKTIG_PUBLIC_URL="https://viktig.example.no",
    )
    result = subprocess.run(
        [sys.executable, "-m", "viktig", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
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


def test_text_output_counts_one_answer_in_the_singular() -> None:
    from viktig.commands.analysis import answers

    assert (answers(1), answers(0), answers(2)) == ("1 answer", "0 answers", "2 answers")
    assert answers(1, "new answer") == "1 new answer" and answers(3, "new answer") == "3 new answers"


@pytest.mark.slow
def test_analyse_prints_json_and_report_compares_with_the_previous_campaign(tmp_path: Path) -> None:
    viktig(tmp_path, "db", "upgrade")
    viktig(tmp_path, "unit", "add", "Sykehjemmet")
    texts = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    spring = campaign_with_answers(tmp_path, "Våren", texts[::3])
    viktig(tmp_path, "analyse", "--campaign", spring)
    autumn = campaign_with_answers(tmp_path, "Høsten", texts[1::3] + ["barnebarna", "familien min", "sønnen min"])

    result = viktig(tmp_path, "analyse", "--campaign", autumn, "--json")
    themes = json.loads(result.stdout)
    assert themes and all(set(theme) == {"id", "label", "size", "share", "keywords", "quotes"} for theme in themes)
    assert sum(theme["size"] for theme in themes) == len(texts[1::3]) + 3
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
def test_analyse_assign_new_gives_new_answers_an_existing_theme_without_a_rerun(tmp_path: Path) -> None:
    viktig(tmp_path, "db", "upgrade")
    viktig(tmp_path, "unit", "add", "Sykehjemmet")
    texts = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    code = campaign_with_answers(tmp_path, "Våren", texts[::3])
    first = {
        theme["id"]: theme for theme in json.loads(viktig(tmp_path, "analyse", "--campaign", code, "--json").stdout)
    }
    answers = tmp_path / "more.jsonl"
    answers.write_text('{"text": "oldebarna mine"}\n{"text": "barnebarna kommer på besøk"}\n', encoding="utf-8")
    viktig(tmp_path, "answers", "import", str(answers), "--campaign", code)

    result = viktig(tmp_path, "analyse", "--campaign", code, "--assign-new", "--json")
    assert "assigned 2 new answers" in result.stderr
    after = {theme["id"]: theme for theme in json.loads(result.stdout)}
    assert sum(theme["size"] for theme in after.values()) == len(texts[::3]) + 2
    family = next(theme for theme in after.values() if theme["label"] == "Familie")
    assert family["size"] == first[family["id"]]["size"] + 2
    again = viktig(tmp_path, "analyse", "--campaign", code, "--assign-new")
    assert "assigned 0 new answers" in again.stderr
