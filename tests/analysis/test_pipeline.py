"""The pipeline end to end, on real answers: languages together, small campaigns, determinism, discovery."""

from collections.abc import Hashable
from pathlib import Path

import pytest

from analysis.pipeline import AnswerText, ThemePipeline
from analysis.taxonomy import TaxonomyError, load_taxonomy


def run(texts: list[str], **options) -> dict[Hashable, str]:
    result = ThemePipeline(**options).fit_transform([AnswerText(i, text) for i, text in enumerate(texts)])
    return {answer_id: key for answer_id, (key, _score) in result.assignments.items()}


BACKGROUND = [
    "god mat",
    "middagen",
    "trygghetsalarmen",
    "å være trygg",
    "gå tur",
    "komme meg ut",
    "de samme pleierne",
    "at de har tid",
    "musikk",
    "hagen min",
    "få bo hjemme",
    "informasjon",
    "bli sett",
    "helsa",
    "smertefri",
]


@pytest.mark.parametrize(
    "counterparts",
    [
        [
            "barna og barnebarna mine",
            "borna og barneborna mine",
            "mina barn och barnbarn",
            "my children and grandchildren",
        ],
        ["å ha noen å snakke med", "å ha nokon å snakke med", "att ha någon att prata med", "someone to talk to"],
        ["å klare meg selv", "å klare meg sjølv", "att klara mig själv", "managing on my own"],
        ["jeg vil ikke være alene", "eg vil ikkje vere åleine", "jag vill inte vara ensam", "not being alone"],
    ],
)
def test_nynorsk_swedish_and_english_answers_land_with_their_bokmaal_counterpart(counterparts: list[str]) -> None:
    keys = run(BACKGROUND + counterparts)
    themes = {keys[len(BACKGROUND) + i] for i in range(len(counterparts))}
    assert len(themes) == 1 and themes != {"other"}


def test_negated_and_plain_answers_are_told_apart() -> None:
    keys = run(["jeg vil ikke være alene", "klare meg alene", "jeg vil ikke være ensom", "greie meg aleine"])
    assert keys[0] == keys[2] == "company"
    assert keys[1] == keys[3] == "coping"


@pytest.mark.parametrize("texts", [[], ["Familien"], ["Familien", "gå tur i skogen", "???"]])
def test_tiny_campaigns_give_a_sensible_result(texts: list[str]) -> None:
    result = ThemePipeline().fit_transform([AnswerText(i, text) for i, text in enumerate(texts)])
    assert sum(theme.size for theme in result.themes) == len(texts)
    assert set(result.assignments) == set(range(len(texts)))
    for theme in result.themes:
        assert theme.label and 0 < theme.share <= 1 and set(theme.quotes) <= set(theme.members)
    if len(texts) == 3:
        assert result.assignments[0][0] == "family"
        assert result.assignments[1][0] == "outdoors"
        assert result.assignments[2][0] == "other"


def test_same_answers_give_the_same_themes() -> None:
    texts = BACKGROUND * 3 + ["pengar", "penger", "pengene mine", "nok penger", "pengar räcker", "ukjent greie", "hm"]
    first = ThemePipeline().fit_transform([AnswerText(i, text) for i, text in enumerate(texts)])
    second = ThemePipeline().fit_transform([AnswerText(i, text) for i, text in enumerate(texts)])
    assert first.assignments == second.assignments
    assert [(t.key, t.label, t.keywords, t.quotes) for t in first.themes] == [
        (t.key, t.label, t.keywords, t.quotes) for t in second.themes
    ]


def test_answers_outside_the_taxonomy_form_a_discovered_theme_with_its_own_label() -> None:
    texts = BACKGROUND * 2 + [
        "pengene mine",
        "nok penger",
        "penger til mat",
        "å ha penger",
        "penger og pensjon",
        "at pengene strekker til",
    ]
    result = ThemePipeline().fit_transform([AnswerText(i, text) for i, text in enumerate(texts)])
    discovered = [theme for theme in result.themes if theme.taxonomy_key is None and not theme.is_other]
    assert discovered, [(t.key, t.size) for t in result.themes]
    assert discovered[0].key.startswith("new-") and "penger" in discovered[0].key
    assert "penger" in discovered[0].label.lower()  # a phrase from the answers ("Nok penger"), not glued keywords
    assert len(discovered[0].quotes) == 3


def test_themes_have_labels_in_the_campaign_language_keywords_and_three_quotes() -> None:
    texts = ["barnebarna", "familien min", "mina barn", "my family", "sønnen min"]
    result = ThemePipeline(label_language="sv").fit_transform([AnswerText(i, text) for i, text in enumerate(texts)])
    family = next(theme for theme in result.themes if theme.key == "family")
    assert family.label == "Familj" and family.size == 5 and family.share == 1.0
    assert len(family.quotes) == 3 and len(set(family.quotes)) == 3
    assert family.keywords


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_municipality_can_use_its_own_taxonomy(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[themes.bading]\nlabel = { nb = "Bading", nn = "Bading", sv = "Bad", en = "Swimming" }\n'
        'nb = ["bade", "svømme"]\n',
    )
    keys = run(["bade i sjøen", "å svømme i bassenget", "familien"], taxonomy=path)
    assert keys[0] == keys[1] == "bading"
    assert keys[2] != "family"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[themes.family\nlabel = 1", "not valid TOML"),
        (
            '[themes.family]\nlabel = { nb = "Familie", sv = "Familj", en = "Family" }\nnb = ["barn"]\n',
            "line 1, theme 'family': label is missing language(s) nn",
        ),
        (
            '\n\n[themes.food]\nlabel = { nb = "Mat", nn = "Mat", sv = "Mat", en = "Food" }\nnb = "mat"\n',
            "line 3, theme 'food': 'nb' must be a list",
        ),
        ('[themes.food]\nlabel = { nb = "Mat", nn = "Mat", sv = "Mat", en = "Food" }\n', "theme 'food': no seed terms"),
        (
            '[themes.food]\nlabel = { nb = "Mat", nn = "Mat", sv = "Mat", en = "Food" }\nnb = ["mat"]\n'
            'de = ["essen"]\n',
            "unknown field(s) ['de']",
        ),
        ("", "no themes"),
    ],
)
def test_a_broken_taxonomy_file_gets_an_error_naming_the_place(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(path)
    assert expected in str(error.value) and str(path) in str(error.value)


def test_a_missing_taxonomy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.toml")
