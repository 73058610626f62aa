"""Language detection on the short answers people actually give."""

import pytest

from analysis.language import LanguageDetector
from analysis.normalise import Normaliser

CASES = [
    ("eg vil vere heime", "nn"),
    ("at eg ikkje er einsam", "nn"),
    ("Kva som skjer med meg", "nn"),
    ("jeg vil være hjemme", "nb"),
    ("at jeg ikke er alene", "nb"),
    ("Hva som skjer med meg", "nb"),
    ("jag vill inte vara ensam", "sv"),
    ("Att få träffa mina barnbarn", "sv"),
    ("fika med grannarna och att det är trivsamt", "sv"),
    ("jeg vil gerne have nogen at snakke med", "da"),
    ("at blive hørt og få god mad", "da"),
    ("I want to stay in my own home", "en"),
    ("not being lonely", "en"),
    ("MY GRANDCHILDREN!!!", "en"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_short_answers_get_their_language(text: str, expected: str) -> None:
    detector = LanguageDetector()
    assert detector.predict_one(Normaliser().transform_one(text)) == expected


def test_an_answer_without_evidence_gets_the_campaign_default() -> None:
    assert LanguageDetector(default="sv").predict_one("") == "sv"
    assert LanguageDetector(default="nn").predict_one("ok") == "nn"


def test_only_the_campaign_languages_are_candidates() -> None:
    assert LanguageDetector(["nb", "en"]).predict_one("jag vill vara hemma") in {"nb", "en"}
