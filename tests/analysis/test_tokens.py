"""Normalising, negation, lemmas and compounds."""

from analysis.features import content_features
from analysis.normalise import Normaliser
from analysis.seeds import SeedMatcher, seed_vocabulary
from analysis.taxonomy import load_taxonomy
from analysis.tokens import TokenAnalyser


def features(text: str, language: str = "nb") -> list[str]:
    analyser = TokenAnalyser(keep=seed_vocabulary(load_taxonomy()))
    return content_features(analyser.transform_one(Normaliser().transform_one(text), language))


def test_normaliser_handles_case_emoji_punctuation_and_stretched_letters() -> None:
    normaliser = Normaliser()
    assert normaliser.transform_one("KAFFEEEE!!! ☕ med venner :-)") == "kaffe kaffe med venner"
    assert normaliser.transform_one("Sååå godt 👍") == "så godt"
    assert normaliser.transform_one("cafe\u0301") == "café"  # NFC
    assert normaliser.transform_one("TT-kortet - og 'sånn'") == "tt-kortet og sånn"


def test_negation_is_part_of_the_next_content_word() -> None:
    negated = features("ikke være alene")
    plain = features("være alene")
    assert "NOT_alene" in negated and "alene" not in negated
    assert "alene" in plain and negated != plain
    assert "NOT_åleine" in features("eg vil ikkje vere åleine", "nn")
    assert "NOT_ensam" in features("jag vill inte vara ensam", "sv")
    assert "NOT_alone" in features("I do not want to be alone", "en")


def test_negation_does_not_reach_past_the_next_content_word() -> None:
    result = features("ikke falle og gå tur")
    assert "NOT_falle" in result and "tur" in result and "NOT_tur" not in result


def scores(text: str, language: str = "nb") -> dict[str, float]:
    taxonomy = load_taxonomy()
    analyser = TokenAnalyser(keep=seed_vocabulary(taxonomy))
    matcher = SeedMatcher(taxonomy, analyser).fit()
    tokens = analyser.transform_one(Normaliser().transform_one(text), language)
    return {theme: score for theme, (score, _first) in matcher.transform_one(tokens, language).items()}


def test_inflections_and_compounds_match_seed_terms() -> None:
    assert "family" in scores("barnebarna")
    assert "family" in scores("oldebarnet mitt")
    assert "outdoors" in scores("turer")
    assert "outdoors" in scores("fjellturer")
    assert "safety" in scores("trygghetsalarmen")
    assert "safety" in scores("tryggleiksalarmen", "nn")
    assert "safety" in scores("trygghetslarmet", "sv")


def test_short_seeds_do_not_match_inside_unrelated_words() -> None:
    assert "outdoors" not in scores("retur")  # "tur" is a seed, but "re" is no word
    assert "activities" not in scores("kortet")  # "tt-kort" is transport; "kort" alone is not an activity seed
    assert "transport" in scores("tt-kortet")


def test_negated_seed_matches_only_negated_words() -> None:
    assert "company" in scores("jeg vil ikke være alene")
    assert "company" not in scores("klare meg alene")
