"""Staff-facing text of the survey core (import problems, export columns) in bokmål and English.

The dashboard has nb and en; the CLI speaks English. Citizen text lives in surveys/locales/<lang>.toml instead.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from surveys.i18n import _flatten

LOCALES = Path(__file__).parent / "locales"
STAFF_LANGUAGES = ("nb", "en")


@cache
def _catalogue(name: str, language: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    with (LOCALES / name / f"{language}.toml").open("rb") as handle:
        _flatten("", tomllib.load(handle), flat)
    return flat


def staff_text(catalogue: str, language: str, key: str, /, **values: Any) -> str:
    """`key` from surveys/locales/<catalogue>/<language>.toml (bokmål when the language has none)."""
    lang = language if language in STAFF_LANGUAGES else "nb"
    text = _catalogue(catalogue, lang).get(key) or _catalogue(catalogue, "nb")[key]
    return text.format(**values) if values else text
