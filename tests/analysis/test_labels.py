"""Labels and keywords a manager sees never carry a person's name, a redaction placeholder or a number."""

from __future__ import annotations

import re

from analysis.pipeline import AnswerText, ThemePipeline
from analysis.seeds import SeedMatcher
from analysis.taxonomy import load_taxonomy
from analysis.tokens import TokenAnalyser

NAMES = ["Kari", "Arne", "Ingrid", "Per", "Solveig", "Olav", "Berit"]
ANSWERS = [
    "at Kari kommer og steller hagen med meg",
    "hagen min og at Arne hjelper meg med hagen",
    "blomstene i hagen, Ingrid vanner dem",
    "hagearbeid med Per på lørdager",
    "kari og hagen",
    "stelle i hagen",
    "ringe Solveig på [telefonnummer] hver kveld",
    "å ringe Olav på telefonen",
    "telefonen, ringe Berit på 91234567",
    "ringe mine venner på telefonen",
    "mitt fødselsnummer [fødselsnummer] og legen",
    "brev fra Olav 3 ganger i uka",
    "brevene fra Olav",
    "brev fra Arne i posten 2 ganger",
    "Familien",
    "barnebarna",
    "gå tur",
    "kaffe med de andre",
    "god mat",
    "trygghet",
]


def test_no_label_or_keyword_contains_a_name_placeholder_or_number() -> None:
    result = ThemePipeline().fit_transform([AnswerText(i, text) for i, text in enumerate(ANSWERS * 2)])
    names = {name.lower() for name in NAMES}
    forbidden = names | {"fødselsnummer", "telefonnummer"}
    shown = [theme.label for theme in result.themes] + [word for theme in result.themes for word in theme.keywords]
    assert result.themes
    for text in shown:
        words = set(re.findall(r"\w+", text.lower()))
        assert not words & forbidden, text
        assert not re.search(r"\d", text), text
    assert any(theme.taxonomy_key is None and not theme.is_other for theme in result.themes)


def test_seeds_never_match_a_word_part() -> None:
    matcher = SeedMatcher(load_taxonomy(), TokenAnalyser(), ["nb"]).fit()
    analyser = TokenAnalyser()
    for text, theme in [("kultur", "outdoors"), ("alltid", "continuity"), ("mobilen", "transport")]:
        assert theme not in matcher.transform_one(analyser.transform_one(text, "nb"), "nb"), text
    for text, theme in [("trygghetsalarmen", "safety"), ("barnebarna", "family"), ("søndagsturen", "outdoors")]:
        assert theme in matcher.transform_one(analyser.transform_one(text, "nb"), "nb"), text
