"""The four catalogues carry the same keys and placeholders, so no citizen ever meets a missing text."""

from __future__ import annotations

import re

import pytest

from surveys.commands import COMMAND_NAMES, Command, parse_command
from surveys.i18n import catalogue, normalise_language, t
from surveys.settings import LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_catalogues_have_the_same_keys_and_placeholders(language: str) -> None:
    base, other = catalogue("nb"), catalogue(language)
    assert set(other) == set(base)
    for key, text in base.items():
        assert set(re.findall(r"{(\w+)}", other[key])) == set(re.findall(r"{(\w+)}", text)), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_mentions_that_languages_own_command_names(language: str) -> None:
    names = COMMAND_NAMES[language]
    for command in (Command.help, Command.cancel, Command.language, Command.mydata, Command.delete):
        assert f"/{names[command]}" in t(language, "help.text")
        assert re.fullmatch(r"[a-z0-9_]{1,32}", names[command])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/hjelp", (Command.help, None)),
        ("/start abc123", (Command.start, "abc123")),
        ("/HJALP@viktig_bot", (Command.help, None)),
        ("/mydata", (Command.mydata, None)),
        ("/radera", (Command.delete, None)),
        ("/unknown", None),
        ("hjelp", None),
        ("/", None),
    ],
)
def test_parse_command(text: str, expected) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [("nb-NO", "nb"), ("no", "nb"), ("nn_NO", "nn"), ("sv-SE", "sv"), ("en-GB", "en"), ("de", None), (None, None)],
)
def test_normalise_language(given, expected) -> None:
    assert normalise_language(given) == expected
