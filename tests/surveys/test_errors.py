"""Domain errors carry a code and values; the code's text comes from the nb/en catalogues, never from the raise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.taxonomy import TaxonomyError
from surveys.campaigns import CampaignError, parse_languages, require_campaign
from surveys.errors import CATALOGUE, ViktigError
from surveys.staff_text import LOCALES, _catalogue
from surveys.themes import ThemeError
from web.accounts import AccountError

ROOT = Path(__file__).resolve().parents[2]
# Domain errors raised with a literal code, e.g. CampaignError("campaign.need_name", ...).
RAISED = re.compile(
    r'(?:CampaignError|ThemeError|ViktigError)\(\s*"([a-z_]+\.[a-z_]+)"|AccountError\(\s*"[^"]+",\s*"([a-z_.]+)"'
)


def raised_codes() -> set[str]:
    codes: set[str] = set()
    for folder in ("surveys", "web", "analysis", "viktig", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            for match in RAISED.finditer(path.read_text(encoding="utf-8")):
                codes.add(match.group(1) or match.group(2))
    return codes


def test_both_catalogues_have_the_same_codes_and_every_raised_code_is_in_them() -> None:
    nb, en = _catalogue(CATALOGUE, "nb"), _catalogue(CATALOGUE, "en")
    assert set(nb) == set(en)
    codes = raised_codes()
    assert len(codes) >= 15, codes  # the scan finds the raises (a broken pattern would find none and pass)
    assert codes - set(en) == set()
    assert (LOCALES / CATALOGUE / "nb.toml").is_file()


def test_an_error_says_its_reason_in_english_by_default_and_in_bokmal_when_asked() -> None:
    with pytest.raises(CampaignError) as caught:
        parse_languages("nb,de")
    error = caught.value
    assert isinstance(error, ViktigError) and isinstance(error, ValueError)  # argparse still treats it as bad input
    assert error.code == "campaign.bad_languages" and error.params["value"] == "nb,de"
    assert str(error) == "languages must be a comma-separated list of nb, nn, sv, en (got 'nb,de')"
    assert error.message("nb") == "Språkene må være en kommadelt liste av nb, nn, sv, en (fikk «nb,de»)."
    assert error.message("sv") == error.message("nb")  # staff languages are nb and en; others get bokmål


async def test_an_unknown_campaign_code_names_the_code(sessions) -> None:
    async with sessions() as session:
        with pytest.raises(CampaignError) as caught:
            await require_campaign(session, "nope")
    assert caught.value.code == "campaign.unknown_code"
    assert str(caught.value) == "no campaign with code 'nope' (see `viktig campaign list`)"
    assert caught.value.message("nb") == "Det finnes ingen kampanje med koden «nope»."


def test_every_domain_error_is_a_viktig_error() -> None:
    for kind in (CampaignError, ThemeError, TaxonomyError, AccountError):
        assert issubclass(kind, ViktigError), kind
    taxonomy = TaxonomyError("themes.toml: no themes")
    assert str(taxonomy) == "themes.toml: no themes"
    assert taxonomy.message("nb") == "Temalisten kan ikke brukes: themes.toml: no themes"
