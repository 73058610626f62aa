"""Dashboard and web-chat interface text from small TOML catalogues (bokmål by default, English available).

The dashboard has nb and en; the web chat's own interface strings (labels, skip link) exist in all four citizen
languages. What the bot says comes from the survey core's catalogues, not from here.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from surveys.i18n import _flatten  # the same nested-TOML flattening as the citizen catalogues

LOCALES = Path(__file__).parent / "locales"
DASHBOARD_LANGUAGES = ("nb", "en")
CHAT_LANGUAGES = ("nb", "nn", "sv", "en")


@cache
def _catalogue(path: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    with path.open("rb") as handle:
        _flatten("", tomllib.load(handle), flat)
    return flat


def dashboard_text(language: str | None, key: str, /, **values: Any) -> str:
    lang = language if language in DASHBOARD_LANGUAGES else "nb"
    text = _catalogue(LOCALES / f"{lang}.toml").get(key) or _catalogue(LOCALES / "nb.toml")[key]
    return text.format(**values) if values else text


def chat_text(language: str | None, key: str, /, **values: Any) -> str:
    lang = language if language in CHAT_LANGUAGES else "nb"
    text = _catalogue(LOCALES / "chat" / f"{lang}.toml").get(key) or _catalogue(LOCALES / "chat" / "nb.toml")[key]
    return text.format(**values) if values else text


def catalogue_keys(path: Path) -> set[str]:
    return set(_catalogue(path))
