"""Survey definition files: the shipped default is complete, and a bad file gets precise reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.survey_files import SurveyFileError, default_survey, load_survey_file


def test_default_survey_has_every_language() -> None:
    survey = default_survey()
    assert survey.key == "hva-er-viktig"
    assert [q.key for q in survey.questions] == ["matters", "more_of_it"]
    matters, more_of_it = survey.questions
    assert matters.repeat and matters.required and not more_of_it.required
    assert matters.prompt == {
        "nb": "Hva er viktig for deg?",
        "nn": "Kva er viktig for deg?",
        "sv": "Vad är viktigt för dig?",
        "en": "What matters to you?",
    }
    assert matters.more["nb"] == "Er det noe mer som er viktig for deg?"


def test_bad_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'key = "Bad Key"\n[title]\nnb = "Tittel"\n'
        '[[questions]]\nkey = "a"\nkind = "essay"\n[questions.prompt]\nnb = "Hei"\nde = "Hallo"\n'
        '[[questions]]\nkey = "a"\nkind = "choice"\n[questions.prompt]\nnb="x"\nnn="x"\nsv="x"\nen="x"\n',
        encoding="utf-8",
    )
    with pytest.raises(SurveyFileError) as caught:
        load_survey_file(path)
    problems = caught.value.problems
    assert "'key' must be 1-40 characters of a-z, 0-9, '-' or '_' (e.g. key = \"hverdagsrehab\")" in problems
    assert "title: missing text in 'nn'" in problems
    assert "question 1 ('a'): 'kind' must be text, choice or scale, not 'essay'" in problems
    assert "question 1 ('a') prompt: missing text in 'sv'" in problems
    assert "question 1 ('a') prompt: unknown language(s) de (allowed: nb, nn, sv, en)" in problems
    assert "question 2 ('a'): the key is used twice" in problems
    assert "question 2 ('a'): a choice question needs at least two [[questions.options]]" in problems


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"key = \n", "not valid TOML"), (b"\xff\xfe\x00k", "not UTF-8"), (b'key = "x"\n', "no questions")],
)
def test_unreadable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "s.toml"
    path.write_bytes(content)
    with pytest.raises(SurveyFileError, match=expected):
        load_survey_file(path)
