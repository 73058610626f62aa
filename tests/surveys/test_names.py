"""Answers that seem to name a person are flagged for staff; ordinary words that happen to be names are not."""

from __future__ import annotations

import pytest

from surveys.names import first_names, mentions_a_name, name_spans, redact_names


@pytest.mark.parametrize(
    "text",
    [
        "At datteren min Kari kommer på søndager",
        "Besøk av sønnen min, Jørgen",
        "min mann Ola hjelper meg",
        "Kona mi Berit er syk",
        "My daughter Sarah visits every week",
        "Jag vill träffa min dotter Annika",
        "Jeg snakker mye med Hans på rommet ved siden av",
        "Turer med Ingrid og kaffe etterpå",
        "Hun heter Wenche og er veldig snill",
        "Sigrid er den beste pleieren",
        "Kaffe med naboen Ruth",
    ],
)
def test_answers_with_a_name_are_flagged(text: str) -> None:
    assert mentions_a_name(text)


@pytest.mark.parametrize(
    "text",
    [
        "Å være sammen med familien og barnebarna",
        "Liv og helse er det viktigste",  # "Liv" starts the sentence: the word, not the name
        "Per dag vil jeg gå en tur",
        "Finn ut hva jeg trenger",
        "Hans far var fisker",  # "his father": at a sentence start "Hans" is the word
        "datteren min kommer ofte",
        "EG VIL HA MEIR TID TIL Å PRATE",
        "Att få bestämma själv när jag ska duscha",
        "Being seen and listened to",
    ],
)
def test_ordinary_answers_are_not_flagged(text: str) -> None:
    assert not mentions_a_name(text)


def test_names_can_be_replaced_before_an_export() -> None:
    text = "Datteren min Kari og naboen Ruth kommer"
    assert redact_names(text, "nb") == "Datteren min [navn] og naboen [namn] kommer".replace("[namn]", "[navn]")
    assert redact_names("My daughter Sarah", "en") == "My daughter [name]"
    assert [text[a:b] for a, b in name_spans(text)] == ["Kari", "Ruth"]


def test_the_shipped_list_is_a_real_list() -> None:
    names = first_names()
    assert len(names) >= 200 and {"kari", "ola", "ingrid", "lars", "sigrid", "åse"} <= names
